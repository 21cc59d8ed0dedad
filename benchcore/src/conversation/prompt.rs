//! [`Prompt`]: a side's instructions, read from `prompts/<name>.txt`, with an id that is a
//! hash of its content.

use crate::{SuiteError, SuiteErrorKind};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A prompt file: its name (the file stem), its id and its text.
///
/// The id is the first 16 hex digits of the SHA-256 of the text with line endings made
/// `\n`: the same text has the same id on every machine and in every checkout, and any
/// edit gives a new id, so runs record exactly which prompt they used.
///
/// ```
/// use benchcore::conversation::Prompt;
/// let a = Prompt::new("interviewer", "Ask about mornings.\n");
/// let b = Prompt::new("renamed", "Ask about mornings.\r\n");
/// assert_eq!(a.id, b.id);
/// assert_eq!(a.id.len(), 16);
/// assert_ne!(a.id, Prompt::new("interviewer", "Ask about evenings.\n").id);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Prompt {
    /// The name: the file is `prompts/<name>.txt`.
    pub name: String,
    /// The hash of the text (see [`prompt_id`]).
    pub id: String,
    /// The text, as read.
    pub text: String,
}

impl Prompt {
    /// A prompt from its name and text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            name: name.into(),
            id: prompt_id(&text),
            text,
        }
    }

    /// The file a prompt of this name is read from: `<prompts_dir>/<name>.txt`.
    pub fn path(prompts_dir: &Path, name: &str) -> PathBuf {
        prompts_dir.join(format!("{name}.txt"))
    }

    /// Reads `<prompts_dir>/<name>.txt`.
    ///
    /// # Errors
    /// The name is not a plain file name, or the file cannot be read or is empty; the error
    /// names the file.
    pub fn load(prompts_dir: &Path, name: &str) -> Result<Self, SuiteError> {
        check_name(name).map_err(|why| SuiteError::new(SuiteErrorKind::Malformed, why))?;
        let path = Self::path(prompts_dir, name);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            SuiteError::new(
                SuiteErrorKind::Io,
                format!("cannot read prompt `{name}`: {e}"),
            )
            .at(&path, None)
        })?;
        if text.trim().is_empty() {
            return Err(SuiteError::new(
                SuiteErrorKind::Malformed,
                format!("prompt `{name}` is empty"),
            )
            .at(&path, None));
        }
        Ok(Self::new(name, text))
    }
}

/// The stable id of a prompt's text: the first 16 hex digits of the SHA-256 of the text
/// with `\r\n` and `\r` made `\n`.
pub fn prompt_id(text: &str) -> String {
    crate::digest::text_digest(&text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// A prompt name is a plain file stem: letters, digits, `-`, `_` and `.`, not starting with
/// a dot.
pub(super) fn check_name(name: &str) -> Result<(), String> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a prompt name: use the stem of a file in prompts/ (letters, \
             digits, - _ .), such as `interviewer` for prompts/interviewer.txt"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_hashes_of_the_content() {
        // SHA-256("hello\n") starts 5891b5b522d5df08.
        assert_eq!(prompt_id("hello\n"), "5891b5b522d5df08");
        assert_eq!(prompt_id("hello\r\n"), "5891b5b522d5df08");
    }

    #[test]
    fn names_are_plain_stems() {
        assert!(check_name("coffee_interviewer-v2.1").is_ok());
        for bad in ["", "../x", "a/b", ".hidden", "a b"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn loading_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = Prompt::load(dir.path(), "missing").unwrap_err();
        assert!(err.to_string().contains("missing.txt"), "{err}");
        std::fs::write(dir.path().join("blank.txt"), " \n").unwrap();
        let err = Prompt::load(dir.path(), "blank").unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
        std::fs::write(dir.path().join("ok.txt"), "Be kind.\n").unwrap();
        let prompt = Prompt::load(dir.path(), "ok").unwrap();
        assert_eq!(
            (prompt.name.as_str(), prompt.text.as_str()),
            ("ok", "Be kind.\n")
        );
    }
}
