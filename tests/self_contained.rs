//! The repository tests itself: no file of it reads, or points at, a path outside the
//! repository. The suites once read the team's shared spec beside the repository, which a
//! plain clone does not have; their data now lives in tests/data.
//!
//! The files checked are git's (tracked, plus untracked ones not ignored), so the check
//! needs git and a work tree; without them (a crate unpacked from an archive) it says so and
//! passes.

use std::path::Path;
use std::process::Command;

/// What a path out of the repository to the shared spec looks like: in a path string, in
/// pathlib's `/` form, or in PHP's `dirname($repo) . '/shared/...'`. Written in pieces so this
/// file does not match itself.
const OUTSIDE: [&str; 5] = [
    concat!("..", "/shared"),
    concat!("/shared", "/spec"),
    concat!("/shared", "/seeds"),
    concat!("\"shared\"", " / \"spec\""),
    concat!("\"shared\"", " / \"seeds\""),
];

/// The repository's files, relative to its root, or None when git cannot list them.
fn repository_files(root: &Path) -> Option<Vec<String>> {
    let out = match Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("self_contained: skipped, git cannot run here: {e}");
            return None;
        }
    };
    if !out.status.success() {
        eprintln!(
            "self_contained: skipped, `git ls-files` failed in {}: {}",
            root.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    let list = String::from_utf8(out.stdout).expect("git ls-files prints UTF-8 paths");
    Some(
        list.split('\0')
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect(),
    )
}

#[test]
fn no_file_reads_a_path_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(files) = repository_files(root) else {
        return;
    };
    assert!(
        files.iter().any(|f| f == "tests/self_contained.rs"),
        "git ls-files in {} does not list tests/self_contained.rs",
        root.display()
    );
    let mut found = Vec::new();
    for file in &files {
        let bytes = match std::fs::read(root.join(file)) {
            Ok(bytes) => bytes,
            // Deleted in the work tree but still in the index.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("cannot read {file}: {e}"),
        };
        let text = String::from_utf8_lossy(&bytes);
        for (n, line) in text.lines().enumerate() {
            for pattern in OUTSIDE {
                if line.contains(pattern) {
                    found.push(format!("{file}:{}: {pattern:?} in: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "these lines point outside the repository; a plain clone has nothing there \
         (put test data in tests/data):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_test_data_is_in_the_repository() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    for name in [
        "README.md",
        "vectors.json",
        "seeds/alfa-group.txt",
        "seeds/indomaret.md",
        "seeds/indodana.md",
    ] {
        let path = format!("{data}/{name}");
        assert!(
            Path::new(&path).is_file(),
            "tests/data/{name} is missing ({path})"
        );
    }
}
