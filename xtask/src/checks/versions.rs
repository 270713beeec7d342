//! One version everywhere: every member has the workspace version, and every path dependency
//! on a member asks for exactly that version (what a published manifest keeps of it).

use super::{Options, Problem};
use crate::workspace::{Tree, Workspace};

pub(crate) fn check(workspace: &Workspace, _: &dyn Tree, _: &Options) -> Vec<Problem> {
    let version = &workspace.version;
    let mut problems = Vec::new();
    if version.is_empty() {
        problems.push(Problem::new("Cargo.toml", "no `[workspace.package] version`"));
    }
    for package in &workspace.members {
        let at = || package.manifest().display().to_string();
        if &package.version != version {
            let what = format!(
                "{} is at {}, the workspace at {version} (use `version.workspace = true`)",
                package.name, package.version
            );
            problems.push(Problem::new(at(), what));
        }
        for dependency in &package.dependencies {
            let Some(path) = &dependency.path else { continue };
            let Some(target) = workspace.member_in(path) else { continue };
            let unversioned = dependency.req == "*";
            if package.is_published() && !target.is_published() && !(dependency.is_dev() && unversioned) {
                let what = format!("depends on {}, which is not published (`publish = false`)", target.name);
                problems.push(Problem::new(at(), what));
                continue;
            }
            if unversioned {
                // cargo drops a path dev-dependency without a version from the published manifest.
                if package.is_published() && !dependency.is_dev() {
                    let what =
                        format!("path dependency {} has no version: crates.io would not find it", dependency.name);
                    problems.push(Problem::new(at(), what));
                }
                continue;
            }
            if !requires_exactly(&dependency.req, version) {
                let what = format!("asks for {} {}, the workspace is at {version}", dependency.name, dependency.req);
                problems.push(Problem::new(at(), what));
            }
        }
    }
    problems
}

/// `^0.1.0` or `=0.1.0` for `0.1.0`: the requirement names the version itself, so that a bump
/// that forgets a dependency is caught.
fn requires_exactly(req: &str, version: &str) -> bool {
    req.strip_prefix(['^', '=']).is_some_and(|named| named == version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixture;

    fn problems(change: impl FnOnce(&mut Workspace)) -> Vec<Problem> {
        let mut workspace = fixture::workspace();
        change(&mut workspace);
        check(&workspace, &fixture::files(), &Options::default())
    }

    #[test]
    fn the_fixture_has_one_version() {
        assert_eq!(problems(|_| {}), vec![]);
    }

    #[test]
    fn a_member_at_another_version_is_named() {
        let found = problems(|ws| ws.members[0].version = "0.2.0".into());
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].what.contains("wecom-types is at 0.2.0"), "{found:?}");
    }

    #[test]
    fn a_path_dependency_must_ask_for_the_workspace_version() {
        for (req, fine) in [("^0.1.0", true), ("=0.1.0", true), ("^0.1", false), ("^0.0.9", false), (">=0.1.0", false)]
        {
            let found = problems(|ws| ws.members[1].dependencies[0].req = req.into());
            assert_eq!(found.is_empty(), fine, "{req}: {found:?}");
        }
    }

    #[test]
    fn a_published_crate_needs_versions_on_its_path_dependencies() {
        let found = problems(|ws| ws.members[1].dependencies[0].req = "*".into());
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].what.contains("has no version"));
        // A dev-dependency without a version is dropped on publish: fine.
        assert_eq!(problems(|ws| ws.members[1].dependencies[1].req = "*".into()), vec![]);
    }

    #[test]
    fn a_published_crate_cannot_depend_on_an_internal_one() {
        let found = problems(|ws| {
            let xtask = fixture::path_dependency("xtask", "xtask", None);
            ws.members[0].dependencies.push(xtask);
        });
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].what.contains("not published"));
        let dev_unversioned = problems(|ws| {
            let mut xtask = fixture::path_dependency("xtask", "xtask", Some("dev"));
            xtask.req = "*".into();
            ws.members[0].dependencies.push(xtask);
        });
        assert_eq!(dev_unversioned, vec![], "a dev-dependency without a version is dropped on publish");
    }

    #[test]
    fn no_workspace_version_is_a_problem() {
        let found = problems(|ws| ws.version.clear());
        assert!(found.iter().any(|p| p.at == "Cargo.toml"), "{found:?}");
    }
}
