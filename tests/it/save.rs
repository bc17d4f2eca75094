//! Issue 14, item 1: `consult --save` never clobbers a file it was not asked to write, never
//! replaces something that is not a regular file, keeps the target's mode, and refuses a
//! read-only target. Each test runs the real binary in a directory of its own.
#![cfg(unix)]

use crate::common;

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

const ORIGINAL: &str = "{\"language\": [\"ruby\"]}\n";

fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/save-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test directory");
    dir
}

/// Consult, answer `python` to the first question, quit, and save to `target`.
fn save_to(target: &Path) -> (i32, String, String) {
    let args = vec![
        "consult".to_string(),
        "--save".to_string(),
        target.to_string_lossy().into_owned(),
    ];
    common::run_because(&args, Some("python\nquit\n"), &[])
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The attack: symbolic links planted at every name the old code would have picked for its
/// temporary file (`.NAME.PID.tmp`), each pointing at a victim file. The save must not
/// touch the victim, and the links stay as they were.
#[test]
fn planted_links_at_temporary_names_leave_the_victim_untouched() {
    let dir = fresh_dir("planted");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "precious\n").expect("victim");
    let me = std::process::id();
    // The binary's PID follows ours closely; cover a generous window either side.
    for pid in me.saturating_sub(200)..me + 3000 {
        symlink(&victim, dir.join(format!(".answers.json.{pid}.tmp"))).expect("plant");
    }
    let target = dir.join("answers.json");
    let (code, _, err) = save_to(&target);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "precious\n"
    );
    assert!(!std::fs::symlink_metadata(&victim)
        .expect("victim")
        .file_type()
        .is_symlink());
    let saved = std::fs::read_to_string(&target).expect("saved");
    assert!(saved.contains("python"), "{saved}");
    assert!(std::fs::symlink_metadata(&target)
        .expect("target")
        .file_type()
        .is_file());
    // Nothing but the planted links, the victim and the target.
    assert_eq!(names_in(&dir).len(), 3200 + 2);
}

/// A symbolic link as the target is written through: its regular file gets the answers,
/// and the link stays a link.
#[test]
fn a_link_target_is_written_through_and_stays_a_link() {
    let dir = fresh_dir("through-link");
    let real = dir.join("real.json");
    std::fs::write(&real, ORIGINAL).expect("real");
    let link = dir.join("answers.json");
    symlink("real.json", &link).expect("link");
    let (code, _, err) = save_to(&link);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::symlink_metadata(&link)
        .expect("link")
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&real)
        .expect("real")
        .contains("python"));
    assert_eq!(names_in(&dir), ["answers.json", "real.json"]);
}

/// A dangling link is refused: there is no regular file to write through to.
#[test]
fn a_dangling_link_is_refused() {
    let dir = fresh_dir("dangling");
    let link = dir.join("answers.json");
    symlink("nowhere.json", &link).expect("link");
    let (code, _, err) = save_to(&link);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E0403"), "{err}");
    assert!(
        err.contains("symbolic link to a file that does not exist"),
        "{err}"
    );
    assert_eq!(names_in(&dir), ["answers.json"]);
    assert!(!dir.join("nowhere.json").exists());
}

/// A named pipe (as a device would be) is not replaced by a JSON file.
#[test]
fn a_special_file_is_not_replaced() {
    let dir = fresh_dir("fifo");
    let fifo = dir.join("answers.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let (code, _, err) = save_to(&fifo);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is a named pipe, not a regular file"), "{err}");
    let kind = std::fs::symlink_metadata(&fifo).expect("fifo").file_type();
    use std::os::unix::fs::FileTypeExt;
    assert!(kind.is_fifo(), "the pipe was replaced");
    assert_eq!(names_in(&dir), ["answers.json"]);
}

/// A directory at the target's path is refused with the same error, not an I/O failure.
#[test]
fn a_directory_is_not_replaced() {
    let dir = fresh_dir("directory");
    let target = dir.join("answers.json");
    std::fs::create_dir(&target).expect("dir");
    let (code, _, err) = save_to(&target);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is a directory, not a regular file"), "{err}");
    assert!(target.is_dir());
}

/// A read-only file is an error and stays as it was, whoever runs the save (root included).
#[test]
fn a_read_only_file_is_refused() {
    let dir = fresh_dir("read-only");
    let target = dir.join("answers.json");
    std::fs::write(&target, ORIGINAL).expect("original");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let (code, _, err) = save_to(&target);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is read-only"), "{err}");
    assert!(err.contains("chmod u+w"), "{err}");
    assert_eq!(std::fs::read_to_string(&target).expect("kept"), ORIGINAL);
    let mode = std::fs::metadata(&target)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o444);
    assert_eq!(names_in(&dir), ["answers.json"]);
}

/// A replaced file keeps its mode (here one the umask would not give a new file).
#[test]
fn a_replaced_file_keeps_its_mode() {
    let dir = fresh_dir("mode");
    let target = dir.join("answers.json");
    std::fs::write(&target, ORIGINAL).expect("original");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let (code, _, err) = save_to(&target);
    assert_eq!(code, 0, "{err}");
    let meta = std::fs::metadata(&target).expect("meta");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
    assert!(std::fs::read_to_string(&target)
        .expect("saved")
        .contains("python"));
}

/// A new file gets the mode any new file gets here (0o666 less the umask), not the
/// temporary file's private 0o600.
#[test]
fn a_new_file_gets_an_ordinary_mode() {
    let dir = fresh_dir("new");
    let probe = dir.join("probe");
    std::fs::write(&probe, "").expect("probe");
    let expected = std::fs::metadata(&probe)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    std::fs::remove_file(&probe).expect("probe removed");
    let target = dir.join("answers.json");
    let (code, _, err) = save_to(&target);
    assert_eq!(code, 0, "{err}");
    let mode = std::fs::metadata(&target)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, expected, "{mode:o} against {expected:o}");
    assert_eq!(names_in(&dir), ["answers.json"]);
}
