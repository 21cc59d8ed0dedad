//! jsonwebtoken's signature checks, done by ring.
//!
//! jsonwebtoken 10 leaves its crypto backend to the application. Its two built-in backends
//! would each bring a second crypto library into a tree that already has ring (through
//! rustls): aws-lc, or RustCrypto's `rsa` with its open timing advisory. This provider
//! verifies with ring instead. It only verifies: signing is refused, and so is HMAC, so a
//! token "signed" with a provider's public key used as an HMAC secret never verifies.

use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::signature;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::signature as ring_sig;

/// The provider: ring verifiers, no signers, no JWK helpers (keys are built from their
/// components, which needs none).
static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: no_signer,
    verifier_factory: verifier,
    jwk_utils: JwkUtils::new_unimplemented(),
};

/// Makes ring jsonwebtoken's provider for this process. Idempotent: a second call finds it
/// installed and leaves it.
pub(super) fn install() {
    let _already_installed = PROVIDER.install_default();
}

/// The algorithms this provider verifies.
pub(super) const ACCEPTED: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

fn no_signer(_: &Algorithm, _: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    Err(ErrorKind::Provider("this server verifies tokens; it signs none".to_owned()).into())
}

/// How ring checks one algorithm.
#[derive(Clone, Copy)]
enum Check {
    /// RSA, whose keys come as a modulus and exponent (a JWK) or as DER.
    Rsa(&'static ring_sig::RsaParameters),
    /// ECDSA or EdDSA over a raw public key (`0x04 ‖ x ‖ y`, or Ed25519's 32 bytes).
    Raw(
        &'static dyn ring_sig::VerificationAlgorithm,
        AlgorithmFamily,
    ),
}

fn check_for(algorithm: Algorithm) -> Option<Check> {
    use ring_sig as s;
    Some(match algorithm {
        Algorithm::RS256 => Check::Rsa(&s::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => Check::Rsa(&s::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => Check::Rsa(&s::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => Check::Rsa(&s::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => Check::Rsa(&s::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => Check::Rsa(&s::RSA_PSS_2048_8192_SHA512),
        Algorithm::ES256 => Check::Raw(&s::ECDSA_P256_SHA256_FIXED, AlgorithmFamily::Ec),
        Algorithm::ES384 => Check::Raw(&s::ECDSA_P384_SHA384_FIXED, AlgorithmFamily::Ec),
        Algorithm::EdDSA => Check::Raw(&s::ED25519, AlgorithmFamily::Ed),
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => return None,
    })
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    let check = check_for(*algorithm).ok_or(ErrorKind::InvalidAlgorithm)?;
    let family = match check {
        Check::Rsa(_) => AlgorithmFamily::Rsa,
        Check::Raw(_, family) => family,
    };
    if key.family() != family {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    Ok(Box::new(RingVerifier {
        algorithm: *algorithm,
        check,
        key: key.kind().clone(),
    }))
}

/// One key, checking signatures of one algorithm.
struct RingVerifier {
    algorithm: Algorithm,
    check: Check,
    key: DecodingKeyKind,
}

impl signature::Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, message: &[u8], sig: &Vec<u8>) -> Result<(), signature::Error> {
        let verified = match (&self.key, self.check) {
            (DecodingKeyKind::RsaModulusExponent { n, e }, Check::Rsa(params)) => {
                ring_sig::RsaPublicKeyComponents { n, e }.verify(params, message, sig)
            }
            (DecodingKeyKind::SecretOrDer(der), Check::Rsa(params)) => {
                ring_sig::UnparsedPublicKey::new(params, der).verify(message, sig)
            }
            (DecodingKeyKind::SecretOrDer(raw), Check::Raw(algorithm, _)) => {
                ring_sig::UnparsedPublicKey::new(algorithm, raw).verify(message, sig)
            }
            (DecodingKeyKind::RsaModulusExponent { .. }, Check::Raw(..)) => {
                return Err(signature::Error::new())
            }
        };
        verified.map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_and_mismatched_keys_are_refused() {
        let secret = DecodingKey::from_secret(b"a public key used as a secret");
        assert!(verifier(&Algorithm::HS256, &secret).is_err());
        assert!(verifier(&Algorithm::RS256, &secret).is_err());
        let rsa = DecodingKey::from_rsa_raw_components(&[1; 256], &[1, 0, 1]);
        assert!(verifier(&Algorithm::ES256, &rsa).is_err());
        assert!(verifier(&Algorithm::RS256, &rsa).is_ok());
        assert!(no_signer(&Algorithm::RS256, &EncodingKey::from_secret(b"k")).is_err());
    }

    #[test]
    fn a_wrong_signature_does_not_verify() {
        let rsa = DecodingKey::from_rsa_raw_components(&[0xc1; 256], &[1, 0, 1]);
        let check = verifier(&Algorithm::RS256, &rsa).unwrap();
        assert!(signature::Verifier::verify(&*check, b"message", &vec![7; 256]).is_err());
    }
}
