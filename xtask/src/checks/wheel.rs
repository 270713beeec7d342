//! The Python wheel (`python/`, built with maturin) carries the workspace's version: either
//! `dynamic = ["version"]` with maturin reading it from a workspace crate's manifest (the way
//! that cannot drift), or a `version` equal to the workspace's; and the workspace's licence
//! (`license`, an SPDX expression as PEP 639 has it; the files are checked with the crates').

use std::path::{Path, PathBuf};

use super::{Options, Problem};
use crate::workspace::{Tree, Workspace, normalize};

pub(crate) const PYPROJECT: &str = "python/pyproject.toml";

pub(crate) fn check(workspace: &Workspace, tree: &dyn Tree, _: &Options) -> Vec<Problem> {
    let Some(text) = tree.text(Path::new(PYPROJECT)) else {
        return Vec::new(); // No wheel (yet): nothing to keep in step.
    };
    let pyproject: toml::Table = match toml::from_str(&text) {
        Ok(table) => table,
        Err(e) => return vec![Problem::new(PYPROJECT, format!("is not TOML: {e}"))],
    };
    let project = pyproject.get("project");
    let mut problems = licence(workspace, project);
    problems.extend(version(workspace, tree, &pyproject));
    problems
}

/// `license = "MIT OR Apache-2.0"` (or the older `{ text = … }`), as the workspace's.
fn licence(workspace: &Workspace, project: Option<&toml::Value>) -> Vec<Problem> {
    let declared = project.and_then(|p| p.get("license"));
    let expression = declared.and_then(|l| l.as_str().or_else(|| l.get("text").and_then(toml::Value::as_str)));
    let expected = workspace.license.as_deref().unwrap_or_default();
    match expression {
        Some(expression) if expression == expected => Vec::new(),
        found => vec![Problem::new(PYPROJECT, format!("licence {found:?}, the workspace's is {expected:?}"))],
    }
}

fn version(workspace: &Workspace, tree: &dyn Tree, pyproject: &toml::Table) -> Vec<Problem> {
    let project = pyproject.get("project");
    let version = project.and_then(|p| p.get("version")).and_then(toml::Value::as_str);
    let dynamic = project
        .and_then(|p| p.get("dynamic"))
        .and_then(toml::Value::as_array)
        .is_some_and(|fields| fields.iter().any(|f| f.as_str() == Some("version")));
    match (version, dynamic) {
        (Some(_), true) => vec![Problem::new(PYPROJECT, "has both `version` and `dynamic = [\"version\"]`")],
        (None, false) => {
            vec![Problem::new(PYPROJECT, "has no version: use `dynamic = [\"version\"]` (from Cargo.toml)")]
        }
        (Some(version), false) if version != workspace.version => {
            let what = format!("version {version:?}, the workspace is at {:?}", workspace.version);
            vec![Problem::new(PYPROJECT, what)]
        }
        (Some(_), false) => Vec::new(),
        (None, true) => dynamic_version(workspace, tree, pyproject),
    }
}

/// maturin takes the version from `[tool.maturin] manifest-path` (default: `Cargo.toml` beside
/// `pyproject.toml`): a workspace member has the workspace version (checked elsewhere); any
/// other manifest must state it.
fn dynamic_version(workspace: &Workspace, tree: &dyn Tree, pyproject: &toml::Table) -> Vec<Problem> {
    let manifest_path = pyproject
        .get("tool")
        .and_then(|t| t.get("maturin"))
        .and_then(|m| m.get("manifest-path"))
        .and_then(toml::Value::as_str)
        .unwrap_or("Cargo.toml");
    let manifest: PathBuf = normalize(&Path::new("python").join(manifest_path));
    let shown = manifest.display().to_string();
    if let Some(dir) = manifest.parent()
        && workspace.member_in(dir).is_some()
    {
        return Vec::new();
    }
    let Some(text) = tree.text(&manifest) else {
        return vec![Problem::new(PYPROJECT, format!("maturin's manifest {shown} does not exist"))];
    };
    let version = toml::from_str::<toml::Table>(&text)
        .ok()
        .and_then(|t| t.get("package").and_then(|p| p.get("version")).and_then(|v| v.as_str()).map(str::to_owned));
    match version {
        Some(version) if version == workspace.version => Vec::new(),
        Some(version) => {
            vec![Problem::new(shown, format!("version {version:?}, the workspace is at {:?}", workspace.version))]
        }
        None => vec![Problem::new(
            shown,
            "no `[package] version` for maturin to give the wheel (and not a workspace member)",
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixture;

    #[track_caller]
    fn check_with(pyproject: Option<&str>, extra: &[(&str, &str)], expected: &[&str]) {
        let mut files = fixture::files();
        if let Some(text) = pyproject {
            // The licence is right unless a case is about it (its own test is above).
            let text = text.replacen("[project]\n", "[project]\nlicense = \"MIT OR Apache-2.0\"\n", 1);
            files.insert(PYPROJECT.into(), text.into_bytes());
        }
        for (path, text) in extra {
            files.insert((*path).into(), text.as_bytes().to_vec());
        }
        let found: Vec<String> =
            check(&fixture::workspace(), &files, &Options::default()).iter().map(ToString::to_string).collect();
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for (found, expected) in found.iter().zip(expected) {
            assert!(found.contains(expected), "{found:?} should say {expected:?}");
        }
    }

    #[test]
    fn the_licence_must_be_the_workspace_licence() {
        let found = |license: &str| {
            let pyproject: toml::Table = toml::from_str(&format!("[project]\n{license}")).expect("TOML");
            licence(&fixture::workspace(), pyproject.get("project")).iter().map(|p| p.what.clone()).collect::<Vec<_>>()
        };
        assert_eq!(found("license = \"MIT OR Apache-2.0\""), Vec::<String>::new());
        assert_eq!(found("license = { text = \"MIT OR Apache-2.0\" }"), Vec::<String>::new());
        assert_eq!(
            found("license = { text = \"Apache-2.0\" }"),
            ["licence Some(\"Apache-2.0\"), the workspace's is \"MIT OR Apache-2.0\""]
        );
        assert_eq!(found(""), ["licence None, the workspace's is \"MIT OR Apache-2.0\""]);
    }

    #[test]
    fn no_python_folder_means_nothing_to_check() {
        check_with(None, &[], &[]);
    }

    #[test]
    fn a_static_version_must_equal_the_workspace_version() {
        check_with(Some("[project]\nname = \"wecom-mock\"\nversion = \"0.1.0\"\n"), &[], &[]);
        check_with(Some("[project]\nname = \"wecom-mock\"\nversion = \"0.0.9\"\n"), &[], &["\"0.0.9\""]);
    }

    #[test]
    fn a_dynamic_version_from_a_workspace_member_passes() {
        let pyproject = "[project]\nname = \"wecom-mock\"\ndynamic = [\"version\"]\n\n[tool.maturin]\nbindings = \"bin\"\nmanifest-path = \"../crates/mock-server/Cargo.toml\"\n";
        check_with(Some(pyproject), &[], &[]);
    }

    #[test]
    fn a_dynamic_version_from_a_manifest_outside_the_workspace_must_state_it() {
        let pyproject = "[project]\nname = \"wecom-mock\"\ndynamic = [\"version\"]\n";
        check_with(Some(pyproject), &[("python/Cargo.toml", "[package]\nname = \"py\"\nversion = \"0.1.0\"\n")], &[]);
        check_with(
            Some(pyproject),
            &[("python/Cargo.toml", "[package]\nname = \"py\"\nversion = \"0.3.0\"\n")],
            &["python/Cargo.toml: version \"0.3.0\""],
        );
        check_with(
            Some(pyproject),
            &[("python/Cargo.toml", "[package]\nname = \"py\"\nversion.workspace = true\n")],
            &["no `[package] version`"],
        );
        check_with(Some(pyproject), &[], &["does not exist"]);
    }

    #[test]
    fn a_version_must_be_given_one_way_only() {
        check_with(Some("[project]\nname = \"x\"\n"), &[], &["has no version"]);
        check_with(Some("[project]\nversion = \"0.1.0\"\ndynamic = [\"version\"]\n"), &[], &["both"]);
        check_with(Some("[project\n"), &[], &["not TOML"]);
    }
}
