//! Driving headless Chromium (Debian's `chromium`, over the DevTools protocol by
//! `tests/browser/drive.mjs` under node) for the browser tests.

use super::screenshots_dir;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use tokio::io::AsyncBufReadExt;

/// Chromium and node, or `None` (outside CI) when either is missing.
pub fn tools() -> Option<(String, String)> {
    let find = |names: &[&str]| {
        names.iter().find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join(name))
                    .find(|p| p.is_file())
                    .map(|p| p.display().to_string())
            })
        })
    };
    let chromium = std::env::var("CHROMIUM")
        .ok()
        .or_else(|| find(&["chromium", "chromium-browser", "google-chrome"]));
    let node = find(&["node", "nodejs"]);
    match (chromium, node) {
        (Some(c), Some(n)) => Some((c, n)),
        (c, n) => {
            let missing = if c.is_none() { "chromium" } else { "node" };
            assert!(
                std::env::var_os("CI").is_none(),
                "the browser tests need {missing} (.ci/run installs chromium)"
            );
            eprintln!(
                "\n!!! SKIPPED: browser tests need {missing} on PATH (apt-get install chromium nodejs). !!!\n"
            );
            let _ = n;
            None
        }
    }
}

fn driver() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/browser/drive.mjs")
}

/// What the driver reported.
pub struct Drive {
    events: Vec<Value>,
}

impl Drive {
    pub fn eval(&self, name: &str) -> &Value {
        &self
            .events
            .iter()
            .find(|e| e["event"] == "eval" && e["name"] == name)
            .unwrap_or_else(|| panic!("no eval {name}: {:?}", self.events))["value"]
    }

    pub fn problems(&self) -> &Value {
        &self.events.last().expect("a done line")["problems"]
    }
}

/// Runs the driver on `steps`; `on_emit` sees each `emit` marker as it happens.
pub async fn drive(
    tools: &(String, String),
    dir: &Path,
    steps: Value,
    mut on_emit: impl FnMut(&str),
) -> Drive {
    let plan = json!({
        "chromium": tools.0,
        "screenshots": screenshots_dir(),
        "width": 1280,
        "height": 900,
        "steps": steps,
    });
    let plan_file = dir.join(format!("plan-{}.json", fastrand_name()));
    std::fs::write(&plan_file, plan.to_string()).unwrap();
    let mut child = tokio::process::Command::new(&tools.1)
        .arg(driver())
        .arg(&plan_file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut events = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        let event: Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("driver said {line}"));
        if event["event"] == "emit" {
            on_emit(event["name"].as_str().unwrap());
        }
        events.push(event);
    }
    let status = child.wait().await.unwrap();
    let failure = events.iter().find(|e| e["event"] == "fail");
    assert!(
        status.success() && failure.is_none(),
        "the drive failed: {failure:?}\n{events:#?}"
    );
    Drive { events }
}

fn fastrand_name() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

pub const READY: &str = "window.__benchcoreReady === true";
