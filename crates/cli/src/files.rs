//! Writing output files so that a reader never sees a partial one: write a temporary file
//! beside the target, flush it to disk, then rename it over the target (atomic on POSIX).
//! Used for verified images (`--out`), reports and the simulator's state file.

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically. On error nothing is left at `path` that was not
/// there before, and the temporary file is removed.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: the original error is the one worth reporting.
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `dir/.name.tmp-<pid>`: same directory (so the rename cannot cross file systems),
/// hidden, and unique per process.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "otaflash".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("image.bin");
        write_atomic(&target, b"old")?;
        write_atomic(&target, b"new")?;
        assert_eq!(fs::read(&target)?, b"new");
        let names = fs::read_dir(dir.path())?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<Vec<_>>>()?;
        assert_eq!(names, vec![std::ffi::OsString::from("image.bin")]);
        Ok(())
    }

    #[test]
    fn a_failed_write_creates_nothing() {
        let target = Path::new("/nonexistent-otaflash-dir/image.bin");
        assert!(write_atomic(target, b"x").is_err());
        assert!(!target.exists());
    }
}
