//! Content digests: short SHA-256 prefixes that tell whether a suite, a prompt or a piece of
//! code changed since a run recorded it.

use sha2::{Digest as _, Sha256};
use std::io::Read;
use std::path::Path;

/// Accumulates parts into a digest. Each part is length-prefixed, so `("ab", "c")` and
/// `("a", "bc")` differ.
///
/// ```
/// use benchcore::ContentDigest;
/// let mut a = ContentDigest::new();
/// a.part(b"ab").part(b"c");
/// let mut b = ContentDigest::new();
/// b.part(b"a").part(b"bc");
/// assert_ne!(a.finish(), b.finish());
/// ```
#[derive(Debug, Clone, Default)]
pub struct ContentDigest(Sha256);

impl ContentDigest {
    /// An empty digest.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one part.
    pub fn part(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// Adds a file's bytes as one part, streamed.
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn file(&mut self, path: &Path) -> std::io::Result<&mut Self> {
        let mut file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        self.0.update(len.to_le_bytes());
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            self.0.update(&buf[..n]);
        }
        Ok(self)
    }

    /// The first 16 hex digits of the SHA-256 of every part added.
    pub fn finish(&self) -> String {
        let digest = self.0.clone().finalize();
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The digest of one text: the first 16 hex digits of its SHA-256.
pub fn text_digest(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}
