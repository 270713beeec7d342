//! `cargo xtask npm --out DIR`: the `wecom-mock` npm package, `DIR/wecom-mock-VERSION.tgz`.
//!
//! The package is `npm/` (the module, its types, the tether and the manifest, whose version the
//! release check keeps at the workspace's) plus the workspace's licence files and the
//! `wecom-mock` binary in `bin/`. They are staged under `<target>/npm-package/` and packed there
//! with `npm pack`, so what is tested is exactly what a registry would be sent.

use std::path::{Path, PathBuf};

use crate::Failure;
use crate::checks::{Problem, npm::PACKAGE_JSON};
use crate::workspace::{self, Workspace};

/// Where the package is staged, under the target directory.
const STAGE_DIR: &str = "npm-package";
/// The folder of the manifest's `files` that holds the binary.
const BINARY_DIR: &str = "bin/";
const BINARY_NAME: &str = "wecom-mock";
const LICENCE_FILES: &[&str] = &["LICENSE-MIT", "LICENSE-APACHE"];

/// The tarball `npm pack` writes for this version.
pub(crate) fn tarball_name(version: &str) -> String {
    format!("{BINARY_NAME}-{version}.tgz")
}

/// The files of `npm/` the package carries: the manifest's `files` entries but the binary's
/// folder (filled from the build) and the licence files (copied from the root), plus the
/// manifest and the README.
pub(crate) fn module_files(manifest: &serde_json::Value) -> Result<Vec<String>, Problem> {
    let listed: Vec<&str> = manifest
        .get("files")
        .and_then(serde_json::Value::as_array)
        .map(|files| files.iter().filter_map(serde_json::Value::as_str).collect())
        .unwrap_or_default();
    if !listed.contains(&BINARY_DIR) {
        return Err(Problem::new(PACKAGE_JSON, format!("`files` must list {BINARY_DIR:?}, where the binary goes")));
    }
    let bin = manifest.get("bin").and_then(|b| b.get(BINARY_NAME)).and_then(serde_json::Value::as_str);
    if bin != Some(&format!("{BINARY_DIR}{BINARY_NAME}")) {
        return Err(Problem::new(
            PACKAGE_JSON,
            format!("`bin` must map {BINARY_NAME:?} to \"{BINARY_DIR}{BINARY_NAME}\""),
        ));
    }
    if let Some(missing) = LICENCE_FILES.iter().find(|licence| !listed.contains(licence)) {
        return Err(Problem::new(PACKAGE_JSON, format!("`files` must list {missing:?} (npm leaves it out otherwise)")));
    }
    let mut files = vec!["package.json".to_owned(), "README.md".to_owned()];
    let from_npm_dir = |file: &&str| *file != BINARY_DIR && !LICENCE_FILES.contains(file);
    files.extend(listed.into_iter().filter(from_npm_dir).map(str::to_owned));
    Ok(files)
}

/// What a run needs besides the workspace.
pub(crate) struct Request<'a> {
    pub(crate) cargo: &'a str,
    pub(crate) out: &'a Path,
    /// A built `wecom-mock` to pack instead of building the release binary (CI packs its
    /// debug build).
    pub(crate) binary: Option<&'a Path>,
}

/// Packs the package; `Err` with the problems when the checkout is not packable.
pub(crate) fn pack(
    workspace: &Workspace,
    root: &Path,
    request: &Request<'_>,
) -> Result<Result<PathBuf, Vec<Problem>>, Failure> {
    let tree = workspace::Disk(root.to_path_buf());
    let problems = crate::checks::npm::check(workspace, &tree, &crate::checks::Options::default());
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let manifest_path = root.join(PACKAGE_JSON);
    let text = read(&manifest_path)?;
    let manifest: serde_json::Value = serde_json::from_str(&text).map_err(Failure::Metadata)?;
    let files = match module_files(&manifest) {
        Ok(files) => files,
        Err(problem) => return Ok(Err(vec![problem])),
    };

    let binary = match request.binary {
        Some(binary) => binary.to_path_buf(),
        None => build_release(request.cargo, workspace)?,
    };

    let stage = workspace.target_dir.join(STAGE_DIR).join(BINARY_NAME);
    if stage.exists() {
        std::fs::remove_dir_all(&stage).map_err(|source| Failure::Write { path: stage.clone(), source })?;
    }
    let npm_dir = manifest_path.parent().unwrap_or(root);
    for file in &files {
        copy(&npm_dir.join(file), &stage.join(file))?;
    }
    for licence in LICENCE_FILES {
        copy(&root.join(licence), &stage.join(licence))?;
    }
    let staged_binary = stage.join(BINARY_DIR).join(BINARY_NAME);
    copy(&binary, &staged_binary)?;
    make_executable(&staged_binary)?;
    strip(&staged_binary);

    std::fs::create_dir_all(request.out)
        .map_err(|source| Failure::Write { path: request.out.to_path_buf(), source })?;
    let out = std::path::absolute(request.out)
        .map_err(|source| Failure::Write { path: request.out.to_path_buf(), source })?;
    eprintln!("$ npm pack --pack-destination {}", out.display());
    let status = std::process::Command::new("npm")
        .args(["pack", "--silent", "--pack-destination"])
        .arg(&out)
        .current_dir(&stage)
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|source| Failure::Spawn { command: "npm pack".into(), source })?;
    if !status.success() {
        return Err(Failure::Failed { command: "npm pack".into(), status });
    }
    let tarball = out.join(tarball_name(&workspace.version));
    if !tarball.is_file() {
        return Err(Failure::Read { path: tarball, source: std::io::ErrorKind::NotFound.into() });
    }
    Ok(Ok(tarball))
}

/// `cargo build --release -p wecom-mock` (cargo rebuilds only what changed); the binary's path.
fn build_release(cargo: &str, workspace: &Workspace) -> Result<PathBuf, Failure> {
    let args = ["build", "--release", "--package", "wecom-mock", "--bin", BINARY_NAME];
    eprintln!("$ cargo {}", args.join(" "));
    let status = workspace::cargo(cargo)
        .args(args)
        .status()
        .map_err(|source| Failure::Spawn { command: "cargo build".into(), source })?;
    if !status.success() {
        return Err(Failure::Failed { command: format!("cargo {}", args.join(" ")), status });
    }
    Ok(workspace.target_dir.join("release").join(BINARY_NAME))
}

/// Strips the staged binary's symbols and line tables, as the wheel's `maturin --strip` does
/// (the release profile keeps line tables for profiling): about a sixth of the size. Without a
/// `strip` on PATH the binary goes in as built.
fn strip(binary: &Path) {
    match std::process::Command::new("strip").arg(binary).status() {
        Ok(status) if status.success() => {}
        Ok(status) => eprintln!("warning: strip failed ({status}); packing the binary unstripped"),
        Err(e) => eprintln!("warning: cannot run strip ({e}); packing the binary unstripped"),
    }
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|source| Failure::Read { path: path.to_path_buf(), source })
}

fn copy(from: &Path, to: &Path) -> Result<(), Failure> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Failure::Write { path: dir.to_path_buf(), source })?;
    }
    std::fs::copy(from, to).map(|_| ()).map_err(|source| Failure::Read { path: from.to_path_buf(), source })
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|source| Failure::Write { path: path.to_path_buf(), source })
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<(), Failure> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> serde_json::Value {
        serde_json::from_str(text).expect("JSON")
    }

    #[test]
    fn the_tarball_is_named_after_the_version() {
        assert_eq!(tarball_name("0.2.0"), "wecom-mock-0.2.0.tgz");
    }

    #[test]
    fn the_module_files_are_the_listed_ones_but_the_binary_folder() {
        let files = module_files(&manifest(
            r#"{"files":["index.js","bin/","LICENSE-MIT","LICENSE-APACHE","index.d.ts"],"bin":{"wecom-mock":"bin/wecom-mock"}}"#,
        ));
        assert_eq!(files, Ok(vec!["package.json".into(), "README.md".into(), "index.js".into(), "index.d.ts".into()]));
    }

    #[test]
    fn a_manifest_without_the_binary_folder_is_refused() {
        let refused = module_files(&manifest(r#"{"files":["index.js"],"bin":{"wecom-mock":"bin/wecom-mock"}}"#));
        assert!(refused.is_err_and(|p| p.what.contains("`files` must list")));
        let refused = module_files(&manifest(r#"{"bin":{"wecom-mock":"bin/wecom-mock"}}"#));
        assert!(refused.is_err_and(|p| p.what.contains("`files` must list")));
    }

    #[test]
    fn a_manifest_without_the_licence_files_is_refused() {
        let refused =
            module_files(&manifest(r#"{"files":["bin/","LICENSE-MIT"],"bin":{"wecom-mock":"bin/wecom-mock"}}"#));
        assert!(refused.is_err_and(|p| p.what.contains("\"LICENSE-APACHE\"")));
    }

    #[test]
    fn a_manifest_whose_bin_is_not_the_packed_binary_is_refused() {
        let refused = module_files(&manifest(r#"{"files":["bin/"],"bin":{"wecom-mock":"cli.js"}}"#));
        assert!(refused.is_err_and(|p| p.what.contains("`bin` must map")));
        let refused = module_files(&manifest(r#"{"files":["bin/"]}"#));
        assert!(refused.is_err_and(|p| p.what.contains("`bin` must map")));
    }

    #[test]
    fn the_repository_manifest_is_packable() {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(PACKAGE_JSON))
            .expect("npm/package.json");
        let files = module_files(&manifest(&text)).expect("packable");
        for file in &files {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../npm").join(file);
            assert!(path.is_file(), "{} is listed but missing", path.display());
        }
    }
}
