//! Reading a lesson's files without leaving its folder. Every loader (pages, scripts,
//! `lesson.toml`, Killercoda's `index.json` and the files it names, assets) goes through
//! `read_to_string` or `check`: a file that is a symbolic link, or whose real path lies
//! outside the lesson's folder (a linked folder, `..`), is refused with a sentence saying
//! so, so a lesson can never show or copy a host file such as `/etc/shadow` to a student.

use std::io;
use std::path::Path;

fn refused(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, why.to_string())
}

/// Whether `path` may be read as part of the lesson in `root`: it exists, is no symbolic
/// link, and its real path is inside the real path of `root`.
pub fn check(root: &Path, path: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Err(refused(
            "it is a symbolic link; a lesson's files must be its own, not links",
        ));
    }
    let real = path.canonicalize()?;
    let base = root.canonicalize()?;
    if !real.starts_with(&base) {
        return Err(refused("it lies outside the lesson's folder"));
    }
    Ok(())
}

/// `check`, then every file under `path` when it is a folder: no link and no special file
/// anywhere in it.
pub fn check_tree(root: &Path, path: &Path) -> io::Result<()> {
    check(root, path)?;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            check_tree(root, &entry?.path())?;
        }
    } else if !meta.is_file() {
        return Err(refused("it is not a regular file or a folder"));
    }
    Ok(())
}

/// The text of `path`, a file of the lesson in `root`, after `check`.
pub fn read_to_string(root: &Path, path: &Path) -> io::Result<String> {
    check(root, path)?;
    std::fs::read_to_string(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_paths_leaving_the_lesson_folder_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("lesson");
        std::fs::create_dir_all(dir.join("steps")).unwrap();
        std::fs::write(dir.join("intro.en.md"), "# Intro").unwrap();
        std::fs::write(root.path().join("secret"), "secret").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.join("finish.en.md")).unwrap();
        std::os::unix::fs::symlink("intro.en.md", dir.join("linked.md")).unwrap();
        std::os::unix::fs::symlink(root.path(), dir.join("up")).unwrap();
        std::os::unix::fs::symlink("/etc", dir.join("steps/etc")).unwrap();

        assert_eq!(
            read_to_string(&dir, &dir.join("intro.en.md")).unwrap(),
            "# Intro"
        );
        for path in [
            dir.join("finish.en.md"),
            dir.join("linked.md"),
            dir.join("up/secret"),
            dir.join("../secret"),
            dir.join("steps/etc/passwd"),
        ] {
            let err = read_to_string(&dir, &path).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{path:?}");
        }
        assert_eq!(
            check_tree(&dir, &dir.join("steps")).unwrap_err().kind(),
            io::ErrorKind::PermissionDenied
        );
        assert_eq!(
            read_to_string(&dir, &dir.join("missing.md"))
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
    }
}
