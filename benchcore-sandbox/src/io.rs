//! Reading a command's output up to a cap, watching its folder's size, and removing it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Reads a pipe to its end, keeping up to `cap` bytes; past the cap it marks `truncated`,
/// wakes `overflow` and stops reading.
pub(crate) fn read_capped(
    pipe: Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>,
    cap: usize,
    overflow: Arc<tokio::sync::Notify>,
    truncated: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        let mut kept = Vec::new();
        let Some(mut pipe) = pipe else {
            return kept;
        };
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = cap.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                    if n > room {
                        truncated.store(true, Ordering::Relaxed);
                        overflow.notify_one();
                        break;
                    }
                }
            }
        }
        kept
    })
}

/// What a reader collected; a reader still blocked after `grace` (a process outside the
/// sandbox holding the pipe) is abandoned.
pub(crate) async fn collect(task: tokio::task::JoinHandle<Vec<u8>>, grace: Duration) -> Vec<u8> {
    let abort = task.abort_handle();
    match tokio::time::timeout(grace, task).await {
        Ok(Ok(bytes)) => bytes,
        _ => {
            abort.abort();
            Vec::new()
        }
    }
}

/// Measures a folder's disk use now and then; `hit` resolves once it is over the limit.
#[derive(Debug)]
pub(crate) struct DiskWatch {
    hit: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl DiskWatch {
    pub(crate) fn start(root: PathBuf, max_mb: u64) -> Self {
        let hit = Arc::new(tokio::sync::Notify::new());
        let notify = Arc::clone(&hit);
        let task = tokio::spawn(async move {
            let max = max_mb.saturating_mul(1 << 20);
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let root = root.clone();
                let used = tokio::task::spawn_blocking(move || disk_use(&root))
                    .await
                    .unwrap_or(0);
                if used > max {
                    notify.notify_one();
                    return;
                }
            }
        });
        Self { hit, task }
    }

    pub(crate) async fn hit(&self) {
        self.hit.notified().await;
    }
}

impl Drop for DiskWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Bytes of disk a folder uses (allocated blocks, so sparse files count what they take).
fn disk_use(root: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            total += meta.blocks() * 512;
            if meta.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    total
}

/// Removes a folder a command used, making read-only folders (a Go module cache) writable
/// first.
pub fn remove_tree(root: &Path) {
    if std::fs::remove_dir_all(root).is_ok() || !root.exists() {
        return;
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(entry.path());
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(root);
}
