//! Password hashing (argon2id, PHC strings) and the minimal policy.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

use crate::AuthError;

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 256;

/// Checks the policy; the message is shown beside the field.
pub fn check_policy(password: &str) -> Result<(), AuthError> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(AuthError::invalid(
            "password",
            format!("use at least {MIN_LEN} characters"),
        ));
    }
    if n > MAX_LEN {
        return Err(AuthError::invalid(
            "password",
            format!("use at most {MAX_LEN} characters"),
        ));
    }
    Ok(())
}

pub fn hash(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Internal(format!("argon2: {e}")))
}

/// True when `password` matches the PHC string. A malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of one verification, so an unknown email is not faster than a wrong password.
pub fn burn_time(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(phc) = DUMMY.get_or_init(|| hash("dummy-password-for-timing").ok()) {
        let _ = verify(password, phc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn policy_names_the_field() {
        let err = check_policy("short").unwrap_err();
        assert!(matches!(
            err,
            AuthError::Invalid {
                field: "password",
                ..
            }
        ));
        assert!(check_policy("long enough pw").is_ok());
    }
}
