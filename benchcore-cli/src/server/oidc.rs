//! Tokens from an external identity provider (OpenID Connect): with `serve --oidc-issuer`,
//! an `Authorization: Bearer` value that is not an API token (`bc_…`) is read as a JWT the
//! provider signed, and its verified `email` names the user.
//!
//! The checks, each refused with 401 and a message naming it: the signature, against the
//! provider's published keys ([`jwks`]) and only with an asymmetric algorithm (`none` and
//! HMAC are refused before any key is looked at, so a provider's public key used as an HMAC
//! secret never passes); `iss` exactly the configured issuer; `aud` containing the
//! configured audience; `exp` required and `nbf` honoured, with 60 s leeway for clocks;
//! `email_verified` true when present; and a user with that email, created beforehand by an
//! administrator (a token never creates a user).

mod jwks;
mod ring_provider;

use super::error::ApiError;
use axum::http::StatusCode;
use base64::Engine as _;
use benchcore_store::{AccountStore, User};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

/// Leeway for `exp` and `nbf`: clocks of the provider and this server may differ a little.
const LEEWAY_SECONDS: u64 = 60;
/// Longest token read; real ones are a few kilobytes.
const MAX_TOKEN: usize = 16 * 1024;

/// Verifies identity-provider tokens and maps them to users. Built once per server.
pub(crate) struct OidcVerifier {
    issuer: String,
    audience: String,
    keys: jwks::Jwks,
}

impl std::fmt::Debug for OidcVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcVerifier")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// The claims read from a verified token (`exp`, `nbf` and `aud` are checked by
/// [`Validation`]). `iss` is a string here, so an array of issuers is refused.
#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    email: Option<String>,
    email_verified: Option<Value>,
}

impl OidcVerifier {
    /// A verifier of tokens from `issuer` for `audience`, whose keys are at `jwks_url` or
    /// found through the issuer's discovery document. Fetches nothing yet.
    ///
    /// # Errors
    /// The issuer or key URL is not an `https` URL (`http` is allowed for a provider on this
    /// machine), the audience is empty, or the HTTP client cannot be built.
    pub(crate) fn new(
        issuer: &str,
        audience: &str,
        jwks_url: Option<&str>,
    ) -> anyhow::Result<Self> {
        jwks::check_url("--oidc-issuer", issuer).map_err(anyhow::Error::msg)?;
        if let Some(url) = jwks_url {
            jwks::check_url("--oidc-jwks-url", url).map_err(anyhow::Error::msg)?;
        }
        if audience.trim().is_empty() {
            anyhow::bail!("--oidc-audience: must not be empty (the client id tokens are for)");
        }
        ring_provider::install();
        let client = benchcore_providers::http::client_builder()
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            keys: jwks::Jwks::new(client, issuer, jwks_url),
        })
    }

    /// The issuer tokens must come from.
    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The user a token proves to be.
    ///
    /// # Errors
    /// 401 for a token that fails any check or names no user; 503 when the provider's keys
    /// cannot be fetched and none are cached.
    pub(crate) async fn user(
        &self,
        token: &str,
        accounts: &dyn AccountStore,
    ) -> Result<User, ApiError> {
        let claims = self.verify(token).await?;
        let email = claims.email.ok_or_else(|| {
            refuse("the identity token has no `email` claim: the provider must include it")
        })?;
        let verified = match &claims.email_verified {
            None => true,
            Some(Value::Bool(verified)) => *verified,
            // Some providers send the flag as a string.
            Some(Value::String(verified)) => verified == "true",
            Some(_) => false,
        };
        if !verified {
            return Err(refuse(format!(
                "the identity token's email {email} is not verified (`email_verified` is not \
                 true)"
            )));
        }
        let found = accounts.user_by_email(email.trim()).await?;
        let Some((user, _)) = found else {
            return Err(refuse(format!(
                "no user has the email {email}: a server administrator must create the user \
                 (POST /api/users) before they sign in through the identity provider"
            )));
        };
        Ok(user)
    }

    /// The claims of a token whose signature and standard claims check out.
    async fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        if token.len() > MAX_TOKEN {
            return Err(refuse(format!(
                "the identity token is over {MAX_TOKEN} bytes"
            )));
        }
        let algorithm = algorithm_of(token)?;
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| refuse("the identity token's header is malformed"))?;
        if header.crit.is_some() {
            return Err(refuse(
                "the identity token's header lists critical extensions (`crit`) this server \
                 does not know",
            ));
        }
        let kid = header.kid.as_deref();
        let candidates = self
            .keys
            .keys(kid)
            .await
            .map_err(|jwks::Unavailable(why)| ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "unavailable",
                message: why,
                field: None,
            })?;
        let jwk = self.pick(&candidates, kid, algorithm)?;
        let key = DecodingKey::from_jwk(jwk).map_err(|e| {
            tracing::warn!(issuer = %self.issuer, kid, error = %e, "unusable identity provider key");
            refuse("the identity provider's key for this token is malformed")
        })?;
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| self.refusal(e.kind()))?
            .claims;
        if claims.iss != self.issuer {
            return Err(self.refusal(&jsonwebtoken::errors::ErrorKind::InvalidIssuer));
        }
        Ok(claims)
    }

    /// The one key that may check a token of `algorithm`: of the matching type and curve,
    /// meant for signatures, and declared for this algorithm when it declares one.
    fn pick<'k>(
        &self,
        candidates: &'k [Jwk],
        kid: Option<&str>,
        algorithm: Algorithm,
    ) -> Result<&'k Jwk, ApiError> {
        let usable: Vec<&Jwk> = candidates
            .iter()
            .filter(|jwk| fits(jwk, algorithm))
            .collect();
        match (usable.as_slice(), kid) {
            ([one], _) => Ok(one),
            ([], Some(kid)) if candidates.is_empty() => Err(refuse(format!(
                "the identity token's key `kid` {kid:?} is not one {} publishes",
                self.issuer
            ))),
            ([], Some(kid)) => Err(refuse(format!(
                "the identity provider's key {kid:?} cannot check {algorithm:?} signatures"
            ))),
            ([], None) => Err(refuse(format!(
                "the identity provider publishes no key for {algorithm:?} signatures"
            ))),
            (_, _) => Err(refuse(
                "the identity token names no key (`kid`) and the provider publishes several",
            )),
        }
    }

    /// The answer for a token jsonwebtoken refused.
    fn refusal(&self, kind: &jsonwebtoken::errors::ErrorKind) -> ApiError {
        use jsonwebtoken::errors::ErrorKind as K;
        refuse(match kind {
            K::InvalidSignature => "the identity token's signature does not verify".to_owned(),
            K::ExpiredSignature => "the identity token expired (`exp`)".to_owned(),
            K::ImmatureSignature => "the identity token is not valid yet (`nbf`)".to_owned(),
            K::InvalidIssuer => {
                format!("the identity token's issuer (`iss`) is not {}", self.issuer)
            }
            K::InvalidAudience => format!(
                "the identity token's audience (`aud`) does not include {}",
                self.audience
            ),
            K::MissingRequiredClaim(claim) => {
                format!("the identity token has no usable `{claim}` claim (missing or malformed)")
            }
            K::InvalidClaimFormat(claim) => {
                format!("the identity token's `{claim}` claim is malformed")
            }
            K::InvalidAlgorithm | K::InvalidAlgorithmName | K::InvalidKeyFormat => {
                "the identity token's algorithm does not match its key".to_owned()
            }
            _ => "the identity token is malformed".to_owned(),
        })
    }
}

/// A 401 for an identity token.
fn refuse(message: impl Into<String>) -> ApiError {
    ApiError::unauthenticated(message)
}

/// The token's `alg`, read before anything else so that `none` and HMAC are refused by
/// name rather than as a malformed header.
fn algorithm_of(token: &str) -> Result<Algorithm, ApiError> {
    let malformed = || {
        refuse(
            "the bearer token is neither an API token (`bc_…`) nor a JWT (three base64url parts \
             separated by dots)",
        )
    };
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .ok_or_else(malformed)?;
    let name = header.get("alg").and_then(Value::as_str).unwrap_or("");
    ring_provider::ACCEPTED
        .into_iter()
        .find(|accepted| format!("{accepted:?}") == name)
        .ok_or_else(|| {
            refuse(format!(
                "the identity token's algorithm (`alg`) {name:?} is refused: only signatures \
                 with the provider's published keys are accepted ({})",
                ring_provider::ACCEPTED.map(|a| format!("{a:?}")).join(", ")
            ))
        })
}

/// Whether `jwk` may check signatures of `algorithm`.
fn fits(jwk: &Jwk, algorithm: Algorithm) -> bool {
    let common = &jwk.common;
    let for_signatures = !matches!(
        common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) && common
        .key_operations
        .as_ref()
        .is_none_or(|ops| ops.contains(&KeyOperations::Verify));
    let declared = common
        .key_algorithm
        .is_none_or(|declared| format!("{declared:?}") == format!("{algorithm:?}"));
    let shape = match (&jwk.algorithm, algorithm) {
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
        ) => true,
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES384) => {
            ec.curve == EllipticCurve::P384
        }
        (AlgorithmParameters::OctetKeyPair(okp), Algorithm::EdDSA) => {
            okp.curve == EllipticCurve::Ed25519
        }
        _ => false,
    };
    for_signatures && declared && shape
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_with(header: &str) -> String {
        let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", encode(header), encode("{}"))
    }

    #[test]
    fn none_and_hmac_are_refused_by_name() {
        for alg in ["none", "HS256", "HS512", "", "rs256"] {
            let refused = algorithm_of(&token_with(&format!(r#"{{"alg":"{alg}"}}"#))).unwrap_err();
            assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
            assert!(refused.message.contains("`alg`"), "{}", refused.message);
        }
        let rs = algorithm_of(&token_with(r#"{"alg":"RS256","kid":"k"}"#)).unwrap();
        assert_eq!(rs, Algorithm::RS256);
        assert!(algorithm_of("no-dots-at-all").is_err());
        assert!(algorithm_of("a.b.c.d").is_err());
    }

    #[test]
    fn keys_fit_only_their_algorithms() {
        let rsa: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB", "use": "sig"
        }))
        .unwrap();
        assert!(fits(&rsa, Algorithm::RS256));
        assert!(fits(&rsa, Algorithm::PS256));
        assert!(!fits(&rsa, Algorithm::ES256));
        let mut declared = rsa.clone();
        declared.common.key_algorithm = Some(jsonwebtoken::jwk::KeyAlgorithm::RS512);
        assert!(!fits(&declared, Algorithm::RS256));
        let mut encryption = rsa;
        encryption.common.public_key_use = Some(PublicKeyUse::Encryption);
        assert!(!fits(&encryption, Algorithm::RS256));
        let ec: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"
        }))
        .unwrap();
        assert!(fits(&ec, Algorithm::ES384));
        assert!(!fits(&ec, Algorithm::ES256));
    }
}
