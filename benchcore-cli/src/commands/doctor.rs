//! `benchcore doctor`: what this machine offers code tasks (toolchains, the sandbox and its
//! guarantees) and where runs are stored.

use crate::args::DoctorArgs;
use crate::kinds as code_tasks;
use crate::{output, EXIT_GATE, EXIT_OK};
use benchcore::code_task::{find_program, DepsCache, KNOWN_TOOLCHAINS};
use std::process::ExitCode;

pub(crate) fn doctor(store: &str, args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let settings = code_tasks::settings();
    let toolchains: Vec<serde_json::Value> = KNOWN_TOOLCHAINS
        .iter()
        .map(|(program, package)| {
            let found = find_program(program);
            serde_json::json!({
                "program": program,
                "found": found.is_some(),
                "path": found.map(|p| p.display().to_string()),
                "package": package,
            })
        })
        .collect();
    let sandbox = code_tasks::sandbox(&settings);
    let store = super::run::redact_url(store);
    let deps = DepsCache::default_root().display().to_string();
    if args.json {
        let sandbox = match &sandbox {
            Ok(s) => serde_json::json!({
                "mode": s.isolation(),
                "works": true,
                "landlock_abi": s.landlock_abi(),
                "cgroups": s.cgroups(),
                "guarantees": s.guarantees(),
                "warnings": s.warnings(),
            }),
            Err(e) => serde_json::json!({
                "mode": settings.isolation,
                "works": false,
                "error": format!("{e:#}"),
            }),
        };
        let json = serde_json::json!({
            "toolchains": toolchains,
            "sandbox": sandbox,
            "store": store,
            "dependency_cache": deps,
        });
        output::print(&format!("{}\n", serde_json::to_string_pretty(&json)?))?;
    } else {
        let mut text = String::from("toolchains (a task whose toolchain is missing is skipped):\n");
        for t in &toolchains {
            let line = match t["path"].as_str() {
                Some(path) => format!(
                    "  ok       {:<8} {path}\n",
                    t["program"].as_str().unwrap_or("")
                ),
                None => format!(
                    "  missing  {:<8} install {}\n",
                    t["program"].as_str().unwrap_or(""),
                    t["package"].as_str().unwrap_or("")
                ),
            };
            text.push_str(&line);
        }
        match &sandbox {
            Ok(s) => {
                text.push_str(&format!(
                    "sandbox: {} (Landlock ABI {}, {})\n",
                    s.isolation(),
                    s.landlock_abi(),
                    s.cgroups()
                ));
                for g in s.guarantees() {
                    let mark = if g.holds { "yes" } else { "NO " };
                    text.push_str(&format!("  {mark} {}: {}\n", g.name, g.detail));
                }
                for w in s.warnings() {
                    text.push_str(&format!("  warning: {w}\n"));
                }
            }
            Err(e) => text.push_str(&format!(
                "sandbox: {} CANNOT RUN: {e:#}\n",
                settings.isolation
            )),
        }
        text.push_str(&format!("store: {store}\ndependency cache: {deps}\n"));
        output::print(&text)?;
    }
    Ok(ExitCode::from(if sandbox.is_ok() {
        EXIT_OK
    } else {
        EXIT_GATE
    }))
}
