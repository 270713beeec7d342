//! The npm package (`npm/package.json`, packed by `cargo xtask npm`) carries the workspace's
//! version and licence, as the wheel does: npm has no way to read them from `Cargo.toml`, so
//! the manifest states them and this check keeps them equal.

use std::path::Path;

use super::{Options, Problem};
use crate::workspace::{Tree, Workspace};

pub(crate) const PACKAGE_JSON: &str = "npm/package.json";

pub(crate) fn check(workspace: &Workspace, tree: &dyn Tree, _: &Options) -> Vec<Problem> {
    let Some(text) = tree.text(Path::new(PACKAGE_JSON)) else {
        return Vec::new(); // No npm package: nothing to keep in step.
    };
    let manifest: serde_json::Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(e) => return vec![Problem::new(PACKAGE_JSON, format!("is not JSON: {e}"))],
    };
    let mut problems = Vec::new();
    let field = |name: &str| manifest.get(name).and_then(serde_json::Value::as_str);
    if field("version") != Some(workspace.version.as_str()) {
        let what = format!("version {:?}, the workspace is at {:?}", field("version"), workspace.version);
        problems.push(Problem::new(PACKAGE_JSON, what));
    }
    let expected = workspace.license.as_deref().unwrap_or_default();
    if field("license") != Some(expected) {
        problems.push(Problem::new(
            PACKAGE_JSON,
            format!("licence {:?}, the workspace's is {expected:?}", field("license")),
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixture;

    fn found(package_json: Option<&str>) -> Vec<String> {
        let mut files = fixture::files();
        if let Some(text) = package_json {
            files.insert(PACKAGE_JSON.into(), text.as_bytes().to_vec());
        }
        check(&fixture::workspace(), &files, &Options::default()).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn no_npm_folder_means_nothing_to_check() {
        assert_eq!(found(None), Vec::<String>::new());
    }

    #[test]
    fn the_workspace_version_and_licence_pass() {
        assert_eq!(
            found(Some(r#"{"name":"wecom-mock","version":"0.1.0","license":"MIT OR Apache-2.0"}"#)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn another_version_is_named() {
        assert_eq!(
            found(Some(r#"{"version":"0.0.9","license":"MIT OR Apache-2.0"}"#)),
            ["npm/package.json: version Some(\"0.0.9\"), the workspace is at \"0.1.0\""]
        );
    }

    #[test]
    fn a_missing_version_is_named() {
        assert_eq!(
            found(Some(r#"{"license":"MIT OR Apache-2.0"}"#)),
            ["npm/package.json: version None, the workspace is at \"0.1.0\""]
        );
    }

    #[test]
    fn another_licence_is_named() {
        assert_eq!(
            found(Some(r#"{"version":"0.1.0","license":"MIT"}"#)),
            ["npm/package.json: licence Some(\"MIT\"), the workspace's is \"MIT OR Apache-2.0\""]
        );
    }

    #[test]
    fn a_manifest_that_is_not_json_is_named() {
        let found = found(Some("{"));
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("npm/package.json: is not JSON"), "{found:?}");
    }
}
