//! Files written whole: a reader sees the old file or the new one, never
//! half of either; secrets get their mode before a byte is written.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

/// Writes `bytes` (0600, its folder created 0700), the key called `what`,
/// to `path` unless another process or thread got there first; what `path`
/// holds after.
pub fn create_once(path: &Path, bytes: &[u8], what: &str) -> Result<String, String> {
    if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
        use std::os::unix::fs::DirBuilderExt as _;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    let staged = path.with_extension(format!("partial-{}", crate::secret::random(8)));
    write_new(&staged, bytes, 0o600)?;
    // A link fails where the name exists: the first writer wins, whole.
    let linked = fs::hard_link(&staged, path);
    let _ = fs::remove_file(&staged);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "made the {what}");
            Ok(String::from_utf8_lossy(bytes).into_owned())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        }
        Err(e) => Err(format!("cannot write {}: {e}", path.display())),
    }
}

/// Writes beside and renames over, so a reader sees the old file or the new.
pub fn write(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    let partial = path.with_extension("partial");
    let _ = fs::remove_file(&partial);
    write_new(&partial, bytes, mode)?;
    fs::rename(&partial, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Creates `path` (which must not exist) with `mode`, and its bytes on disk.
pub fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(failed)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(failed)
}
