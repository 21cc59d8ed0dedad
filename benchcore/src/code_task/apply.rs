//! Applying a file's hunks with the fallback chain: exact, then offsets and fuzz, then a
//! three-way merge.

use super::diff::{lcs_pairs, FilePatch, Hunk, HunkLine};
use serde::{Deserialize, Serialize};

/// Which step of the fallback chain applied a patch (the latest step any hunk needed).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ApplyStep {
    /// Every hunk matched at its stated line, byte for byte.
    Exact,
    /// Some hunk matched at another line, ignoring trailing whitespace, or with up to
    /// [`MAX_FUZZ`] context lines dropped at its ends.
    Fuzzy,
    /// Some hunk's context did not match; its changes were merged three-way (the hunk's old
    /// side as base, the file as ours, its new side as theirs) without conflict.
    ThreeWay,
}

impl ApplyStep {
    /// The snake_case name recorded in details.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Fuzzy => "fuzzy",
            Self::ThreeWay => "three_way",
        }
    }
}

/// Context lines that may be dropped from each end of a hunk in the fuzzy step.
pub const MAX_FUZZ: usize = 2;

/// How one hunk was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HunkPlacement {
    /// The step that placed it.
    pub step: ApplyStep,
    /// Lines between where the hunk said it goes and where it went.
    pub offset: isize,
    /// Context lines dropped from its ends.
    pub fuzz: usize,
}

/// A file's hunks could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hunk {hunk} (at line {line}) does not apply: {reason}")]
#[non_exhaustive]
pub struct HunkFailure {
    /// 1-based hunk number within the file.
    pub hunk: usize,
    /// The line the hunk said it starts at.
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// Applies a file's hunks to `original`, trying each step of the chain in turn per hunk.
/// Returns the new content, the latest step needed and how each hunk was placed.
///
/// ```
/// use benchcore::code_task::{apply_patch_to_text, parse_unified_diff, ApplyStep};
/// let p = &parse_unified_diff("--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n").unwrap()[0];
/// let (text, step, _) = apply_patch_to_text("a\nb\n", p).unwrap();
/// assert_eq!((text.as_str(), step), ("a\nB\n", ApplyStep::Exact));
/// // Two lines were added above since the diff was made: it applies with an offset.
/// let (text, step, _) = apply_patch_to_text("x\ny\na\nb\n", p).unwrap();
/// assert_eq!((text.as_str(), step), ("x\ny\na\nB\n", ApplyStep::Fuzzy));
/// ```
///
/// # Errors
/// A hunk matched nowhere and its three-way merge conflicted.
pub fn apply_patch_to_text(
    original: &str,
    patch: &FilePatch,
) -> Result<(String, ApplyStep, Vec<HunkPlacement>), HunkFailure> {
    let lines: Vec<&str> = original.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len() + 16);
    let mut cursor = 0usize;
    let mut drift: isize = 0;
    let mut placements = Vec::with_capacity(patch.hunks.len());
    for (number, hunk) in patch.hunks.iter().enumerate() {
        let placed = place(&lines, cursor, drift, hunk).ok_or_else(|| HunkFailure {
            hunk: number + 1,
            line: hunk.old_start,
            reason: "its context and removed lines match nowhere after the previous hunk, \
                     and a three-way merge conflicts"
                .to_owned(),
        })?;
        out.extend(lines[cursor..placed.start].iter().map(|s| (*s).to_owned()));
        out.extend(placed.replacement);
        cursor = placed.end;
        drift = placed.placement.offset;
        placements.push(placed.placement);
    }
    out.extend(lines[cursor..].iter().map(|s| (*s).to_owned()));
    let mut text = out.join("\n");
    let newline = !patch.new_no_newline && (!out.is_empty() || original.ends_with('\n'));
    if newline && !out.is_empty() {
        text.push('\n');
    }
    let step = placements
        .iter()
        .map(|p| p.step)
        .max()
        .unwrap_or(ApplyStep::Exact);
    Ok((text, step, placements))
}

struct Placed {
    start: usize,
    end: usize,
    replacement: Vec<String>,
    placement: HunkPlacement,
}

fn expected_start(hunk: &Hunk, pre_len: usize) -> usize {
    if pre_len == 0 {
        // `@@ -N,0 …` inserts after line N.
        hunk.old_start
    } else {
        hunk.old_start.saturating_sub(1)
    }
}

fn place(lines: &[&str], cursor: usize, drift: isize, hunk: &Hunk) -> Option<Placed> {
    let pre = hunk.preimage();
    let post = hunk.postimage();
    let stated = expected_start(hunk, pre.len());
    let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

    // 1. Exact: at the stated line, byte for byte.
    if stated >= cursor
        && stated + pre.len() <= lines.len()
        && lines[stated..stated + pre.len()] == pre[..]
    {
        return Some(Placed {
            start: stated,
            end: stated + pre.len(),
            replacement: owned(&post),
            placement: HunkPlacement {
                step: ApplyStep::Exact,
                offset: 0,
                fuzz: 0,
            },
        });
    }
    // 2. Offsets and fuzz: nearest match to where the previous hunk's offset says, ignoring
    //    trailing whitespace, then with context dropped from the ends.
    let expected = (stated as isize + drift).max(cursor as isize) as usize;
    for fuzz in 0..=MAX_FUZZ {
        let Some((lead, trail)) = fuzz_trim(hunk, fuzz) else {
            break;
        };
        let pre_f = &pre[lead..pre.len() - trail];
        if pre_f.is_empty() && !pre.is_empty() {
            break;
        }
        if let Some(at) = nearest_match(lines, cursor, expected + lead, pre_f) {
            return Some(Placed {
                start: at,
                end: at + pre_f.len(),
                replacement: keep_file_context(hunk, lead, trail, &lines[at..at + pre_f.len()]),
                placement: HunkPlacement {
                    step: ApplyStep::Fuzzy,
                    offset: at as isize - (stated + lead) as isize,
                    fuzz,
                },
            });
        }
    }
    // 3. Three-way: align the hunk's old side with the file, merge the hunk's changes in.
    three_way(lines, cursor, expected, &pre, &post).map(|(start, end, replacement)| Placed {
        start,
        end,
        replacement,
        placement: HunkPlacement {
            step: ApplyStep::ThreeWay,
            offset: start as isize - stated as isize,
            fuzz: 0,
        },
    })
}

/// The hunk's new side between the dropped ends, with context lines as the file has them
/// (a fuzzy match may differ in trailing whitespace).
fn keep_file_context(hunk: &Hunk, lead: usize, trail: usize, matched: &[&str]) -> Vec<String> {
    let end = hunk.lines.len() - trail;
    let mut file = matched.iter();
    let mut out = Vec::new();
    for line in &hunk.lines[lead..end] {
        match line {
            HunkLine::Context(s) => {
                out.push(file.next().map_or_else(|| s.clone(), |l| (*l).to_owned()))
            }
            HunkLine::Remove(_) => {
                file.next();
            }
            HunkLine::Add(s) => out.push(s.clone()),
        }
    }
    out
}

/// How many preimage lines to drop from the start and end for `fuzz`: only context lines,
/// and only as many as the hunk has at that end. `None` when this fuzz adds nothing.
fn fuzz_trim(hunk: &Hunk, fuzz: usize) -> Option<(usize, usize)> {
    let lead_ctx = hunk
        .lines
        .iter()
        .take_while(|l| matches!(l, HunkLine::Context(_)))
        .count();
    let trail_ctx = hunk
        .lines
        .iter()
        .rev()
        .take_while(|l| matches!(l, HunkLine::Context(_)))
        .count();
    if lead_ctx == hunk.lines.len() {
        return (fuzz == 0).then_some((0, 0));
    }
    let trim = |f: usize| (f.min(lead_ctx), f.min(trail_ctx));
    if fuzz > 0 && trim(fuzz) == trim(fuzz - 1) {
        // Nothing more to drop than the previous level did.
        return None;
    }
    Some(trim(fuzz))
}

fn same(a: &str, b: &str) -> bool {
    a.trim_end() == b.trim_end()
}

fn nearest_match(lines: &[&str], cursor: usize, expected: usize, pre: &[&str]) -> Option<usize> {
    if pre.is_empty() {
        return Some(expected.clamp(cursor, lines.len()));
    }
    if lines.len() < pre.len() + cursor {
        return None;
    }
    let last = lines.len() - pre.len();
    let expected = expected.clamp(cursor, last);
    let fits = |at: usize| pre.iter().zip(&lines[at..]).all(|(p, l)| same(p, l));
    for distance in 0..=(last - cursor).max(expected - cursor) {
        if expected + distance <= last && fits(expected + distance) {
            return Some(expected + distance);
        }
        if distance > 0 && expected >= cursor + distance && fits(expected - distance) {
            return Some(expected - distance);
        }
    }
    None
}

/// Finds the stretch of the file that best matches `pre` (most lines in common, nearest to
/// `expected`), then merges: where only the hunk changed a stretch its change is taken, where
/// only the file differs the file's lines are kept, and where both differ it is a conflict.
fn three_way(
    lines: &[&str],
    cursor: usize,
    expected: usize,
    pre: &[&str],
    post: &[&str],
) -> Option<(usize, usize, Vec<String>)> {
    if pre.is_empty() || cursor >= lines.len() {
        return None;
    }
    let keys: Vec<&str> = lines.iter().map(|l| l.trim_end()).collect();
    let pre_keys: Vec<&str> = pre.iter().map(|l| l.trim_end()).collect();
    let post_keys: Vec<&str> = post.iter().map(|l| l.trim_end()).collect();
    let span = pre.len() + pre.len() / 2 + 3;
    let mut best: Option<(usize, usize, usize)> = None; // (matches, start, end)
    for start in cursor..lines.len() {
        if pre_keys
            .first()
            .is_some_and(|_| !pre_keys.contains(&keys[start]))
        {
            continue;
        }
        let end = (start + span).min(lines.len());
        let pairs = lcs_pairs(&pre_keys, &keys[start..end]);
        let (Some(&(first_b, first_f)), Some(&(last_b, last_f))) = (pairs.first(), pairs.last())
        else {
            continue;
        };
        let better = match best {
            None => true,
            Some((m, s, _)) => {
                pairs.len() > m
                    || (pairs.len() == m && start.abs_diff(expected) < s.abs_diff(expected))
            }
        };
        if better {
            // The stretch also covers the lines the hunk expects before its first and after
            // its last matched line, so a changed line at either end is merged, not lost.
            let from = (start + first_f).saturating_sub(first_b).max(cursor);
            let to = (start + last_f + 1 + (pre.len() - 1 - last_b)).min(lines.len());
            best = Some((pairs.len(), from, to));
        }
    }
    let (matches, start, end) = best?;
    if matches * 2 < pre.len() {
        return None;
    }
    let merged = merge3(
        &pre_keys,
        &keys[start..end],
        &lines[start..end],
        &post_keys,
        post,
    )?;
    Some((start, end, merged))
}

/// A three-way merge of line lists; `None` on a conflict. Keys compare; raw lines are output.
fn merge3(
    base: &[&str],
    ours: &[&str],
    ours_raw: &[&str],
    theirs: &[&str],
    theirs_raw: &[&str],
) -> Option<Vec<String>> {
    let mut in_ours = vec![None; base.len()];
    for (b, o) in lcs_pairs(base, ours) {
        in_ours[b] = Some(o);
    }
    let mut in_theirs = vec![None; base.len()];
    for (b, t) in lcs_pairs(base, theirs) {
        in_theirs[b] = Some(t);
    }
    let mut out = Vec::new();
    let (mut i, mut o, mut t) = (0, 0, 0);
    loop {
        let sync = (i..base.len()).find_map(|j| Some((j, in_ours[j]?, in_theirs[j]?)));
        let (bj, oj, tj) = sync.unwrap_or((base.len(), ours.len(), theirs.len()));
        let (b, oc, tc) = (&base[i..bj], &ours[o..oj], &theirs[t..tj]);
        let take = |raw: &[&str], from: usize, to: usize| {
            raw[from..to]
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>()
        };
        if oc == b {
            out.extend(take(theirs_raw, t, tj));
        } else if tc == b || oc == tc {
            out.extend(take(ours_raw, o, oj));
        } else {
            return None;
        }
        match sync {
            Some(_) => {
                out.push(ours_raw[oj].to_owned());
                (i, o, t) = (bj + 1, oj + 1, tj + 1);
            }
            None => break,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code_task::parse_unified_diff;

    fn patch(text: &str) -> FilePatch {
        parse_unified_diff(text).unwrap().remove(0)
    }

    #[test]
    fn exact_at_stated_line() {
        let p = patch("--- a/f\n+++ b/f\n@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n");
        let (t, s, _) = apply_patch_to_text("a\nb\nc\nd\ne\n", &p).unwrap();
        assert_eq!((t.as_str(), s), ("a\nb\nC\nd\ne\n", ApplyStep::Exact));
    }

    #[test]
    fn offset_and_trailing_whitespace_are_fuzzy() {
        let p = patch("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n b\n-c\n+C\n d\n");
        let (t, s, placed) = apply_patch_to_text("a\nb  \nc\nd\ne\n", &p).unwrap();
        assert_eq!((t.as_str(), s), ("a\nb  \nC\nd\ne\n", ApplyStep::Fuzzy));
        assert_eq!(placed[0].offset, 1);
    }

    #[test]
    fn one_wrong_context_line_at_an_end_is_fuzz() {
        let p = patch("--- a/f\n+++ b/f\n@@ -1,4 +1,4 @@\n a\n b\n-c\n+C\n WRONG\n");
        let (t, s, placed) = apply_patch_to_text("a\nb\nc\nd\n", &p).unwrap();
        assert_eq!((t.as_str(), s), ("a\nb\nC\nd\n", ApplyStep::Fuzzy));
        assert_eq!(placed[0].fuzz, 1);
    }

    #[test]
    fn wrong_context_in_the_middle_merges_three_way() {
        // The diff was made against an older file where line 3 read `old3`.
        let p =
            patch("--- a/f\n+++ b/f\n@@ -1,7 +1,7 @@\n l1\n l2\n old3\n l4\n-l5\n+L5\n l6\n l7\n");
        let original = "l1\nl2\nnew3\nl4\nl5\nl6\nl7\n";
        let (t, s, _) = apply_patch_to_text(original, &p).unwrap();
        assert_eq!(s, ApplyStep::ThreeWay);
        assert_eq!(t, "l1\nl2\nnew3\nl4\nL5\nl6\nl7\n");
    }

    #[test]
    fn conflicting_hunks_fail() {
        let p = patch("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
        let err = apply_patch_to_text("a\nX\nc\n", &p).unwrap_err();
        assert_eq!(err.hunk, 1);
        assert!(apply_patch_to_text("totally\ndifferent\n", &p).is_err());
    }

    #[test]
    fn insertion_only_hunk_and_empty_file() {
        let p = patch("--- a/f\n+++ b/f\n@@ -0,0 +1,2 @@\n+x\n+y\n");
        assert_eq!(apply_patch_to_text("", &p).unwrap().0, "x\ny\n");
    }
}
