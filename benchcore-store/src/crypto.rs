//! AES-GCM encryption of saved agents' secrets, and the keys it uses.
//!
//! - [`EncryptionKey`]: one AES key, read from `BENCHCORE_ENCRYPTION_KEY` as raw 16/24/32
//!   characters (AES-128/192/256) or hex of 32/48/64 digits (hex wins when the text parses
//!   as hex of one of those lengths). Its `Debug` never shows the key material.
//! - [`Keyring`]: the current key, an optional previous one (for reads during a rotation),
//!   and whether to rotate when a store opens.
//! - Every ciphertext is an envelope `v1:<key id>:<nonce>:<ciphertext>` (base64 without
//!   padding). The key id is the first 8 bytes of a SHA-256 of the key, in hex: it names the
//!   key that sealed the value without revealing it, so opening with the wrong key is an
//!   error naming the key id expected, never garbage.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::aes::Aes192;
use aes_gcm::{Aes128Gcm, Aes256Gcm, AesGcm, Nonce};
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine as _;
use benchcore::{StoreError, StoreErrorKind};
use sha2::{Digest, Sha256};
use std::fmt;

/// The variable holding the current key.
pub const KEY_ENV: &str = "BENCHCORE_ENCRYPTION_KEY";
/// The variable holding the previous key, read (never written with) during a rotation.
pub const PREVIOUS_KEY_ENV: &str = "BENCHCORE_ENCRYPTION_KEY_PREVIOUS";
/// `true` re-encrypts every stored secret under the current key when a store opens.
pub const ROTATE_ENV: &str = "BENCHCORE_ENCRYPTION_KEY_ROTATE_ON_START";

/// The envelope version this build writes.
const VERSION: &str = "v1";

type Aes192Gcm = AesGcm<Aes192, aes_gcm::aead::consts::U12>;

/// How a key was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum KeyFormat {
    /// The characters themselves are the key (16, 24 or 32 bytes).
    Raw,
    /// Hex digits (32, 48 or 64) spell the key.
    Hex,
}

impl fmt::Display for KeyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Raw => "raw",
            Self::Hex => "hex",
        })
    }
}

#[derive(Clone)]
enum Cipher {
    Aes128(Box<Aes128Gcm>),
    Aes192(Box<Aes192Gcm>),
    Aes256(Box<Aes256Gcm>),
}

/// One AES-GCM key. `Debug` prints its id, format and size, and `***` for the key.
#[derive(Clone)]
pub struct EncryptionKey {
    cipher: Cipher,
    format: KeyFormat,
    /// SHA-256 of the domain-separated key, hex (64 digits).
    fingerprint: String,
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("id", &self.id())
            .field("format", &self.format)
            .field("bits", &self.bits())
            .field("key", &format_args!("***"))
            .finish()
    }
}

impl EncryptionKey {
    /// Reads a key: hex of 32/48/64 digits, else raw text of 16/24/32 bytes.
    ///
    /// # Errors
    /// `Config` for any other length; the message gives the length, never the text.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let text = text.trim();
        if let Some(bytes) = decode_hex(text).filter(|b| matches!(b.len(), 16 | 24 | 32)) {
            return Self::from_bytes(&bytes, KeyFormat::Hex);
        }
        if matches!(text.len(), 16 | 24 | 32) {
            return Self::from_bytes(text.as_bytes(), KeyFormat::Raw);
        }
        Err(StoreError::new(
            StoreErrorKind::Config,
            format!(
                "the encryption key has {} characters: use 16, 24 or 32 raw characters, or \
                 32, 48 or 64 hex digits (AES-128/192/256)",
                text.chars().count()
            ),
        ))
    }

    fn from_bytes(bytes: &[u8], format: KeyFormat) -> Result<Self, StoreError> {
        let bad = |_| StoreError::new(StoreErrorKind::Config, "the encryption key is invalid");
        let cipher = match bytes.len() {
            16 => Cipher::Aes128(Box::new(Aes128Gcm::new_from_slice(bytes).map_err(bad)?)),
            24 => Cipher::Aes192(Box::new(Aes192Gcm::new_from_slice(bytes).map_err(bad)?)),
            _ => Cipher::Aes256(Box::new(Aes256Gcm::new_from_slice(bytes).map_err(bad)?)),
        };
        let mut hash = Sha256::new();
        hash.update(b"benchcore encryption key fingerprint v1\0");
        hash.update(bytes);
        Ok(Self {
            cipher,
            format,
            fingerprint: encode_hex(&hash.finalize()),
        })
    }

    /// The key's id: the first 16 hex digits of its fingerprint. Every envelope names it.
    pub fn id(&self) -> &str {
        &self.fingerprint[..16]
    }

    /// A SHA-256 fingerprint of the key (64 hex digits), which cannot be turned back into
    /// the key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// How the key was written.
    pub fn format(&self) -> KeyFormat {
        self.format
    }

    /// 128, 192 or 256.
    pub fn bits(&self) -> u32 {
        match self.cipher {
            Cipher::Aes128(_) => 128,
            Cipher::Aes192(_) => 192,
            Cipher::Aes256(_) => 256,
        }
    }

    /// Seals `plaintext` (bound to `context`, which opening must repeat) in an envelope,
    /// with a fresh random nonce from the operating system.
    ///
    /// # Errors
    /// `Encryption` when the cipher fails (it does not for inputs of sane size).
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, StoreError> {
        let payload = Payload {
            msg: plaintext,
            aad: context.as_bytes(),
        };
        let (nonce, sealed) = match &self.cipher {
            Cipher::Aes128(c) => {
                let nonce = Aes128Gcm::generate_nonce(&mut OsRng);
                (nonce, c.encrypt(&nonce, payload))
            }
            Cipher::Aes192(c) => {
                let nonce = Aes192Gcm::generate_nonce(&mut OsRng);
                (nonce, c.encrypt(&nonce, payload))
            }
            Cipher::Aes256(c) => {
                let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
                (nonce, c.encrypt(&nonce, payload))
            }
        };
        let sealed = sealed.map_err(|_| {
            StoreError::new(
                StoreErrorKind::Encryption,
                format!("cannot encrypt {context} with key {}", self.id()),
            )
        })?;
        Ok(format!(
            "{VERSION}:{}:{}:{}",
            self.id(),
            B64.encode(nonce),
            B64.encode(sealed)
        ))
    }

    /// Opens an envelope this key sealed for `context`.
    fn open_envelope(&self, envelope: &Envelope<'_>, context: &str) -> Result<Vec<u8>, StoreError> {
        let bad = || {
            StoreError::new(
                StoreErrorKind::Encryption,
                format!(
                    "{context}: does not decrypt with key {} although that key sealed it: \
                     the stored value was changed or belongs to another record",
                    self.id()
                ),
            )
        };
        let nonce = B64.decode(envelope.nonce).map_err(|_| bad())?;
        let sealed = B64.decode(envelope.sealed).map_err(|_| bad())?;
        if nonce.len() != 12 {
            return Err(bad());
        }
        let nonce = Nonce::from_slice(&nonce);
        let payload = Payload {
            msg: &sealed,
            aad: context.as_bytes(),
        };
        match &self.cipher {
            Cipher::Aes128(c) => c.decrypt(nonce, payload),
            Cipher::Aes192(c) => c.decrypt(nonce, payload),
            Cipher::Aes256(c) => c.decrypt(nonce, payload),
        }
        .map_err(|_| bad())
    }
}

/// The parts of a `v1:<key id>:<nonce>:<ciphertext>` envelope.
struct Envelope<'a> {
    key_id: &'a str,
    nonce: &'a str,
    sealed: &'a str,
}

impl<'a> Envelope<'a> {
    fn parse(text: &'a str, context: &str) -> Result<Self, StoreError> {
        let mut parts = text.split(':');
        match (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) {
            (Some(VERSION), Some(key_id), Some(nonce), Some(sealed), None) => Ok(Self {
                key_id,
                nonce,
                sealed,
            }),
            _ => Err(StoreError::new(
                StoreErrorKind::Corrupt,
                format!("{context}: the stored secret is not a {VERSION} envelope"),
            )),
        }
    }
}

/// The id of the key that sealed an envelope, when it is one.
pub fn envelope_key_id(envelope: &str) -> Option<&str> {
    Envelope::parse(envelope, "").ok().map(|e| e.key_id)
}

/// The keys a store seals and opens secrets with: the current one (every write), a previous
/// one (reads during a rotation), and whether to rotate when the store opens.
///
/// `Debug` shows key ids only.
#[derive(Clone, Default)]
pub struct Keyring {
    current: Option<EncryptionKey>,
    previous: Option<EncryptionKey>,
    rotate_on_start: bool,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.as_ref().map(EncryptionKey::id))
            .field("previous", &self.previous.as_ref().map(EncryptionKey::id))
            .field("rotate_on_start", &self.rotate_on_start)
            .finish()
    }
}

impl Keyring {
    /// No key: saving an agent with secrets fails, saving one without works.
    pub fn none() -> Self {
        Self::default()
    }

    /// `current` for every write and read.
    pub fn new(current: EncryptionKey) -> Self {
        Self {
            current: Some(current),
            ..Self::default()
        }
    }

    /// Reads `BENCHCORE_ENCRYPTION_KEY`, `BENCHCORE_ENCRYPTION_KEY_PREVIOUS` and
    /// `BENCHCORE_ENCRYPTION_KEY_ROTATE_ON_START`; unset or empty variables mean none.
    ///
    /// # Errors
    /// `Config` naming the variable whose key has a bad length, or a rotate flag that is
    /// not a boolean.
    pub fn from_env() -> Result<Self, StoreError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let key = |name: &str| {
            var(name)
                .map(|text| {
                    EncryptionKey::parse(&text).map_err(|mut e| {
                        e.message = format!("{name}: {}", e.message);
                        e
                    })
                })
                .transpose()
        };
        let rotate = match var(ROTATE_ENV).map(|v| v.trim().to_ascii_lowercase()) {
            None => false,
            Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => true,
            Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off") => false,
            Some(v) => {
                return Err(StoreError::new(
                    StoreErrorKind::Config,
                    format!("{ROTATE_ENV}: {v:?} is not true or false"),
                ))
            }
        };
        Ok(Self {
            current: key(KEY_ENV)?,
            previous: key(PREVIOUS_KEY_ENV)?,
            rotate_on_start: rotate,
        })
    }

    /// Adds the previous key, tried when an envelope names it.
    pub fn with_previous(mut self, previous: EncryptionKey) -> Self {
        self.previous = Some(previous);
        self
    }

    /// Sets whether opening a store re-encrypts every secret under the current key.
    pub fn rotate_on_start(mut self, rotate: bool) -> Self {
        self.rotate_on_start = rotate;
        self
    }

    /// The key every write uses.
    pub fn current(&self) -> Option<&EncryptionKey> {
        self.current.as_ref()
    }

    /// The key kept for reads during a rotation.
    pub fn previous(&self) -> Option<&EncryptionKey> {
        self.previous.as_ref()
    }

    /// Whether opening a store rotates.
    pub fn rotates_on_start(&self) -> bool {
        self.rotate_on_start
    }

    /// Seals with the current key.
    ///
    /// # Errors
    /// `Encryption` when no key is loaded, naming the variable to set.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, StoreError> {
        let key = self.current.as_ref().ok_or_else(|| {
            StoreError::new(
                StoreErrorKind::Encryption,
                format!("{context}: no encryption key is loaded: set {KEY_ENV}"),
            )
        })?;
        key.seal(plaintext, context)
    }

    /// Opens an envelope with whichever loaded key sealed it.
    ///
    /// # Errors
    /// `Encryption` naming the key id the envelope needs when neither key has it, or when
    /// the value does not decrypt; `Corrupt` when it is not an envelope.
    pub fn open(&self, envelope: &str, context: &str) -> Result<Vec<u8>, StoreError> {
        let parsed = Envelope::parse(envelope, context)?;
        let key = [self.current.as_ref(), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.id() == parsed.key_id);
        match key {
            Some(key) => key.open_envelope(&parsed, context),
            None => {
                let loaded: Vec<&str> = [self.current.as_ref(), self.previous.as_ref()]
                    .into_iter()
                    .flatten()
                    .map(EncryptionKey::id)
                    .collect();
                let loaded = if loaded.is_empty() {
                    "no key is loaded".to_owned()
                } else {
                    format!("the loaded keys are {}", loaded.join(", "))
                };
                Err(StoreError::new(
                    StoreErrorKind::Encryption,
                    format!(
                        "{context}: sealed with key {}, but {loaded}: set {KEY_ENV} (or \
                         {PREVIOUS_KEY_ENV} during a rotation) to the key with id {}",
                        parsed.key_id, parsed.key_id
                    ),
                ))
            }
        }
    }
}

/// The context the sentinel is sealed for.
pub(crate) const SENTINEL_CONTEXT: &str = "benchcore encryption sentinel";
/// The sentinel's plaintext.
pub(crate) const SENTINEL: &[u8] = b"benchcore-sentinel-v1";

/// The context a saved agent's secrets are sealed for: a blob moved to another row does not
/// open.
pub(crate) fn agent_context(workspace: &str, name: &str) -> String {
    format!("saved agent {name:?} of workspace {workspace:?}")
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX64: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn formats_and_sizes() {
        for (text, format, bits) in [
            ("0123456789abcdef", KeyFormat::Raw, 128),
            ("0123456789abcdefghijklmn", KeyFormat::Raw, 192),
            ("0123456789abcdefghijklmnopqrstuv", KeyFormat::Raw, 256),
            (&HEX64[..32], KeyFormat::Hex, 128),
            (&HEX64[..48], KeyFormat::Hex, 192),
            (HEX64, KeyFormat::Hex, 256),
        ] {
            let key = EncryptionKey::parse(text).unwrap();
            assert_eq!((key.format(), key.bits()), (format, bits), "{text}");
            assert_eq!(key.id().len(), 16);
            let sealed = key.seal(b"hello", "ctx").unwrap();
            assert!(sealed.starts_with(&format!("v1:{}:", key.id())), "{sealed}");
            let ring = Keyring::new(key);
            assert_eq!(ring.open(&sealed, "ctx").unwrap(), b"hello");
            assert!(ring.open(&sealed, "other").is_err());
        }
        // 32 characters that are not all hex: a raw 256-bit key.
        let raw = EncryptionKey::parse("0123456789abcdef0123456789abcdeg").unwrap();
        assert_eq!((raw.format(), raw.bits()), (KeyFormat::Raw, 256));
        let err = EncryptionKey::parse("short-secret").unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Config);
        assert!(!err.message.contains("short-secret"), "{err}");
    }

    #[test]
    fn wrong_keys_are_named_and_previous_keys_read() {
        let old = EncryptionKey::parse("old-key-old-key-old-key-old-key!").unwrap();
        let new = EncryptionKey::parse(HEX64).unwrap();
        let sealed = old.seal(b"sk-123", "ctx").unwrap();
        let err = Keyring::new(new.clone()).open(&sealed, "ctx").unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Encryption);
        assert!(err.message.contains(old.id()), "{err}");
        assert!(err.message.contains(new.id()), "{err}");
        let ring = Keyring::new(new).with_previous(old);
        assert_eq!(ring.open(&sealed, "ctx").unwrap(), b"sk-123");
        assert!(Keyring::none().seal(b"x", "ctx").is_err());
        // Two seals of one value differ (fresh nonces).
        assert_ne!(ring.seal(b"x", "c").unwrap(), ring.seal(b"x", "c").unwrap());
    }

    #[test]
    fn debug_hides_the_key() {
        let key = EncryptionKey::parse("supersecretvalue").unwrap();
        let text = format!("{key:?} {:?}", Keyring::new(key.clone()));
        assert!(!text.contains("supersecretvalue"), "{text}");
        assert!(text.contains("***") && text.contains(key.id()), "{text}");
    }
}
