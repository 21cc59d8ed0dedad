//! The environment every command starts from.

use std::collections::BTreeMap;
use std::path::Path;

/// Variables passed through from the caller: where toolchains live, and the locale.
pub(crate) const PASSED: &[&str] = &[
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "PYENV_ROOT",
    "PYENV_VERSION",
    "GOROOT",
    "JAVA_HOME",
];

/// The environment every command starts from: nothing of the caller's but `PATH`, the
/// locale and where toolchains live (`RUSTUP_HOME`, `PYENV_ROOT` …); `HOME` and `TMPDIR`
/// inside the sandbox; caches of Go and Cargo inside `HOME`; the Go proxy off and Cargo
/// offline. API keys and every other variable are left out.
///
/// ```
/// let env = benchcore_sandbox::base_env("/s/.home".as_ref(), "/s/.tmp".as_ref());
/// assert_eq!(env["HOME"], "/s/.home");
/// assert!(!env.keys().any(|k| k.contains("API_KEY")));
/// ```
pub fn base_env(home: &Path, tmp: &Path) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let parent = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
    env.insert(
        "PATH".into(),
        parent("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into()),
    );
    for key in PASSED {
        if let Some(value) = parent(key) {
            env.insert((*key).into(), value);
        }
    }
    // Toolchains found through the caller's home keep working with HOME moved.
    for (key, path) in home_toolchains() {
        env.entry(key.into())
            .or_insert_with(|| path.display().to_string());
    }
    env.entry("LANG".into()).or_insert_with(|| "C.UTF-8".into());
    let home_s = home.display().to_string();
    env.insert("HOME".into(), home_s.clone());
    env.insert("TMPDIR".into(), tmp.display().to_string());
    env.insert("CARGO_HOME".into(), format!("{home_s}/.cargo"));
    env.insert("CARGO_NET_OFFLINE".into(), "true".into());
    env.insert("GOCACHE".into(), format!("{home_s}/.cache/go-build"));
    env.insert("GOPATH".into(), format!("{home_s}/go"));
    env.insert("GOFLAGS".into(), "-modcacherw".into());
    env.insert("GOPROXY".into(), "off".into());
    env.insert("GOTOOLCHAIN".into(), "local".into());
    env.insert("GOTELEMETRY".into(), "off".into());
    env.insert("PYTHONDONTWRITEBYTECODE".into(), "1".into());
    env.insert("NO_COLOR".into(), "1".into());
    env.insert("CI".into(), "true".into());
    env
}

/// `RUSTUP_HOME` and `PYENV_ROOT` as found in the caller's home when they are not set.
pub(crate) fn home_toolchains() -> Vec<(&'static str, std::path::PathBuf)> {
    let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) else {
        return Vec::new();
    };
    [("RUSTUP_HOME", ".rustup"), ("PYENV_ROOT", ".pyenv")]
        .into_iter()
        .filter(|(key, _)| std::env::var_os(key).is_none_or(|v| v.is_empty()))
        .map(|(key, dir)| (key, Path::new(&home).join(dir)))
        .filter(|(_, path)| path.is_dir())
        .collect()
}
