//! Secrets and password hashes: random opaque tokens (only their SHA-256 is stored) and argon2id.

use std::fmt;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRng;
use rand::rngs::SysRng;
use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

/// Random bytes in every secret (256 bits).
const SECRET_BYTES: usize = 32;

/// A secret shown once to its owner — a session cookie value or an API token — and never
/// stored. Its `Debug` does not show it; [`Secret::expose`] does.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret's text, to put in a cookie or show to the user once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret's text, consuming it.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// 32 bytes from the operating system's random generator, base64url without padding
/// (43 characters), after `prefix`.
pub(crate) fn new_secret(prefix: &str) -> Result<Secret> {
    let mut bytes = [0u8; SECRET_BYTES];
    SysRng.try_fill_bytes(&mut bytes).map_err(|e| {
        StoreError::Internal(format!(
            "the operating system's random generator failed: {e}"
        ))
    })?;
    Ok(Secret(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))))
}

/// What is stored for a secret: its SHA-256, lower-case hex. Secrets carry 256 random bits, so
/// a fast unsalted hash is enough: nobody can guess them, and a database leak yields no secret.
pub(crate) fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares without stopping at the first difference.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An argon2id hash (default parameters) of a password nobody knows. Logins of unknown
/// usernames are checked against it, so that they cost as much as logins of known ones and
/// timing does not tell which usernames exist. A test checks its parameters are the defaults.
pub(crate) const DUMMY_PASSWORD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$\
    tyQyhNgrLQwGCFHIGl5RjA$AVle0Lta6IAkqss+uLZywKJTJ8UFWoUFsrhypVg+l+c";

/// Hashes `password` with argon2id, default parameters and a random salt, into a PHC string.
/// Runs on tokio's blocking pool: a hash takes tens of milliseconds.
pub(crate) async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| StoreError::Internal(format!("hashing a password failed: {e}")))
    })
    .await
    .map_err(|e| StoreError::Internal(format!("the password hashing task failed: {e}")))?
}

/// Whether `password` matches the PHC string `hash` (its own parameters are used).
/// A hash that cannot be parsed is [`StoreError::Corrupt`].
pub(crate) async fn verify_password(password: &str, hash: String) -> Result<bool> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        match Argon2::default().verify_password(password.as_bytes(), hash.as_str()) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
            Err(e) => Err(StoreError::Corrupt(format!(
                "a stored password hash cannot be used ({e}); set that user's password again"
            ))),
        }
    })
    .await
    .map_err(|e| StoreError::Internal(format!("the password checking task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_prefixed() {
        let a = new_secret("nvt_").unwrap();
        let b = new_secret("nvt_").unwrap();
        assert_ne!(a, b);
        assert!(a.expose().starts_with("nvt_"));
        assert_eq!(a.expose().len(), 4 + 43);
        assert!(
            a.expose()[4..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(format!("{a:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn secret_hash_is_sha256_hex() {
        assert_eq!(
            secret_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(
            verify_password("correct horse", hash.clone())
                .await
                .unwrap()
        );
        assert!(!verify_password("correct horsE", hash).await.unwrap());
        assert!(matches!(
            verify_password("x", "not a hash".into()).await,
            Err(StoreError::Corrupt(_))
        ));
    }

    /// The dummy costs what a real hash costs: same algorithm, version and parameters.
    #[tokio::test]
    async fn dummy_hash_has_the_default_parameters() {
        let real = hash_password("whatever-password").await.unwrap();
        let params = |phc: &str| phc.split('$').take(4).collect::<Vec<_>>().join("$");
        assert_eq!(params(DUMMY_PASSWORD_HASH), params(&real));
        assert!(
            !verify_password("", DUMMY_PASSWORD_HASH.into())
                .await
                .unwrap()
        );
    }
}
