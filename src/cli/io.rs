//! Writing files without losing data or clobbering anything: the contents go to a temporary
//! file created exclusively, with an unpredictable name, beside the target (the `tempfile`
//! crate: `O_EXCL`, no symlink followed); it is flushed to disk, given the target's mode, and
//! renamed over the target. A failure at any point leaves the original intact and no
//! temporary file behind.
//!
//! What may be replaced: a regular file the user can write, or a new file. A symbolic link is
//! written *through*: its final target (which must be a regular file) is replaced and the link
//! stays a link, as editors do for dotfiles kept in a repository. Anything else (a directory, a
//! device, a pipe, a socket, a dangling link) is refused, and so is a read-only file, even for
//! a user such as root whom the permissions would not stop.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a file could not be saved.
#[derive(Debug)]
pub enum SaveError {
    /// The target exists and is not a regular file (after following symbolic links).
    NotRegular { kind: &'static str },
    /// The target is a symbolic link that leads nowhere.
    DanglingLink,
    /// The target is a regular file without write permission.
    ReadOnly,
    /// Reading the target's metadata, writing, syncing or renaming failed.
    Io(std::io::Error),
}

impl fmt::Display for SaveError {
    /// Worded to follow "cannot save to `PATH`: ", which names the path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaveError::NotRegular { kind, .. } => {
                write!(f, "it is {kind}, not a regular file, and is left as it is")
            }
            SaveError::DanglingLink => {
                write!(f, "it is a symbolic link to a file that does not exist")
            }
            SaveError::ReadOnly => write!(f, "it is read-only, and is left as it is"),
            SaveError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SaveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SaveError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl SaveError {
    /// What the user can do about it.
    pub fn help(&self) -> &'static str {
        match self {
            SaveError::NotRegular { .. } | SaveError::DanglingLink => {
                "save to a regular file's path; nothing was overwritten"
            }
            SaveError::ReadOnly => {
                "make the file writable (`chmod u+w`) or save elsewhere; nothing was overwritten"
            }
            SaveError::Io(_) => {
                "check that the directory exists and is writable; nothing was overwritten"
            }
        }
    }
}

impl From<std::io::Error> for SaveError {
    fn from(e: std::io::Error) -> Self {
        SaveError::Io(e)
    }
}

/// The file a save to `path` replaces: `path` itself, or the regular file a symbolic link at
/// `path` leads to. `None` when nothing exists there yet.
fn resolve_target(path: &Path) -> Result<Option<(PathBuf, std::fs::Metadata)>, SaveError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let (real, meta) = if meta.file_type().is_symlink() {
        let real = match std::fs::canonicalize(path) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(SaveError::DanglingLink)
            }
            Err(e) => return Err(e.into()),
        };
        let meta = std::fs::metadata(&real)?;
        (real, meta)
    } else {
        (path.to_path_buf(), meta)
    };
    if !meta.is_file() {
        return Err(SaveError::NotRegular {
            kind: kind_of(&meta),
        });
    }
    if meta.permissions().readonly() {
        return Err(SaveError::ReadOnly);
    }
    Ok(Some((real, meta)))
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Replace (or create) the file at `path` with `contents`, atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), SaveError> {
    let target = resolve_target(path)?;
    let dest = target
        .as_ref()
        .map_or_else(|| path.to_path_buf(), |(real, _)| real.clone());
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dest
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        // A new file gets the mode any new file would (0o666 less the umask, applied by the
        // kernel at creation); a replaced file keeps its own, set again below past the umask.
        let mode = target
            .as_ref()
            .map_or(0o666, |(_, m)| m.permissions().mode() & 0o7777);
        builder.permissions(std::fs::Permissions::from_mode(mode));
        mode
    };
    let mut tmp = builder.tempfile_in(dir).map_err(without_temporary_path)?;
    tmp.write_all(contents)?;
    #[cfg(unix)]
    if let Some((_, meta)) = &target {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
        // Keep the owner and group where we may (root may; others keep their own, which the
        // file already has, or cannot change it, which is not a reason to fail the save).
        let _ = std::os::unix::fs::fchown(tmp.as_file(), Some(meta.uid()), Some(meta.gid()));
    }
    tmp.as_file().sync_all()?;
    #[cfg(debug_assertions)]
    if std::env::var_os("BECAUSE_TEST_FAIL_BEFORE_RENAME").is_some() {
        // A test hook, compiled only into debug builds: dropping `tmp` removes it.
        return Err(std::io::Error::other("simulated failure before rename (test hook)").into());
    }
    tmp.persist(&dest).map_err(|e| SaveError::Io(e.error))?;
    // Make the rename itself durable; a directory that cannot be synced loses nothing now.
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// `tempfile` adds the temporary file's random path to its errors (as text: the OS error
/// inside is not reachable); the user never asked for that file, and the message names the
/// target already. Keep the kind and the words before the path.
fn without_temporary_path(e: std::io::Error) -> std::io::Error {
    let text = e.to_string();
    match text.rsplit_once(" at path ") {
        Some((message, _)) => std::io::Error::new(e.kind(), message.to_string()),
        None => e,
    }
}
