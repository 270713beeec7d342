//! What `cargo package` makes of each published crate: the files in it, and whether the
//! packaged crates build on their own, without the rest of the checkout.
//!
//! cargo's own verification (`cargo publish --workspace --dry-run` without `--no-verify`)
//! builds every crate alone, each with its own feature set, so the shared dependencies are
//! compiled once per crate (about 6 CPU-minutes here, docs/RELEASING.md). The default check
//! instead unpacks every `.crate` into one throw-away workspace that patches the crates to each
//! other and runs `cargo check --all-targets` there once, in the main target directory: the
//! dependencies are those `cargo clippy` already checked. It catches what the package lacks
//! (a file read from outside the crate's folder, a module left out, a dependency without a
//! version); only a link error would need the full build (`--full-verify`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Failure;
use crate::checks::Problem;
use crate::workspace::{Package, Workspace};

/// Where the `.crate` files are unpacked and built together.
const CHECK_DIR: &str = "release-check";

/// The packaged crate's file name, as `cargo package` writes it.
fn crate_file(workspace: &Workspace, package: &Package) -> PathBuf {
    workspace.target_dir.join("package").join(format!("{}-{}.crate", package.name, package.version))
}

/// One published crate, unpacked from its `.crate` file.
pub(crate) struct Unpacked {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
    /// Its files, as `/`-separated paths relative to `dir`.
    pub(crate) files: BTreeSet<String>,
}

/// Unpacks every published crate under `<target>/release-check/` (with `tar`, which every CI
/// image has).
pub(crate) fn unpack(workspace: &Workspace) -> Result<Vec<Unpacked>, Failure> {
    let dir = workspace.target_dir.join(CHECK_DIR);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|source| Failure::Write { path: dir.clone(), source })?;
    }
    std::fs::create_dir_all(&dir).map_err(|source| Failure::Write { path: dir.clone(), source })?;
    let mut unpacked = Vec::new();
    for package in workspace.published() {
        let file = crate_file(workspace, package);
        // `-m`: the files get the time of unpacking, not the fixed one cargo packs (2006), so a
        // warm target dir cannot take a changed crate for one it has already checked.
        run_quiet(Command::new("tar").arg("-xzmf").arg(&file).arg("-C").arg(&dir), "tar -xzmf")?;
        let folder = format!("{}-{}", package.name, package.version);
        let files = walk(&dir.join(&folder)).map_err(|source| Failure::Read { path: dir.join(&folder), source })?;
        unpacked.push(Unpacked { name: package.name.clone(), dir: dir.join(folder), files });
    }
    Ok(unpacked)
}

/// The files under `root`, as `/`-separated paths relative to it.
fn walk(root: &Path) -> std::io::Result<BTreeSet<String>> {
    let mut files = BTreeSet::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(root) {
                let parts: Vec<String> =
                    relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                files.insert(parts.join("/"));
            }
        }
    }
    Ok(files)
}

/// The files a package must carry: its manifest, its readme and the licence files.
pub(crate) fn contents(package: &Package, files: &BTreeSet<String>, licence_files: &[&str]) -> Vec<Problem> {
    let at = || format!("{} package", package.name);
    let mut required: Vec<String> = vec!["Cargo.toml".into()];
    required.extend(package.readme.iter().map(|readme| readme.trim_start_matches("./").to_owned()));
    required.extend(licence_files.iter().map(|file| (*file).to_owned()));
    required
        .into_iter()
        .filter(|file| !files.contains(file))
        .map(|file| Problem::new(at(), format!("does not contain {file}")))
        .collect()
}

/// The throw-away workspace's manifest: every unpacked crate a member, each patched in for
/// the crates.io dependency the published manifests name.
pub(crate) fn combined_manifest(crates: &[Unpacked]) -> String {
    let folder = |path: &Path| path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut text = String::from(
        "# Written by `cargo xtask release --dry-run`: the packaged crates as one workspace.\n[workspace]\nresolver = \"3\"\nmembers = [\n",
    );
    for unpacked in crates {
        text.push_str(&format!("    \"{}\",\n", folder(&unpacked.dir)));
    }
    text.push_str("]\n\n[patch.crates-io]\n");
    for unpacked in crates {
        text.push_str(&format!("{} = {{ path = \"{}\" }}\n", unpacked.name, folder(&unpacked.dir)));
    }
    text
}

/// Writes the combined workspace (with the checkout's `Cargo.lock`, for the same versions) and
/// runs `cargo check --workspace --all-targets` in it. `Ok(false)` when the check failed.
pub(crate) fn check_together(
    cargo: &str,
    root: &Path,
    workspace: &Workspace,
    crates: &[Unpacked],
) -> Result<bool, Failure> {
    let dir = workspace.target_dir.join(CHECK_DIR);
    let manifest = dir.join("Cargo.toml");
    std::fs::write(&manifest, combined_manifest(crates))
        .map_err(|source| Failure::Write { path: manifest.clone(), source })?;
    let lock = dir.join("Cargo.lock");
    std::fs::copy(root.join("Cargo.lock"), &lock).map_err(|source| Failure::Write { path: lock, source })?;
    let status = crate::workspace::cargo(cargo)
        .args(["check", "--workspace", "--all-targets", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &workspace.target_dir)
        .status()
        .map_err(|source| Failure::Spawn { command: "cargo check".into(), source })?;
    Ok(status.success())
}

fn run_quiet(command: &mut Command, name: &str) -> Result<(), Failure> {
    let output = command.output().map_err(|source| Failure::Spawn { command: name.into(), source })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Failure::Command {
            command: name.into(),
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixture;

    fn listed(files: &[&str]) -> BTreeSet<String> {
        files.iter().map(|f| (*f).to_owned()).collect()
    }

    #[test]
    fn a_package_with_manifest_readme_and_licences_passes() {
        let package = fixture::package("wecom-types", "crates/types");
        let files =
            listed(&["Cargo.toml", "Cargo.toml.orig", "README.md", "LICENSE-MIT", "LICENSE-APACHE", "src/lib.rs"]);
        assert_eq!(contents(&package, &files, &["LICENSE-MIT", "LICENSE-APACHE"]), vec![]);
    }

    #[test]
    fn each_missing_file_is_named() {
        let package = fixture::package("wecom-types", "crates/types");
        let files = listed(&["Cargo.toml", "LICENSE-MIT", "src/lib.rs"]);
        let found: Vec<String> =
            contents(&package, &files, &["LICENSE-MIT", "LICENSE-APACHE"]).iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            ["wecom-types package: does not contain README.md", "wecom-types package: does not contain LICENSE-APACHE"]
        );
    }

    #[test]
    fn the_combined_workspace_patches_every_crate_to_its_unpacked_folder() {
        let unpacked = |name: &str| Unpacked {
            name: name.into(),
            dir: PathBuf::from(format!("/t/release-check/{name}-0.1.0")),
            files: BTreeSet::new(),
        };
        let crates = [unpacked("wecom-types"), unpacked("wecom-client")];
        let manifest: toml::Table = toml::from_str(&combined_manifest(&crates)).expect("TOML");
        let members = manifest["workspace"]["members"].as_array().expect("members");
        assert_eq!(
            members.iter().filter_map(|m| m.as_str()).collect::<Vec<_>>(),
            ["wecom-types-0.1.0", "wecom-client-0.1.0"]
        );
        assert_eq!(manifest["patch"]["crates-io"]["wecom-client"]["path"].as_str(), Some("wecom-client-0.1.0"));
    }
}
