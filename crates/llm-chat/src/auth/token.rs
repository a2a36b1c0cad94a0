//! Access tokens: HS256/384/512 JWTs naming a user and a session. The
//! algorithm is pinned, so `alg: none` or a different algorithm is refused.

use crate::config::{Secret, TokenAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// user id
    pub sub: String,
    /// session id; revoking the session ends the token
    pub sid: String,
    /// issued at, seconds since the epoch
    pub iat: u64,
    /// expires at, seconds since the epoch
    pub exp: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token has expired; sign in again")]
    Expired,
    #[error("the access token is not valid; sign in again")]
    Invalid,
    #[error("the access token could not be created")]
    Signing,
}

pub struct TokenCodec {
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenCodec {
    pub fn new(secret: &Secret, algorithm: TokenAlgorithm) -> TokenCodec {
        let algorithm = match algorithm {
            TokenAlgorithm::Hs256 => Algorithm::HS256,
            TokenAlgorithm::Hs384 => Algorithm::HS384,
            TokenAlgorithm::Hs512 => Algorithm::HS512,
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        TokenCodec {
            algorithm,
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
        }
    }

    pub fn encode(&self, claims: &Claims) -> Result<String, TokenError> {
        jsonwebtoken::encode(&Header::new(self.algorithm), claims, &self.encoding).map_err(|_| TokenError::Signing)
    }

    pub fn decode(&self, token: &str) -> Result<Claims, TokenError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(secret: &str) -> TokenCodec {
        TokenCodec::new(&Secret::new(secret.into()), TokenAlgorithm::Hs256)
    }

    fn claims(exp: u64) -> Claims {
        Claims {
            sub: "u".into(),
            sid: "s".into(),
            iat: 0,
            exp,
        }
    }

    #[test]
    fn a_token_round_trips_with_its_key_only() {
        let token = codec("one").encode(&claims(u64::MAX / 2)).unwrap();
        assert_eq!(codec("one").decode(&token).unwrap().sid, "s");
        assert_eq!(codec("two").decode(&token), Err(TokenError::Invalid));
    }

    #[test]
    fn expired_tokens_are_refused() {
        let token = codec("k").encode(&claims(1)).unwrap();
        assert_eq!(codec("k").decode(&token), Err(TokenError::Expired));
    }
}
