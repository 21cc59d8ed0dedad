//! Reading an answer: a unified diff, or whole files in fenced blocks with their paths.

/// A whole file from an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AnswerFile {
    /// The path as the answer wrote it (checked when applied).
    pub path: String,
    /// The file's new content.
    pub content: String,
}

/// What an answer contains.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// A unified diff.
    Diff(String),
    /// Whole files.
    Files {
        /// The files, in the order given (a later block for the same path wins).
        files: Vec<AnswerFile>,
        /// A single block without a path was taken to be the task's only editable file.
        assumed_path: bool,
    },
    /// No usable code: no diff and no code block whose path could be told.
    Empty,
}

impl Answer {
    /// `diff`, `files` or `none`.
    pub fn format(&self) -> &'static str {
        match self {
            Self::Diff(_) => "diff",
            Self::Files { .. } => "files",
            Self::Empty => "none",
        }
    }
}

/// A fenced code block.
#[derive(Debug)]
struct Block {
    info: String,
    body: String,
    /// The nearest non-empty line above the fence (a `File: x.py` caption).
    caption: Option<String>,
}

fn fences(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        let indent = lines[i].len() - trimmed.len();
        let fence_char = trimmed.chars().next();
        let run = trimmed
            .chars()
            .take_while(|c| Some(*c) == fence_char)
            .count();
        if indent <= 3 && matches!(fence_char, Some('`' | '~')) && run >= 3 {
            let fence = &trimmed[..run];
            let info = trimmed[run..].trim().to_owned();
            let caption = lines[..i]
                .iter()
                .rev()
                .take(2)
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_owned());
            let mut body = Vec::new();
            i += 1;
            while i < lines.len() {
                let t = lines[i].trim();
                if t.starts_with(fence) && t.chars().all(|c| Some(c) == fence_char) {
                    break;
                }
                body.push(lines[i]);
                i += 1;
            }
            let mut body = body.join("\n");
            body.push('\n');
            blocks.push(Block {
                info,
                body,
                caption,
            });
        }
        i += 1;
    }
    blocks
}

fn looks_like_diff(text: &str) -> bool {
    let mut headers = false;
    let mut hunks = false;
    let lines: Vec<&str> = text.lines().collect();
    for (k, line) in lines.iter().enumerate() {
        if line.starts_with("--- ") && lines.get(k + 1).is_some_and(|n| n.starts_with("+++ ")) {
            headers = true;
        }
        if line.starts_with("@@ -") {
            hunks = true;
        }
    }
    headers && hunks
}

fn is_diff_info(info: &str) -> bool {
    matches!(
        info.split_whitespace().next().unwrap_or(""),
        "diff" | "patch" | "udiff"
    )
}

/// A token that reads as a file path: no spaces, a dot or a slash, not a URL.
fn path_like(token: &str) -> Option<String> {
    let token = token
        .trim()
        .trim_matches(|c| matches!(c, '`' | '*' | '"' | '\'' | ':' | ','))
        .trim();
    let valid = !token.is_empty()
        && !token.contains(char::is_whitespace)
        && !token.contains("://")
        && (token.contains('.') || token.contains('/'))
        && !token.ends_with('.')
        && token.chars().any(|c| c.is_alphanumeric());
    valid.then(|| token.to_owned())
}

fn path_from_info(info: &str) -> Option<String> {
    for token in info.split_whitespace() {
        for key in ["path=", "file=", "filename=", "title="] {
            if let Some(value) = token.strip_prefix(key) {
                return path_like(value);
            }
        }
    }
    let tokens: Vec<&str> = info.split_whitespace().collect();
    match tokens.as_slice() {
        [one] => path_like(one),
        [_language, second, ..] => path_like(second).or_else(|| path_like(tokens[0])),
        [] => None,
    }
}

fn path_from_caption(caption: &str) -> Option<String> {
    let text = caption.trim_start_matches(['#', '>', '-', '*', ' ']).trim();
    for prefix in ["File:", "file:", "Path:", "path:", "Filename:", "filename:"] {
        if let Some(rest) = text.strip_prefix(prefix) {
            return rest.split_whitespace().next().and_then(path_like);
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    if let [only] = words.as_slice() {
        return path_like(only);
    }
    // `**src/app.js**` or `` `src/app.js` `` somewhere in a short caption.
    if words.len() <= 6 {
        return words
            .iter()
            .find(|w| w.starts_with('`') || w.starts_with("**"))
            .and_then(|w| path_like(w));
    }
    None
}

/// Reads an answer. A diff wins over whole files; a code block's path comes from its info
/// string (`python src/a.py`, `src/a.py`, `path=src/a.py`) or from a caption on the line
/// above (`File: src/a.py`, `` `src/a.py` ``, `### src/a.py`). When no block names a path,
/// exactly one code block is present and `sole_file` is given (the task has one editable
/// file), that block is taken as that file.
///
/// ```
/// use benchcore::code_task::{parse_answer, Answer};
/// let a = parse_answer("Here it is:\n```python src/calc.py\ndef add(a, b):\n    return a + b\n```\n", None);
/// let Answer::Files { files, .. } = a else { panic!() };
/// assert_eq!(files[0].path, "src/calc.py");
/// assert_eq!(parse_answer("I cannot help with that.", None), Answer::Empty);
/// ```
pub fn parse_answer(reply: &str, sole_file: Option<&str>) -> Answer {
    let blocks = fences(reply);
    if let Some(block) = blocks
        .iter()
        .find(|b| is_diff_info(&b.info) || looks_like_diff(&b.body))
    {
        let mut diff: String = blocks
            .iter()
            .filter(|b| is_diff_info(&b.info) || looks_like_diff(&b.body))
            .map(|b| b.body.as_str())
            .collect::<Vec<_>>()
            .join("");
        if !looks_like_diff(&diff) {
            diff.clone_from(&block.body);
        }
        return Answer::Diff(diff);
    }
    if blocks.is_empty() && looks_like_diff(reply) {
        let start = reply
            .lines()
            .position(|l| l.starts_with("diff --git ") || l.starts_with("--- "))
            .unwrap_or(0);
        let mut diff = reply.lines().skip(start).collect::<Vec<_>>().join("\n");
        diff.push('\n');
        return Answer::Diff(diff);
    }
    let mut files = Vec::new();
    for block in &blocks {
        let path = path_from_info(&block.info)
            .or_else(|| block.caption.as_deref().and_then(path_from_caption));
        if let Some(path) = path {
            files.push(AnswerFile {
                path,
                content: block.body.clone(),
            });
        }
    }
    if !files.is_empty() {
        return Answer::Files {
            files,
            assumed_path: false,
        };
    }
    match (blocks.as_slice(), sole_file) {
        ([only], Some(path)) if !only.body.trim().is_empty() => Answer::Files {
            files: vec![AnswerFile {
                path: path.to_owned(),
                content: only.body.clone(),
            }],
            assumed_path: true,
        },
        _ => Answer::Empty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(answer: Answer) -> Vec<(String, String)> {
        match answer {
            Answer::Files { files, .. } => files.into_iter().map(|f| (f.path, f.content)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn paths_from_info_strings_and_captions() {
        let reply = "```rust src/lib.rs\nfn a() {}\n```\n\nFile: `tests/x.py`\n```python\nx = 1\n```\n### app.js\n```js\nlet a;\n```\n````html path=index.html\n```\n````\n";
        let got = files(parse_answer(reply, None));
        let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["src/lib.rs", "tests/x.py", "app.js", "index.html"]);
        assert_eq!(got[0].1, "fn a() {}\n");
        assert_eq!(got[3].1, "```\n", "a longer fence keeps inner fences");
    }

    #[test]
    fn a_diff_in_a_block_or_bare_wins() {
        let d = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n";
        assert_eq!(
            parse_answer(&format!("```diff\n{d}```\n```py x.py\nz\n```"), None),
            Answer::Diff(d.into())
        );
        assert_eq!(
            parse_answer(&format!("Patch:\n{d}"), None),
            Answer::Diff(d.into())
        );
    }

    #[test]
    fn a_lone_block_is_the_sole_file_only_when_there_is_one() {
        let reply = "```python\ndef f():\n    return 1\n```";
        assert_eq!(parse_answer(reply, None), Answer::Empty);
        let Answer::Files {
            files,
            assumed_path,
        } = parse_answer(reply, Some("solution.py"))
        else {
            panic!()
        };
        assert!(assumed_path);
        assert_eq!(files[0].path, "solution.py");
        assert_eq!(parse_answer("", Some("a.py")), Answer::Empty);
    }
}
