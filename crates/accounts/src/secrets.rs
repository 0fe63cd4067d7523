//! Passwords, session ids and API tokens.
//!
//! Passwords are hashed with argon2id. Session ids and API tokens are 256-bit random secrets
//! that only the client holds; the database stores their SHA-256, so a leaked database copy
//! opens no session and no token.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

/// How much work a password hash costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCost {
    /// argon2id's recommended defaults (19 MiB, 2 passes): what deployments use.
    Standard,
    /// The minimum argon2 allows; for tests only, where debug builds make the standard
    /// cost take most of a second.
    TestOnly,
}

impl PasswordCost {
    fn hasher(self) -> Argon2<'static> {
        let params = match self {
            PasswordCost::Standard => Params::default(),
            PasswordCost::TestOnly => {
                Params::new(Params::MIN_M_COST, Params::MIN_T_COST, 1, None).unwrap_or_default()
            }
        };
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    pub(crate) fn hash_password(self, password: &str) -> Result<String, String> {
        self.hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    }
}

/// Checks `password` against a stored PHC string (its own parameters are used).
pub(crate) fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A new random secret: `prefix` + 64 hex digits (256 bits from the OS).
pub fn new_secret(prefix: &str) -> Result<String, getrandom::Error> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf)?;
    Ok(format!("{prefix}{}", hex::encode(buf)))
}

/// What the database keeps of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip() {
        let h = PasswordCost::TestOnly
            .hash_password("correct horse")
            .unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret("ydx_").unwrap();
        let b = new_secret("ydx_").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 64);
        assert_ne!(hash_secret(&a), a);
    }
}
