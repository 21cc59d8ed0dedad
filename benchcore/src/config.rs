//! The one loader of configuration files: agents, judges, price tables, quality metrics and
//! conversation scenarios are all read through [`ConfigText`].
//!
//! A file is TOML when its name ends in `.toml` (any case) and JSON otherwise. Every error is
//! a [`ConfigError`] naming the file, the line when the parser knows it, and the dotted path
//! of the field it is about (`agents.1.model`), so a user can go straight to the mistake.
//!
//! ```
//! use benchcore::config::{ConfigText, Format};
//! use serde::Deserialize;
//!
//! #[derive(Debug, Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct Limits {
//!     max_turns: u32,
//! }
//!
//! #[derive(Debug, Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct File {
//!     limits: Limits,
//! }
//!
//! let err = ConfigText::new("[limits]\nmax_turns = \"many\"\n", Format::Toml)
//!     .parse::<File>()
//!     .unwrap_err();
//! assert_eq!((err.line, err.field.as_deref()), (Some(2), Some("limits.max_turns")));
//! assert!(err.message.starts_with("invalid type: string \"many\", expected u32"));
//! ```

use crate::ConfigError;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// The syntax a config is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// JSON.
    Json,
    /// TOML.
    Toml,
}

impl Format {
    /// The format a file's name says: TOML for `.toml` (any case), JSON for anything else.
    pub fn of(path: &Path) -> Self {
        let is_toml = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        if is_toml {
            Format::Toml
        } else {
            Format::Json
        }
    }
}

/// A config's text, the format it is read in, and the file it came from (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigText {
    text: String,
    format: Format,
    path: Option<PathBuf>,
}

impl ConfigText {
    /// Text given directly (not read from a file).
    pub fn new(text: impl Into<String>, format: Format) -> Self {
        Self {
            text: text.into(),
            format,
            path: None,
        }
    }

    /// Reads a file, in the format its name says (see [`Format::of`]). `what` names the file
    /// in the error (`"agent file"` gives "cannot read the agent file: …").
    ///
    /// # Errors
    /// The file cannot be read; the error names it.
    pub fn read(path: impl AsRef<Path>, what: &str) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|err| {
            ConfigError::new(format!("cannot read the {what}: {err}")).in_file(path, None)
        })?;
        Ok(Self {
            text,
            format: Format::of(path),
            path: Some(path.to_owned()),
        })
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The format it is read in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The file it came from.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Reads the text as a `T`.
    ///
    /// # Errors
    /// The text does not parse, or does not describe a `T`: the error has the parser's
    /// message (with the column when it is known), the line, the dotted path of the field
    /// where it happened, and the file.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        let parsed = match self.format {
            Format::Json => self.parse_json(),
            Format::Toml => self.parse_toml(),
        };
        parsed.map_err(|err| self.locate(err))
    }

    /// Reads the text as a `T`, then checks it with `check` (a config's `validate`); either
    /// error names the file.
    ///
    /// # Errors
    /// As [`parse`](Self::parse), or what `check` finds.
    pub fn parse_checked<T: DeserializeOwned>(
        &self,
        check: impl FnOnce(&T) -> Result<(), ConfigError>,
    ) -> Result<T, ConfigError> {
        let value = self.parse()?;
        check(&value).map_err(|err| self.locate(err))?;
        Ok(value)
    }

    /// Names this text's file in `err`, keeping the line `err` has.
    pub fn locate(&self, err: ConfigError) -> ConfigError {
        match &self.path {
            Some(path) => {
                let line = err.line;
                err.in_file(path, line)
            }
            None => err,
        }
    }

    /// The first line that sets the last named key of a dotted field (`ending.end_phrases`
    /// finds `end_phrases = …` or `"end_phrases": …`): where a value that parsed but did not
    /// validate most likely is.
    pub fn line_of_field(&self, field: &str) -> Option<usize> {
        let key = field
            .split('.')
            .rev()
            .find(|part| !part.chars().all(|c| c.is_ascii_digit()))?;
        self.text
            .lines()
            .position(|line| {
                let line = line.trim_start();
                let rest = line
                    .strip_prefix(&format!("\"{key}\""))
                    .or_else(|| line.strip_prefix(key));
                rest.is_some_and(|r| {
                    let r = r.trim_start();
                    r.starts_with('=') || r.starts_with(':')
                })
            })
            .map(|i| i + 1)
    }

    /// Line `line` (1-based), trimmed, when it exists.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        self.text.lines().nth(line.checked_sub(1)?).map(str::trim)
    }

    fn parse_json<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        let mut deserializer = serde_json::Deserializer::from_str(&self.text);
        let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
            let field = dotted(err.path());
            with_field(json_error(err.inner()), field)
        })?;
        deserializer.end().map_err(|err| json_error(&err))?;
        Ok(value)
    }

    fn parse_toml<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        let deserializer =
            toml::Deserializer::parse(&self.text).map_err(|err| self.toml_error(&err))?;
        serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let field = dotted(err.path());
            with_field(self.toml_error(err.inner()), field)
        })
    }

    fn toml_error(&self, err: &toml::de::Error) -> ConfigError {
        let mut config_error = ConfigError::new(err.message().trim());
        if let Some(span) = err.span() {
            let before = &self.text[..span.start.min(self.text.len())];
            let column = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
            config_error.line = Some(before.matches('\n').count() + 1);
            config_error.message = format!("{} (column {column})", config_error.message);
        }
        config_error
    }
}

/// Reads and parses a file (see [`ConfigText::read`] and [`ConfigText::parse`]).
///
/// # Errors
/// The file cannot be read or parsed; the error names the file, the line and the field.
pub fn load_file<T: DeserializeOwned>(
    path: impl AsRef<Path>,
    what: &str,
) -> Result<T, ConfigError> {
    ConfigText::read(path, what)?.parse()
}

/// Reads a value already parsed (a config stored in a run spec) as a `T`.
///
/// # Errors
/// The value does not describe a `T`; the error names the field.
pub fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let field = dotted(err.path());
        with_field(ConfigError::new(err.inner().to_string()), field)
    })
}

/// A serde path as a dotted field (`agents.1.model`); `None` at the top level.
fn dotted(path: &serde_path_to_error::Path) -> Option<String> {
    use serde_path_to_error::Segment;
    let parts: Vec<String> = path
        .iter()
        .map(|segment| match segment {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => key.clone(),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => "?".to_owned(),
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("."))
}

fn with_field(mut err: ConfigError, field: Option<String>) -> ConfigError {
    err.field = field;
    err
}

/// serde_json's message without its ` at line L column C` tail, which the error's line
/// and a `(column C)` replace.
fn json_error(err: &serde_json::Error) -> ConfigError {
    let text = err.to_string();
    if err.line() == 0 {
        return ConfigError::new(text);
    }
    let message = match text.rfind(" at line ") {
        Some(at) => format!("{} (column {})", &text[..at], err.column()),
        None => text,
    };
    let mut config_error = ConfigError::new(message);
    config_error.line = Some(err.line());
    config_error
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        model: String,
        #[serde(default)]
        tags: BTreeMap<String, u32>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct File {
        agents: Vec<Entry>,
    }

    fn json(text: &str) -> Result<File, ConfigError> {
        ConfigText::new(text, Format::Json).parse()
    }

    fn toml(text: &str) -> Result<File, ConfigError> {
        ConfigText::new(text, Format::Toml).parse()
    }

    #[test]
    fn the_extension_decides_the_format() {
        assert_eq!(Format::of(Path::new("a/b.TOML")), Format::Toml);
        assert_eq!(Format::of(Path::new("a/b.json")), Format::Json);
        assert_eq!(Format::of(Path::new("agents")), Format::Json);
    }

    #[test]
    fn json_errors_name_line_column_and_field() {
        let err = json("{\"agents\": [\n  {\"model\": \"a\"},\n  {\"model\": 5}\n]}").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert_eq!(err.field.as_deref(), Some("agents.1.model"), "{err}");
        assert_eq!(
            err.message,
            "invalid type: integer `5`, expected a string (column 13)"
        );
        let err = json("{\"agents\": [{\"model\": \"a\", \"modle\": 1}]}").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.0.modle"), "{err}");
        assert!(err.message.starts_with("unknown field `modle`"), "{err}");
        let err = json("{\"agents\": [{\"model\": \"a\", \"tags\": {\"x\": -1}}]}").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.0.tags.x"), "{err}");
        let err = json("{\"agents\": []} trailing").unwrap_err();
        assert!(err.message.starts_with("trailing characters"), "{err}");
        assert_eq!(err.field, None);
        let err = json("{\"agnts\": []}").unwrap_err();
        assert_eq!((err.field.as_deref(), err.line), (Some("agnts"), Some(1)));
    }

    #[test]
    fn toml_errors_name_line_column_and_field() {
        let err = toml("[[agents]]\nmodel = \"a\"\n\n[[agents]]\nmodel = 5\n").unwrap_err();
        assert_eq!(err.line, Some(5), "{err}");
        assert_eq!(err.field.as_deref(), Some("agents.1.model"), "{err}");
        assert!(err.message.contains("(column 9)"), "{err}");
        let err = toml("[[agents]]\nmodel = \"a\"\nmodle = 1\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.message.contains("unknown field `modle`"), "{err}");
        let err = toml("agents = [\n").unwrap_err();
        assert!(err.line.is_some(), "{err}");
        assert_eq!(
            toml("[[agents]]\nmodel = \"a\"\n").unwrap().agents[0].model,
            "a"
        );
    }

    #[test]
    fn files_name_themselves_and_checks_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agents.json");
        std::fs::write(&path, "{\"agents\": [{\"model\": \"\"}]}").unwrap();
        let file = ConfigText::read(&path, "agent file").unwrap();
        let err = file
            .parse_checked(|f: &File| match f.agents[0].model.as_str() {
                "" => Err(ConfigError::field("agents.0.model", "is empty")),
                _ => Ok(()),
            })
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: agents.0.model: is empty", path.display())
        );
        let err = load_file::<File>(dir.path().join("missing.toml"), "agent file").unwrap_err();
        assert!(
            err.to_string()
                .contains("missing.toml: cannot read the agent file"),
            "{err}"
        );
    }

    #[test]
    fn fields_point_to_their_line() {
        let text = ConfigText::new("name = \"x\"\n[ending]\nend_phrases = []\n", Format::Toml);
        assert_eq!(text.line_of_field("ending.end_phrases"), Some(3));
        assert_eq!(text.line_of_field("ending.end_phrases.0"), Some(3));
        assert_eq!(text.line_of_field("missing"), None);
        assert_eq!(text.line_text(1), Some("name = \"x\""));
        assert_eq!(text.line_text(0), None);
    }

    #[test]
    fn stored_values_name_the_field() {
        let err = from_value::<File>(&serde_json::json!({"agents": [{"model": 1}]})).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.0.model"));
        assert_eq!(err.line, None);
    }
}
