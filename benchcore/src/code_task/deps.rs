//! Task dependencies: a task declares them in its workspace's manifest (`requirements.txt`,
//! `package.json`, `Cargo.toml`, `go.mod`). With `--install-deps` they are installed once per
//! task, in a setup phase that alone may reach the package registries, into a cache folder
//! that later attempts of the same task read but cannot change; the tests still run without
//! network. Without it, a task whose dependencies are not installed is skipped.

use super::catalog::Task;
use super::workspace::copy_tree;
use benchcore_sandbox::{Limits, Sandbox, SandboxCommand};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A kind of dependency manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DependencyKind {
    /// `requirements.txt`: `pip install --target`, then `PYTHONPATH`.
    Python,
    /// `package.json`: `npm install`, then `node_modules` and `NODE_PATH`.
    Node,
    /// `Cargo.toml`: `cargo vendor`, then a source replacement in `CARGO_HOME`.
    Cargo,
    /// `go.mod`: `go mod download`, then a read-only `GOMODCACHE`.
    Go,
}

impl DependencyKind {
    /// The manifest's file name, in the workspace.
    pub fn manifest(self) -> &'static str {
        match self {
            Self::Python => "requirements.txt",
            Self::Node => "package.json",
            Self::Cargo => "Cargo.toml",
            Self::Go => "go.mod",
        }
    }
}

fn declares(kind: DependencyKind, text: &str) -> bool {
    match kind {
        DependencyKind::Python => text
            .lines()
            .map(str::trim)
            .any(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('-')),
        DependencyKind::Node => serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| {
            ["dependencies", "devDependencies"]
                .iter()
                .any(|k| v[k].as_object().is_some_and(|o| !o.is_empty()))
        }),
        DependencyKind::Cargo => toml::from_str::<toml::Table>(text).is_ok_and(|t| {
            ["dependencies", "dev-dependencies"].iter().any(|k| {
                t.get(*k).and_then(|d| d.as_table()).is_some_and(|deps| {
                    deps.values()
                        .any(|d| d.as_table().is_none_or(|spec| !spec.contains_key("path")))
                })
            })
        }),
        DependencyKind::Go => text.lines().any(|l| l.trim_start().starts_with("require")),
    }
}

/// The dependency manifests a task's workspace declares (a `Cargo.toml` with only path
/// dependencies declares none).
pub fn declared_dependencies(task: &Task) -> Vec<DependencyKind> {
    [
        DependencyKind::Python,
        DependencyKind::Node,
        DependencyKind::Cargo,
        DependencyKind::Go,
    ]
    .into_iter()
    .filter(|kind| {
        std::fs::read_to_string(task.workspace_dir().join(kind.manifest()))
            .is_ok_and(|text| declares(*kind, &text))
    })
    .collect()
}

/// Where installed dependencies are kept: one folder per task and manifest content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepsCache {
    root: PathBuf,
}

const READY: &str = ".complete";

impl DepsCache {
    /// A cache under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$XDG_CACHE_HOME/benchcore/deps`, else `~/.cache/benchcore/deps`, else under the
    /// temporary folder.
    pub fn default_root() -> PathBuf {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        var("XDG_CACHE_HOME")
            .or_else(|| var("HOME").map(|h| h.join(".cache")))
            .unwrap_or_else(std::env::temp_dir)
            .join("benchcore")
            .join("deps")
    }

    /// The cache's root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of a task's dependencies: its id and a hash of its manifests, so a changed
    /// manifest gets a fresh install.
    pub fn dir_for(&self, task: &Task) -> PathBuf {
        let mut hash = Sha256::new();
        for kind in declared_dependencies(task) {
            hash.update(kind.manifest().as_bytes());
            hash.update(
                std::fs::read(task.workspace_dir().join(kind.manifest())).unwrap_or_default(),
            );
        }
        let digest = hash.finalize();
        let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        self.root.join(format!("{}-{short}", task.id()))
    }

    /// Whether a task's dependencies are installed.
    pub fn is_ready(&self, task: &Task) -> bool {
        self.dir_for(task).join(READY).is_file()
    }

    /// Installs a task's dependencies in `sandbox` with the network on, unless already done;
    /// returns the folder.
    ///
    /// # Errors
    /// An installer failed (its output is in the message) or a file could not be written.
    pub async fn install(&self, task: &Task, sandbox: &Sandbox) -> Result<PathBuf, String> {
        let dir = self.dir_for(task);
        if dir.join(READY).is_file() {
            return Ok(dir);
        }
        std::fs::create_dir_all(&self.root)
            .map_err(|e| format!("cannot make {}: {e}", self.root.display()))?;
        let partial = self
            .root
            .join(format!(".{}-partial-{:08x}", task.id(), fastrand::u32(..)));
        let result = install_into(task, sandbox, &partial).await;
        if let Err(e) = result {
            benchcore_sandbox::remove_tree(&partial);
            return Err(e);
        }
        for scratch in ["src", "local", ".home", ".tmp"] {
            benchcore_sandbox::remove_tree(&partial.join(scratch));
        }
        std::fs::write(partial.join(READY), "")
            .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
        match std::fs::rename(&partial, &dir) {
            Ok(()) => Ok(dir),
            // Another process finished first: use its folder.
            Err(_) if dir.join(READY).is_file() => {
                benchcore_sandbox::remove_tree(&partial);
                Ok(dir)
            }
            Err(e) => Err(format!(
                "cannot move {} to {}: {e}",
                partial.display(),
                dir.display()
            )),
        }
    }
}

async fn install_into(task: &Task, sandbox: &Sandbox, partial: &Path) -> Result<(), String> {
    let src = partial.join("src");
    copy_tree(&task.workspace_dir(), &src)
        .map_err(|e| format!("cannot copy the workspace: {e}"))?;
    let local = partial.join("local");
    let task_deps = task.dir().join("deps");
    if task_deps.is_dir() {
        copy_tree(&task_deps, &local).map_err(|e| format!("cannot copy deps/: {e}"))?;
    } else {
        std::fs::create_dir_all(&local).map_err(|e| e.to_string())?;
    }
    let out = partial.display().to_string();
    for kind in declared_dependencies(task) {
        let (argv, env): (Vec<&str>, Vec<(&str, String)>) = match kind {
            DependencyKind::Python => (
                // pip through runpy rather than `-m pip`: pyenv's shim would then try to
                // rehash its (read-only) shims folder after the install.
                vec![
                    "python3",
                    "-c",
                    "import runpy; runpy.run_module('pip', run_name='__main__', alter_sys=True)",
                    "install",
                    "--no-input",
                    "--disable-pip-version-check",
                    "--target",
                    "../python",
                    "-r",
                    "requirements.txt",
                ],
                vec![],
            ),
            DependencyKind::Node => (
                vec![
                    "npm",
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--install-links",
                ],
                vec![("npm_config_cache", format!("{out}/.home/.npm"))],
            ),
            DependencyKind::Cargo => (
                vec!["cargo", "vendor", "--versioned-dirs", "../cargo/vendor"],
                vec![("CARGO_NET_OFFLINE", "false".into())],
            ),
            DependencyKind::Go => (
                vec!["go", "mod", "tidy"],
                vec![
                    ("GOMODCACHE", format!("{out}/go/mod")),
                    ("GOPROXY", "https://proxy.golang.org,direct".into()),
                    ("GOFLAGS", "-modcacherw".into()),
                ],
            ),
        };
        let mut command =
            SandboxCommand::new(argv.iter().map(|s| (*s).to_owned()).collect(), partial)
                .cwd(&src)
                .network(true)
                .hide(task.dir())
                .env("BENCHCORE_TASK_DEPS", local.display().to_string())
                .limits({
                    let mut limits = Limits::default();
                    limits.time = Duration::from_secs(600);
                    limits.memory_mb = 4096;
                    limits.max_disk_mb = 8192;
                    limits
                });
        for (key, value) in env {
            command = command.env(key, value);
        }
        let output = sandbox
            .run(&command)
            .await
            .map_err(|e| format!("{}: {e}", kind.manifest()))?;
        if !output.exited_cleanly() {
            let tail = |b: &[u8]| {
                let text = String::from_utf8_lossy(b);
                let lines: Vec<&str> = text.lines().rev().take(15).collect();
                lines.into_iter().rev().collect::<Vec<_>>().join("\n")
            };
            return Err(format!(
                "installing {} failed ({}):\n{}\n{}",
                kind.manifest(),
                output
                    .exit_code
                    .map_or_else(|| format!("{:?}", output.limit), |c| format!("exit {c}")),
                tail(&output.stdout),
                tail(&output.stderr)
            ));
        }
        let keep = |from: &str, to: &str| -> Result<(), String> {
            let (from, to) = (src.join(from), partial.join(to));
            if from.exists() {
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                }
                std::fs::rename(&from, &to)
                    .map_err(|e| format!("cannot keep {}: {e}", from.display()))?;
            }
            Ok(())
        };
        match kind {
            DependencyKind::Node => keep("node_modules", "node/node_modules")?,
            DependencyKind::Cargo => keep("Cargo.lock", "cargo/Cargo.lock")?,
            DependencyKind::Go => keep("go.sum", "go/go.sum")?,
            DependencyKind::Python => {}
        }
    }
    Ok(())
}

/// What the tests of a task with installed dependencies need: environment variables, and
/// files placed in the attempt's folder (`root`, holding `workspace/` and `.home/`).
///
/// # Errors
/// A file could not be written.
pub(crate) fn prepare_attempt(
    task: &Task,
    cache_dir: &Path,
    root: &Path,
) -> std::io::Result<BTreeMap<String, String>> {
    let mut env = BTreeMap::new();
    let workspace = root.join("workspace");
    let copy_if_missing = |from: PathBuf, to: PathBuf| -> std::io::Result<()> {
        if from.is_file() && !to.exists() {
            std::fs::copy(from, to)?;
        }
        Ok(())
    };
    for kind in declared_dependencies(task) {
        match kind {
            DependencyKind::Python => {
                env.insert(
                    "PYTHONPATH".into(),
                    cache_dir.join("python").display().to_string(),
                );
            }
            DependencyKind::Node => {
                let modules = cache_dir.join("node/node_modules");
                let link = workspace.join("node_modules");
                if !link.exists() {
                    std::os::unix::fs::symlink(&modules, &link)?;
                }
                env.insert("NODE_PATH".into(), modules.display().to_string());
            }
            DependencyKind::Cargo => {
                copy_if_missing(
                    cache_dir.join("cargo/Cargo.lock"),
                    workspace.join("Cargo.lock"),
                )?;
                let cargo_home = root.join(".home/.cargo");
                std::fs::create_dir_all(&cargo_home)?;
                std::fs::write(
                    cargo_home.join("config.toml"),
                    format!(
                        "[source.crates-io]\nreplace-with = \"vendored\"\n\n[source.vendored]\ndirectory = {:?}\n",
                        cache_dir.join("cargo/vendor").display().to_string()
                    ),
                )?;
            }
            DependencyKind::Go => {
                copy_if_missing(cache_dir.join("go/go.sum"), workspace.join("go.sum"))?;
                env.insert(
                    "GOMODCACHE".into(),
                    cache_dir.join("go/mod").display().to_string(),
                );
                env.insert("GOFLAGS".into(), "-mod=mod".into());
            }
        }
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_that_declare_dependencies() {
        assert!(declares(
            DependencyKind::Python,
            "# c\n\n--no-index\nrequests==2\n"
        ));
        assert!(!declares(DependencyKind::Python, "# nothing\n\n"));
        assert!(declares(
            DependencyKind::Node,
            r#"{"devDependencies": {"x": "1"}}"#
        ));
        assert!(!declares(
            DependencyKind::Node,
            r#"{"name": "x", "dependencies": {}}"#
        ));
        assert!(declares(
            DependencyKind::Cargo,
            "[package]\nname = \"x\"\n[dependencies]\nserde = \"1\"\n"
        ));
        assert!(!declares(
            DependencyKind::Cargo,
            "[package]\nname = \"x\"\n[dependencies]\nlocal = { path = \"../l\" }\n"
        ));
        assert!(!declares(
            DependencyKind::Cargo,
            "[package]\nname = \"x\"\n"
        ));
        assert!(declares(
            DependencyKind::Go,
            "module x\n\ngo 1.21\n\nrequire example.com/y v1.0.0\n"
        ));
        assert!(!declares(DependencyKind::Go, "module x\n\ngo 1.21\n"));
    }
}
