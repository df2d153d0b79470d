//! argon2id password hashing.

use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{AppError, AppResult};

fn hasher() -> Argon2<'static> {
    // OWASP's second recommended argon2id setting (19 MiB, 2 passes, 1 lane).
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 params are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Minimum password length for accounts created through the API or CLI.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// # Errors
/// INVALID_INPUT for a password shorter than [`MIN_PASSWORD_CHARS`] or longer than 1024 bytes.
pub fn hash(password: &str) -> AppResult<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > 1024 {
        return Err(AppError::invalid(format!(
            "password must be {MIN_PASSWORD_CHARS} to 1024 characters"
        )));
    }
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(e.to_string().into()))
}

/// Constant-time verification against a stored PHC string; a malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// How many password hashes may be computed at once. argon2 costs ~19 MiB and tens of
/// milliseconds of CPU each; unbounded, a flood of logins would starve every other request.
const CONCURRENT_HASHES: usize = 2;

static PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_HASHES);

/// [`verify`] on the blocking pool, at most [`CONCURRENT_HASHES`] at a time, so the async
/// workers keep serving other requests while logins are checked.
pub async fn verify_off_thread(password: &str, phc: String) -> bool {
    let Ok(_permit) = PERMITS.acquire().await else {
        return false;
    };
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || verify(&password, &phc))
        .await
        .unwrap_or(false)
}

/// [`hash`] on the blocking pool, sharing the bound of [`verify_off_thread`].
///
/// # Errors
/// As [`hash`]; INTERNAL if the hashing thread fails.
pub async fn hash_off_thread(password: &str) -> AppResult<String> {
    let _permit = PERMITS
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.to_string().into()))?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| AppError::Internal(e.to_string().into()))?
}

/// A hash of a random password, verified against when the user does not exist so that
/// "unknown user" and "wrong password" take the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not-a-real-password-0000").expect("dummy hash"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let h = super::hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("correct horse", &h));
        assert!(!super::verify("wrong horse", &h));
        assert!(!super::verify("x", "not a hash"));
        assert!(super::hash("short").is_err());
    }
}
