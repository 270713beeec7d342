//! What the checks look at: the workspace as `cargo metadata` describes it, and its files.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::Failure;

/// The workspace: its version and licence (`[workspace.package]`) and every member.
#[derive(Debug, Clone, Default)]
pub(crate) struct Workspace {
    /// `[workspace.package] version`.
    pub(crate) version: String,
    /// `[workspace.package] license`.
    pub(crate) license: Option<String>,
    /// The members, in `cargo metadata`'s order.
    pub(crate) members: Vec<Package>,
    /// The target directory (absolute).
    pub(crate) target_dir: PathBuf,
}

impl Workspace {
    /// The members that `cargo publish --workspace` would publish.
    pub(crate) fn published(&self) -> impl Iterator<Item = &Package> {
        self.members.iter().filter(|p| p.is_published())
    }

    /// The member of that name.
    pub(crate) fn member(&self, name: &str) -> Option<&Package> {
        self.members.iter().find(|p| p.name == name)
    }

    /// The member whose folder is `dir` (relative to the workspace root).
    pub(crate) fn member_in(&self, dir: &Path) -> Option<&Package> {
        self.members.iter().find(|p| p.dir == dir)
    }
}

/// One member, with the fields of `cargo metadata --no-deps` the checks read.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Package {
    pub(crate) name: String,
    pub(crate) version: String,
    /// `None`: any registry; `Some([])`: `publish = false`.
    pub(crate) publish: Option<Vec<String>>,
    pub(crate) license: Option<String>,
    pub(crate) license_file: Option<String>,
    pub(crate) description: Option<String>,
    /// Relative to the package's folder.
    pub(crate) readme: Option<String>,
    pub(crate) documentation: Option<String>,
    pub(crate) repository: Option<String>,
    pub(crate) homepage: Option<String>,
    #[serde(default)]
    pub(crate) keywords: Vec<String>,
    #[serde(default)]
    pub(crate) categories: Vec<String>,
    #[serde(default)]
    pub(crate) dependencies: Vec<Dependency>,
    pub(crate) manifest_path: PathBuf,
    /// The package's folder, relative to the workspace root (filled in after parsing).
    #[serde(skip)]
    pub(crate) dir: PathBuf,
}

impl Package {
    /// Whether `cargo publish` publishes it (`publish` is not `false`).
    pub(crate) fn is_published(&self) -> bool {
        self.publish.as_ref().is_none_or(|registries| !registries.is_empty())
    }

    /// Its manifest, relative to the workspace root.
    pub(crate) fn manifest(&self) -> PathBuf {
        self.dir.join("Cargo.toml")
    }
}

/// One dependency of a member.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Dependency {
    /// The package name (not the `rename`).
    pub(crate) name: String,
    /// The version requirement as cargo normalised it (`^0.1.0`; `*` when none was given).
    pub(crate) req: String,
    /// `None` for a normal dependency, `Some("dev")` or `Some("build")`.
    pub(crate) kind: Option<String>,
    /// Set for a path dependency (absolute as cargo reports it).
    pub(crate) path: Option<PathBuf>,
}

impl Dependency {
    /// A dev-dependency: only tests, examples and benches use it.
    pub(crate) fn is_dev(&self) -> bool {
        self.kind.as_deref() == Some("dev")
    }
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    workspace_root: PathBuf,
    target_directory: PathBuf,
}

/// Variables `cargo run` sets for the program it runs, about the xtask package itself.
const RUN_ONLY_VARIABLES: &[&str] =
    &["CARGO_MANIFEST_DIR", "CARGO_MANIFEST_PATH", "CARGO_CRATE_NAME", "CARGO_BIN_NAME", "CARGO_PRIMARY_PACKAGE"];

/// `cargo` as if run from the shell: without the variables `cargo run` gave this process.
/// Build scripts such as ring's rerun when one of them changes (`rerun-if-env-changed=
/// CARGO_PKG_NAME`), so passing them on would rebuild those crates on every alternation
/// between `cargo xtask` and a plain `cargo` command.
pub(crate) fn cargo(cargo: &str) -> Command {
    let mut command = Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_") || RUN_ONLY_VARIABLES.contains(&name.as_ref()) {
            command.env_remove(name.as_ref());
        }
    }
    command
}

/// Runs `cargo metadata --format-version 1` with `extra` arguments on `command` (a `cargo`,
/// its working directory set where needed) and answers its JSON; both the workspace reader and
/// the dependency graph read the workspace this way.
pub(crate) fn metadata_json(mut command: Command, extra: &[&str]) -> Result<Vec<u8>, Failure> {
    let output = command
        .args(["metadata", "--format-version", "1"])
        .args(extra)
        .output()
        .map_err(|source| Failure::Spawn { command: "cargo metadata".into(), source })?;
    if !output.status.success() {
        return Err(Failure::Command {
            command: "cargo metadata".into(),
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(output.stdout)
}

/// Reads the workspace through `cargo metadata --no-deps` and its root manifest.
pub(crate) fn load(cargo_path: &str) -> Result<(Workspace, PathBuf), Failure> {
    let metadata: Metadata =
        serde_json::from_slice(&metadata_json(cargo(cargo_path), &["--no-deps"])?).map_err(Failure::Metadata)?;
    let root = metadata.workspace_root;
    let manifest = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).map_err(|source| Failure::Read { path: manifest.clone(), source })?;
    let table: toml::Table = toml::from_str(&text).map_err(|source| Failure::Toml { path: manifest, source })?;
    let inherited = table.get("workspace").and_then(|w| w.get("package"));
    let field = |name: &str| inherited.and_then(|p| p.get(name)).and_then(|v| v.as_str()).map(str::to_owned);
    let mut members = metadata.packages;
    for member in &mut members {
        let dir = member.manifest_path.parent().unwrap_or(&root);
        member.dir = dir.strip_prefix(&root).unwrap_or(dir).to_path_buf();
        for dependency in &mut member.dependencies {
            if let Some(path) = &dependency.path {
                dependency.path = Some(path.strip_prefix(&root).unwrap_or(path).to_path_buf());
            }
        }
    }
    let workspace = Workspace {
        version: field("version").unwrap_or_default(),
        license: field("license"),
        members,
        target_dir: metadata.target_directory,
    };
    Ok((workspace, root))
}

/// The files of the checkout, by path relative to the workspace root: the disk, or a map in tests.
pub(crate) trait Tree {
    /// The file's bytes, `None` when it does not exist or cannot be read.
    fn read(&self, path: &Path) -> Option<Vec<u8>>;

    /// The file as text (lossy), `None` when it does not exist.
    fn text(&self, path: &Path) -> Option<String> {
        self.read(path).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// The checkout on disk.
pub(crate) struct Disk(pub(crate) PathBuf);

impl Tree for Disk {
    fn read(&self, path: &Path) -> Option<Vec<u8>> {
        std::fs::read(self.0.join(path)).ok()
    }
}

impl Tree for BTreeMap<PathBuf, Vec<u8>> {
    fn read(&self, path: &Path) -> Option<Vec<u8>> {
        self.get(path).cloned()
    }
}

/// `a/b/../c` → `a/c`, without touching the disk (the path may not exist).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_false_is_an_empty_registry_list() {
        let published = |publish: Option<Vec<String>>| Package { publish, ..Package::default() }.is_published();
        assert!(published(None));
        assert!(published(Some(vec!["crates-io".into()])));
        assert!(!published(Some(vec![])));
    }

    #[test]
    fn normalize_resolves_parent_folders_lexically() {
        assert_eq!(
            normalize(Path::new("python/../crates/mock-server/Cargo.toml")),
            Path::new("crates/mock-server/Cargo.toml")
        );
        assert_eq!(normalize(Path::new("./python/./Cargo.toml")), Path::new("python/Cargo.toml"));
    }
}
