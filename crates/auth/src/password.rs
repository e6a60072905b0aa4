//! Password hashing (argon2id, PHC strings) and the policy check. Hashing and verifying
//! take tens of milliseconds of CPU, so they run on the blocking pool, never on the async
//! workers that serve every other request.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

use crate::AuthError;

/// Checks the policy (`ops_types::password_rules`); the message is shown beside the field.
pub fn check_policy(password: &str, email: Option<&str>) -> Result<(), AuthError> {
    match ops_types::password_problem(password, email) {
        None => Ok(()),
        Some(problem) => Err(AuthError::invalid("password", problem)),
    }
}

pub async fn hash(password: &str) -> Result<String, AuthError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| AuthError::Internal(format!("hashing task: {e}")))?
}

/// True when `password` matches `phc`. Without a hash (unknown user) it spends the same time
/// and answers false, so an unknown email is not faster than a wrong password.
pub async fn verify(password: &str, phc: Option<&str>) -> bool {
    let password = password.to_string();
    let phc = phc.map(str::to_string);
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify_now(&password, &phc),
        None => {
            burn_time(&password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

fn hash_now(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Internal(format!("argon2: {e}")))
}

/// A malformed hash never matches.
fn verify_now(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

fn burn_time(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(phc) = DUMMY.get_or_init(|| hash_now("dummy-password-for-timing").ok()) {
        let _ = verify_now(password, phc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(&h)).await);
        assert!(!verify("wrong", Some(&h)).await);
        assert!(!verify("x", Some("not a hash")).await);
        assert!(!verify("x", None).await);
    }

    #[test]
    fn policy_names_the_field() {
        let err = check_policy("short", None).unwrap_err();
        assert!(matches!(
            err,
            AuthError::Invalid {
                field: "password",
                ..
            }
        ));
        assert!(check_policy("long enough pw", None).is_ok());
    }
}
