//! Tasks that cannot run on this machine, and why: a missing toolchain, or dependencies that
//! are not installed. They are skipped (listed once), not failed.

use super::catalog::TaskCatalog;
use super::deps::{declared_dependencies, DepsCache};
use super::toolchain::missing_toolchain;

/// A task left out of a run, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct SkippedTask {
    /// The task's id.
    pub task: String,
    /// Why, naming what to install or which flag to pass.
    pub reason: String,
}

/// The tasks of `catalog` that cannot run here: a program they need is not on `PATH`, or
/// they declare dependencies that `cache` does not hold and `install_deps` is off.
pub fn tasks_to_skip(
    catalog: &TaskCatalog,
    cache: &DepsCache,
    install_deps: bool,
) -> Vec<SkippedTask> {
    let mut out = Vec::new();
    for task in catalog.tasks() {
        let reason = missing_toolchain(task).or_else(|| {
            let kinds = declared_dependencies(task);
            (!kinds.is_empty() && !install_deps && !cache.is_ready(task)).then(|| {
                let manifests: Vec<&str> = kinds.iter().map(|k| k.manifest()).collect();
                format!(
                    "its dependencies ({}) are not installed: run with --install-deps",
                    manifests.join(", ")
                )
            })
        });
        if let Some(reason) = reason {
            out.push(SkippedTask {
                task: task.id().to_owned(),
                reason,
            });
        }
    }
    out
}
