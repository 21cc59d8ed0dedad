//! Path safety: every path an answer names stays inside the workspace.

use std::fmt;
use std::path::{Component, Path, PathBuf};

/// Why a path an answer named was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathProblem {
    /// Empty, or only `.`.
    Empty,
    /// Starts at the file-system root (or a drive).
    Absolute,
    /// Has a `..` component.
    ParentDir,
    /// Has a backslash, a NUL byte or another character no portable path has.
    BadCharacter,
    /// Goes through, or ends at, a symbolic link.
    Symlink(String),
    /// Not matched by the task's `editable` patterns.
    NotEditable,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty path"),
            Self::Absolute => f.write_str("absolute path: paths are relative to the workspace"),
            Self::ParentDir => f.write_str("`..` would leave the workspace"),
            Self::BadCharacter => f.write_str("backslash or control character in path"),
            Self::Symlink(at) => write!(f, "goes through the symbolic link `{at}`"),
            Self::NotEditable => f.write_str("not among the files the task lets an answer change"),
        }
    }
}

impl PathProblem {
    /// A short machine-readable name (`absolute`, `parent_dir`, `symlink` …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Absolute => "absolute",
            Self::ParentDir => "parent_dir",
            Self::BadCharacter => "bad_character",
            Self::Symlink(_) => "symlink",
            Self::NotEditable => "not_editable",
        }
    }
}

/// A relative path with no `..`, no root, no backslash and no control character, with
/// leading `./` removed.
///
/// ```
/// use benchcore::code_task::safe_relative;
/// assert_eq!(safe_relative("./src/a.py").unwrap(), std::path::PathBuf::from("src/a.py"));
/// assert!(safe_relative("/etc/passwd").is_err());
/// assert!(safe_relative("src/../../x").is_err());
/// ```
///
/// # Errors
/// The path is empty, absolute, climbs with `..` or has a bad character.
pub fn safe_relative(path: &str) -> Result<PathBuf, PathProblem> {
    if path.contains('\\') || path.chars().any(char::is_control) {
        return Err(PathProblem::BadCharacter);
    }
    let bytes = path.as_bytes();
    if path.starts_with('/')
        || (bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic())
    {
        return Err(PathProblem::Absolute);
    }
    let mut out = PathBuf::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err(PathProblem::ParentDir),
            Component::RootDir | Component::Prefix(_) => return Err(PathProblem::Absolute),
        }
    }
    if out.as_os_str().is_empty() {
        return Err(PathProblem::Empty);
    }
    Ok(out)
}

/// `root/rel` after checking that no existing component of it below `root` is a symbolic
/// link, so writing there cannot land outside `root`.
///
/// # Errors
/// `rel` is unsafe (see [`safe_relative`]) or passes through a symbolic link.
pub fn resolve_in(root: &Path, rel: &str) -> Result<PathBuf, PathProblem> {
    let rel = safe_relative(rel)?;
    let mut at = root.to_path_buf();
    for component in rel.components() {
        at.push(component);
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let shown = at.strip_prefix(root).unwrap_or(&at).display().to_string();
                return Err(PathProblem::Symlink(shown));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(root.join(rel))
}

/// A glob pattern over `/`-separated relative paths: `*` matches within one folder, `**`
/// across folders, `?` one character; everything else literally.
///
/// ```
/// use benchcore::code_task::Glob;
/// let g = Glob::new("src/**/*.rs").unwrap();
/// assert!(g.matches("src/lib.rs") && g.matches("src/a/b.rs") && !g.matches("tests/a.rs"));
/// assert!(Glob::new("**").unwrap().matches("any/thing.txt"));
/// ```
#[derive(Debug, Clone)]
pub struct Glob {
    pattern: String,
    regex: regex::Regex,
}

impl Glob {
    /// Compiles a pattern.
    ///
    /// # Errors
    /// The pattern is empty or absolute.
    pub fn new(pattern: &str) -> Result<Self, String> {
        if pattern.is_empty() {
            return Err("empty pattern".to_owned());
        }
        if pattern.starts_with('/') || pattern.contains("..") {
            return Err(format!(
                "{pattern:?}: patterns are relative to the workspace, without `..`"
            ));
        }
        let mut re = String::from("^");
        let chars: Vec<char> = pattern.trim_start_matches("./").chars().collect();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' if chars.get(i + 1) == Some(&'*') => {
                    if chars.get(i + 2) == Some(&'/') {
                        re.push_str("(?:.*/)?");
                        i += 3;
                    } else {
                        re.push_str(".*");
                        i += 2;
                    }
                    continue;
                }
                '*' => re.push_str("[^/]*"),
                '?' => re.push_str("[^/]"),
                c => re.push_str(&regex::escape(&c.to_string())),
            }
            i += 1;
        }
        re.push('$');
        let regex = regex::Regex::new(&re).map_err(|e| format!("{pattern:?}: {e}"))?;
        Ok(Self {
            pattern: pattern.to_owned(),
            regex,
        })
    }

    /// Whether a relative path (with `/` separators) matches.
    pub fn matches(&self, path: &str) -> bool {
        self.regex.is_match(path.trim_start_matches("./"))
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }
}

/// A set of patterns: a path matches when any pattern does.
#[derive(Debug, Clone, Default)]
pub struct GlobSet(Vec<Glob>);

impl GlobSet {
    /// Compiles every pattern.
    ///
    /// # Errors
    /// A pattern does not compile.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, String> {
        patterns
            .iter()
            .map(|p| Glob::new(p.as_ref()))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Whether any pattern matches.
    pub fn matches(&self, path: &str) -> bool {
        self.0.iter().any(|g| g.matches(path))
    }
}

/// A path as `/`-separated text, for messages and globs.
pub(crate) fn slash(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_refused_with_their_reason() {
        assert_eq!(safe_relative(""), Err(PathProblem::Empty));
        assert_eq!(safe_relative("./"), Err(PathProblem::Empty));
        assert_eq!(safe_relative("/abs"), Err(PathProblem::Absolute));
        assert_eq!(safe_relative("C:/x"), Err(PathProblem::Absolute));
        assert_eq!(safe_relative("a/../../b"), Err(PathProblem::ParentDir));
        assert_eq!(safe_relative("a\\b"), Err(PathProblem::BadCharacter));
        assert_eq!(safe_relative("a\0b"), Err(PathProblem::BadCharacter));
        assert_eq!(safe_relative("a/./b").unwrap(), PathBuf::from("a/b"));
    }

    #[test]
    fn globs() {
        let g = Glob::new("*.py").unwrap();
        assert!(g.matches("a.py") && !g.matches("d/a.py"));
        let g = Glob::new("src/**").unwrap();
        assert!(g.matches("src/a/b.c") && !g.matches("srcx/a"));
        let g = Glob::new("**/*.go").unwrap();
        assert!(g.matches("a.go") && g.matches("x/y/a.go") && !g.matches("a.go.txt"));
        assert!(Glob::new("../x").is_err());
    }

    #[test]
    fn symlinked_folders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        let err = resolve_in(dir.path(), "link/evil.txt").unwrap_err();
        assert_eq!(err, PathProblem::Symlink("link".into()));
        assert!(resolve_in(dir.path(), "fresh/new.txt").is_ok());
    }
}
