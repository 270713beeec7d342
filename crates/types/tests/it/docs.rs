//! What the docs promise: the README lists every assumption, and nothing cites a file outside
//! the repository.

use wecom_types::fidelity::FIDELITY_TABLE;

#[test]
fn the_readme_lists_every_assumption() {
    let readme = include_str!("../../../../README.md");
    for row in FIDELITY_TABLE {
        assert!(readme.contains(&format!("`{}`", row.name)), "README.md does not list {}", row.name);
    }
}

/// The checkout's folders and files a user reads or runs. Nothing in them may point outside the
/// repository: a clone has nothing beside it.
const SELF_CONTAINED: &[&str] = &[
    "README.md",
    "ARCHITECTURE.md",
    "CHANGELOG.md",
    "Dockerfile",
    "compose.yaml",
    "docs",
    ".ci",
    "crates",
    "python",
    "examples",
    "npm",
    "ui-tests",
    "benches",
    "xtask",
    "spec",
];

/// Folders that are build output or installed dependencies, not the project's own text.
const NOT_OURS: &[&str] = &["target", "node_modules", ".venv", "__pycache__", ".pytest_cache"];

fn files_under(path: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| NOT_OURS.contains(&n)) {
            return;
        }
        let mut entries: Vec<_> = std::fs::read_dir(path).expect("a readable folder").flatten().collect();
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            files_under(&entry.path(), out);
        }
    } else if path.is_file() {
        out.push(path.to_owned());
    }
}

#[test]
fn no_file_cites_a_path_outside_the_repository() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Written in two pieces so this file does not find itself.
    let needles = [format!("..{}", "/shared"), format!("/work{}", "/shared")];
    let mut files = Vec::new();
    for entry in SELF_CONTAINED {
        files_under(&root.join(entry), &mut files);
    }
    assert!(files.len() > 100, "only {} files found under {}", files.len(), root.display());
    let mut citing = Vec::new();
    for file in &files {
        let Ok(bytes) = std::fs::read(file) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        for (n, line) in text.lines().enumerate() {
            if needles.iter().any(|needle| line.contains(needle.as_str())) {
                citing.push(format!(
                    "{}:{}: {}",
                    file.strip_prefix(&root).unwrap_or(file).display(),
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(citing.is_empty(), "files citing a path outside the repository:\n{}", citing.join("\n"));
}
