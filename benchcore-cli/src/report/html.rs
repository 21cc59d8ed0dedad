//! HTML building blocks shared by the report and the viewer: escaping, data embedding and
//! the page shell, with the stylesheet and script inlined (no network, no CDN).

use std::fmt::Write;

const CSS: &str = include_str!("assets/report.css");
const JS: &str = include_str!("assets/report.js");

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Makes JSON safe inside `<script type="application/json">`: every `<`, `>` and `&` becomes
/// a `\u00XX` escape (still the same JSON), so no `</script>` or `<!--` in the data can end
/// or confuse the element, and the line separators U+2028/U+2029 are escaped too.
pub(crate) fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 32);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Which navigation a page has: none for a report file, the viewer's links otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    /// A standalone file.
    Standalone,
    /// A viewer page; the named entry is the current one.
    Viewer(&'static str),
}

/// A whole page: the shell around `body`, with `data` (JSON) embedded for the script.
pub(crate) fn page(title: &str, nav: Nav, body_attrs: &str, body: &str, data: &str) -> String {
    let mut out = String::with_capacity(body.len() + data.len() + CSS.len() + JS.len() + 1024);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"generator\" content=\"benchcore {}\">\
         <link rel=\"icon\" href=\"data:,\"><title>{}</title><style>{CSS}</style></head>\
         <body{body_attrs}>",
        env!("CARGO_PKG_VERSION"),
        escape(title)
    );
    if let Nav::Viewer(current) = nav {
        out.push_str(r#"<header class="top"><span class="brand">benchcore</span><nav>"#);
        for (href, key, label) in [
            ("/", "runs", "Runs"),
            ("/leaderboard", "leaderboard", "Leaderboard"),
            ("/compare", "compare", "Compare"),
        ] {
            let class = if key == current {
                " class=\"current\""
            } else {
                ""
            };
            let _ = write!(out, r#"<a href="{href}"{class}>{label}</a>"#);
        }
        out.push_str(r#"</nav><span id="live-state" class="live-state"></span></header>"#);
    }
    out.push_str("<main>");
    out.push_str(body);
    out.push_str("</main>");
    let _ = write!(
        out,
        r#"<script type="application/json" id="page-data">{}</script><script>{JS}</script></body></html>"#,
        script_json(data)
    );
    out
}

/// A table from a header and rows of ready HTML cells.
pub(crate) fn table(class: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!(r#"<div class="table-wrap"><table class="{class}"><thead><tr>"#);
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

/// A percentage, or a dash.
pub(crate) fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// A number, or a dash.
pub(crate) fn opt<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

/// A time in milliseconds since the epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub(crate) fn utc(ms: u64) -> String {
    if ms == 0 {
        return "–".to_owned();
    }
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn script_json_cannot_close_the_script_and_stays_the_same_json() {
        let value =
            serde_json::json!({"reply": "</script><script>alert(1)</script><!-- & \u{2028}"});
        let embedded = script_json(&value.to_string());
        assert!(!embedded.contains('<') && !embedded.contains('>'));
        assert!(!embedded.contains('\u{2028}'));
        let back: serde_json::Value = serde_json::from_str(&embedded).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "–");
        assert_eq!(utc(1_000), "1970-01-01 00:00:01 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_795_000_000_000), "2026-11-18 11:06:40 UTC");
    }

    #[test]
    fn a_standalone_page_has_no_external_reference() {
        let html = page(
            "t <1>",
            Nav::Standalone,
            "",
            "<p>body</p>",
            "{\"a\":\"</script>\"}",
        );
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("<title>t &lt;1&gt;</title>"));
        assert!(!html.contains("<script src"));
        assert!(!html.contains("<link rel=\"stylesheet\""));
        assert_eq!(html.matches("</script>").count(), 2);
        assert!(!html.contains("<nav>"));
        let viewer = page("t", Nav::Viewer("runs"), "", "", "{}");
        assert!(viewer.contains(r#"<a href="/" class="current">Runs</a>"#));
    }
}
