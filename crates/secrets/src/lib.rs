//! Secrets at rest (SMTP and OIDC client passwords, TOTP seeds, provider keys, Stripe keys).
//!
//! A 256-bit master key comes from `OPS_MASTER_KEY` (base64) or from `<data_dir>/master.key`,
//! which is created on first run with mode 0600. Values are sealed with AES-256-GCM under a
//! fresh 96-bit nonce as `v1:<key id>:<base64(nonce ‖ ciphertext)>`; the key id (the first 8
//! hex digits of SHA-256 of the key) says which key sealed a value, so a wrong or rotated key
//! is reported as such instead of as corrupt data. Associated data binds a value to where it
//! is stored (e.g. `smtp.password`), so a sealed value copied to another column fails to open.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("master key: {0}")]
    Key(String),
    #[error("the value was sealed with another master key ({0})")]
    WrongKey(String),
    #[error("the sealed value is damaged or belongs elsewhere")]
    Corrupt,
    #[error("random source: {0}")]
    Random(String),
}

/// The master key. `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKey {
    cipher: Aes256Gcm,
    id: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.id)
    }
}

/// Where the key came from, for the console's backup reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Env,
    File,
    /// Created just now: the operator must back it up.
    Created,
}

impl MasterKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<MasterKey, SecretError> {
        if bytes.len() != 32 {
            return Err(SecretError::Key(format!(
                "must be 32 bytes, got {}",
                bytes.len()
            )));
        }
        let digest = Sha256::digest(bytes);
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        let cipher =
            Aes256Gcm::new_from_slice(bytes).map_err(|e| SecretError::Key(e.to_string()))?;
        Ok(MasterKey { cipher, id })
    }

    /// `env` (base64) wins; otherwise `<data_dir>/master.key`, created (0600) when missing.
    pub fn load_or_create(
        data_dir: &Path,
        env: Option<&str>,
    ) -> Result<(MasterKey, KeySource), SecretError> {
        if let Some(b64) = env.filter(|s| !s.trim().is_empty()) {
            let bytes = B64
                .decode(b64.trim())
                .map_err(|e| SecretError::Key(format!("OPS_MASTER_KEY is not base64: {e}")))?;
            return Ok((MasterKey::from_bytes(&bytes)?, KeySource::Env));
        }
        let path = data_dir.join("master.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = B64.decode(text.trim()).map_err(|e| {
                    SecretError::Key(format!("{}: not base64: {e}", path.display()))
                })?;
                Ok((MasterKey::from_bytes(&bytes)?, KeySource::File))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                getrandom::getrandom(&mut bytes).map_err(|e| SecretError::Random(e.to_string()))?;
                write_private(&path, &B64.encode(bytes))?;
                Ok((MasterKey::from_bytes(&bytes)?, KeySource::Created))
            }
            Err(e) => Err(SecretError::Key(format!("{}: {e}", path.display()))),
        }
    }

    /// The key's public id (8 hex digits).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Seals `plaintext`, bound to `context` (where it will be stored).
    pub fn seal(&self, context: &str, plaintext: &str) -> Result<String, SecretError> {
        let mut nonce = [0u8; 12];
        getrandom::getrandom(&mut nonce).map_err(|e| SecretError::Random(e.to_string()))?;
        let ct = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Corrupt)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("v1:{}:{}", self.id, B64.encode(out)))
    }

    /// Opens a value sealed by [`MasterKey::seal`] with the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<String, SecretError> {
        let mut parts = sealed.splitn(3, ':');
        let (Some("v1"), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(SecretError::Corrupt);
        };
        if id != self.id {
            return Err(SecretError::WrongKey(id.to_string()));
        }
        let raw = B64.decode(body).map_err(|_| SecretError::Corrupt)?;
        if raw.len() < 12 + 16 {
            return Err(SecretError::Corrupt);
        }
        let (nonce, ct) = raw.split_at(12);
        let pt = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Corrupt)?;
        String::from_utf8(pt).map_err(|_| SecretError::Corrupt)
    }
}

/// What the console shows of a secret: its last four characters at most, and only when the
/// secret is long enough that they give little away (`••••abcd`).
pub fn hint(secret: &str) -> String {
    let n = secret.chars().count();
    if n >= 16 {
        let tail: String = secret.chars().skip(n - 4).collect();
        format!("••••{tail}")
    } else {
        "••••".into()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> Result<(), SecretError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| SecretError::Key(format!("{}: {e}", dir.display())))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| SecretError::Key(format!("{}: {e}", path.display())))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| SecretError::Key(format!("{}: {e}", path.display())))
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> Result<(), SecretError> {
    std::fs::write(path, text).map_err(|e| SecretError::Key(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_the_ways_it_refuses() {
        let dir = std::env::temp_dir().join(format!("ops-secrets-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (key, source) = MasterKey::load_or_create(&dir, None).unwrap();
        assert_eq!(source, KeySource::Created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("master.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, source) = MasterKey::load_or_create(&dir, None).unwrap();
        assert_eq!((source, again.id()), (KeySource::File, key.id()));

        let sealed = key.seal("smtp.password", "hunter2-but-longer").unwrap();
        assert!(sealed.starts_with(&format!("v1:{}:", key.id())));
        assert!(!sealed.contains("hunter2"));
        assert_ne!(
            sealed,
            key.seal("smtp.password", "hunter2-but-longer").unwrap(),
            "fresh nonce"
        );
        assert_eq!(
            again.open("smtp.password", &sealed).unwrap(),
            "hunter2-but-longer"
        );
        assert!(
            matches!(key.open("oidc.secret", &sealed), Err(SecretError::Corrupt)),
            "bound to its place"
        );
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(key.open("smtp.password", &tampered).is_err());
        let other = MasterKey::from_bytes(&[7u8; 32]).unwrap();
        assert!(matches!(
            other.open("smtp.password", &sealed),
            Err(SecretError::WrongKey(_))
        ));

        let env = B64.encode([7u8; 32]);
        let (from_env, source) = MasterKey::load_or_create(&dir, Some(&env)).unwrap();
        assert_eq!((source, from_env.id()), (KeySource::Env, other.id()));
        assert!(MasterKey::load_or_create(&dir, Some("short")).is_err());
        assert!(!format!("{key:?}").contains(&env));
    }

    #[test]
    fn hints_reveal_little() {
        assert_eq!(hint("sk_live_0123456789abcd"), "••••abcd");
        assert_eq!(hint("short"), "••••");
    }
}
