//! Signed JWTs: HS256 pinned; exp, iss, aud and sub required; exp, nbf and iat checked
//! against the wall clock with the same small leeway (a token "issued" or "valid from" in the
//! future was not issued by this service's clock).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

pub const ISSUER: &str = "duban";
pub const AUDIENCE: &str = "duban-api";
/// Clock skew tolerated between replicas, for exp, nbf and iat alike.
pub const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// Not valid before (unix seconds); this service does not write it, but honours it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The user's credential generation when the token was issued (see `user.token_generation`).
    #[serde(default, rename = "gen")]
    pub generation: i32,
}

/// The parts of a verified token the service acts on.
#[derive(Clone, Copy, Debug)]
pub struct Verified {
    pub user_id: i64,
    pub generation: i32,
    /// `exp`, unix seconds.
    pub expires_at: i64,
}

/// Keys derived once from the configured secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_seconds: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_hours: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_seconds: ttl_hours.max(1) * 3600,
        }
    }

    /// Issues a token for `user_id` in credential generation `generation`, valid from `now` (unix
    /// seconds).
    pub fn issue(&self, user_id: i64, generation: i32, now: i64) -> AppResult<(String, i64)> {
        let exp = now + self.ttl_seconds;
        let claims = Claims {
            sub: user_id.to_string(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp,
            nbf: None,
            generation,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)?;
        Ok((token, exp))
    }

    /// The user id of a valid token; any defect is UNAUTHENTICATED.
    pub fn verify(&self, token: &str) -> AppResult<i64> {
        self.verify_issued(token).map(|(user, _)| user)
    }

    /// The user id and the credential generation of a valid token.
    pub fn verify_issued(&self, token: &str) -> AppResult<(i64, i32)> {
        self.verify_claims(token).map(|c| (c.user_id, c.generation))
    }

    /// What a valid token says: whose it is, of which credential generation, until when.
    pub fn verify_claims(&self, token: &str) -> AppResult<Verified> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| AppError::Unauthenticated)?;
        let now = jsonwebtoken::get_current_timestamp() as i64;
        if data.claims.iat > now + LEEWAY_SECONDS as i64 {
            return Err(AppError::Unauthenticated);
        }
        let user = data
            .claims
            .sub
            .parse()
            .map_err(|_| AppError::Unauthenticated)?;
        Ok(Verified {
            user_id: user,
            generation: data.claims.generation,
            expires_at: data.claims.exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_and_verify() {
        let keys = TokenKeys::new(&[7u8; 32], 1);
        let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap();
        let (t, _) = keys.issue(42, 0, now).unwrap();
        assert_eq!(keys.verify(&t).unwrap(), 42);
        let other = TokenKeys::new(&[8u8; 32], 1);
        assert!(other.verify(&t).is_err());
        let (old, _) = keys.issue(42, 0, now - 10 * 3600).unwrap();
        assert!(keys.verify(&old).is_err(), "expired token accepted");
        assert!(keys.verify("garbage").is_err());
    }

    fn signed(claims: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&[7u8; 32]),
        )
        .unwrap()
    }

    #[test]
    fn future_nbf_and_iat_are_refused() {
        let keys = TokenKeys::new(&[7u8; 32], 1);
        let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap();
        let claims = |iat: i64, nbf: Option<i64>| {
            let mut c = serde_json::json!({
                "sub": "42", "iss": ISSUER, "aud": AUDIENCE, "iat": iat, "exp": now + 3600,
            });
            if let Some(n) = nbf {
                c["nbf"] = n.into();
            }
            signed(c)
        };
        assert_eq!(keys.verify(&claims(now, None)).unwrap(), 42);
        assert_eq!(
            keys.verify(&claims(now + 10, Some(now + 10))).unwrap(),
            42,
            "within leeway"
        );
        assert!(
            keys.verify(&claims(now + 3600, None)).is_err(),
            "iat in the future"
        );
        assert!(
            keys.verify(&claims(now, Some(now + 3600))).is_err(),
            "nbf in the future"
        );
    }
}
