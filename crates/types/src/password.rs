//! The password policy, shared by the server (which enforces it) and the browser (which shows
//! it as the user types). Reuse of the current password is checked on the server only.

use serde::{Deserialize, Serialize};

pub const PASSWORD_MIN_LEN: usize = 10;
pub const PASSWORD_MAX_LEN: usize = 256;

/// One rule and whether a candidate passes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordRule {
    pub rule: String,
    pub description: String,
    pub ok: bool,
}

/// Passwords that lead every published breach corpus, lower-cased; a candidate is refused when
/// it is one of these, or one of these with digits and symbols added around it.
const COMMON: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssword",
    "p@ssw0rd",
    "pass",
    "passwort",
    "motdepasse",
    "contraseña",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "0123456789",
    "987654321",
    "111111",
    "000000",
    "121212",
    "123123",
    "654321",
    "666666",
    "696969",
    "112233",
    "123321",
    "qwerty",
    "qwertyuiop",
    "qwertz",
    "azerty",
    "asdfgh",
    "asdfghjkl",
    "zxcvbnm",
    "qazwsx",
    "1q2w3e4r",
    "1qaz2wsx",
    "zaq12wsx",
    "q1w2e3r4",
    "abc123",
    "abcd1234",
    "a1b2c3d4",
    "iloveyou",
    "letmein",
    "welcome",
    "welcome1",
    "admin",
    "administrator",
    "root",
    "toor",
    "login",
    "master",
    "hello",
    "hello123",
    "secret",
    "default",
    "changeme",
    "changeit",
    "trustno1",
    "whatever",
    "freedom",
    "dragon",
    "monkey",
    "football",
    "baseball",
    "soccer",
    "hockey",
    "basketball",
    "superman",
    "batman",
    "spiderman",
    "starwars",
    "pokemon",
    "naruto",
    "princess",
    "sunshine",
    "shadow",
    "michael",
    "jennifer",
    "jordan",
    "jessica",
    "charlie",
    "thomas",
    "daniel",
    "ashley",
    "hunter",
    "killer",
    "buster",
    "tigger",
    "ginger",
    "pepper",
    "cookie",
    "summer",
    "winter",
    "spring",
    "autumn",
    "flower",
    "orange",
    "banana",
    "chocolate",
    "computer",
    "internet",
    "server",
    "database",
    "security",
    "access",
    "mustang",
    "ferrari",
    "corvette",
    "harley",
    "matrix",
    "merlin",
    "phoenix",
    "thunder",
    "silver",
    "golden",
    "diamond",
    "loveme",
    "lovely",
    "family",
    "friends",
    "forever",
    "blessed",
    "jesus",
    "liverpool",
    "chelsea",
    "arsenal",
    "barcelona",
    "yankees",
    "cowboys",
    "eagles",
    "lakers",
    "google",
    "facebook",
    "linkedin",
    "twitter",
    "youtube",
    "microsoft",
    "apple",
    "samsung",
    "opscenter",
    "ops-center",
    "unicorn",
    "platform",
    "test",
    "testing",
    "tester",
    "demo",
    "guest",
    "user",
    "letmein1",
    "qwerty123",
    "password1",
    "iloveyou1",
    "aa123456",
];

fn stripped(lower: &str) -> &str {
    lower.trim_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation() || c == ' ')
}

fn is_sequence(lower: &str) -> bool {
    const RUNS: &[&str] = &[
        "abcdefghijklmnopqrstuvwxyz",
        "01234567890",
        "qwertyuiop",
        "asdfghjkl",
        "zxcvbnm",
    ];
    let chars: Vec<char> = lower.chars().collect();
    let one_char = chars.windows(2).all(|w| w[0] == w[1]);
    let forward = RUNS.iter().any(|r| r.contains(lower));
    let backward = RUNS
        .iter()
        .any(|r| r.chars().rev().collect::<String>().contains(lower));
    one_char || forward || backward
}

/// Every rule with its verdict for `password` (and the account's email, when known).
pub fn password_rules(password: &str, email: Option<&str>) -> Vec<PasswordRule> {
    let n = password.chars().count();
    let lower = password.to_lowercase();
    let base = stripped(&lower);
    let common = COMMON.contains(&lower.as_str())
        || (base.chars().count() >= 3 && COMMON.contains(&base))
        || is_sequence(&lower)
        || (base.chars().count() >= 3 && is_sequence(base));
    let local = email
        .and_then(|e| e.split('@').next())
        .map(str::to_lowercase)
        .filter(|l| l.chars().count() >= 3);
    let personal = local.as_deref().is_some_and(|l| lower.contains(l));
    let rule = |rule: &str, description: String, ok: bool| PasswordRule {
        rule: rule.into(),
        description,
        ok,
    };
    vec![
        rule(
            "length",
            format!("{PASSWORD_MIN_LEN} to {PASSWORD_MAX_LEN} characters"),
            (PASSWORD_MIN_LEN..=PASSWORD_MAX_LEN).contains(&n),
        ),
        rule(
            "not_common",
            "not a common or leaked password, a keyboard run or one repeated character".into(),
            !common,
        ),
        rule(
            "not_personal",
            "does not contain your email name".into(),
            !personal,
        ),
    ]
}

/// The first failed rule's description, or `None` when the password is acceptable.
pub fn password_problem(password: &str, email: Option<&str>) -> Option<String> {
    password_rules(password, email)
        .into_iter()
        .find(|r| !r.ok)
        .map(|r| match r.rule.as_str() {
            "length" => format!("use {}", r.description),
            "not_common" => "this password is too common or too easy to guess".into(),
            _ => "do not use your email name in the password".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        assert_eq!(
            password_problem("short", None).unwrap(),
            "use 10 to 256 characters"
        );
        for weak in [
            "password123!",
            "Qwertyuiop",
            "1234567890",
            "zzzzzzzzzzzz",
            "!!Letmein2024",
        ] {
            assert!(
                password_problem(weak, None).unwrap().contains("common"),
                "{weak}"
            );
        }
        assert!(
            password_problem("alice-rocks-2026", Some("alice@example.com"))
                .unwrap()
                .contains("email")
        );
        assert_eq!(
            password_problem("correct horse battery", Some("al@x.io")),
            None
        );
        assert_eq!(password_rules("x", None).len(), 3);
    }
}
