//! The licence files the manifests declare: at the root, and an identical copy in every
//! published crate's folder (`cargo package` only takes files from inside the crate's folder;
//! `cargo xtask release` also checks each package's file list) and, once it exists, in
//! `python/` (the wheel's `license-files` cannot reach outside it).

use std::path::{Path, PathBuf};

use super::{Options, Problem};
use crate::workspace::{Tree, Workspace};

/// The file each SPDX licence identifier is kept in (the Rust convention's names).
pub(crate) const LICENCE_FILES: &[(&str, &str)] = &[("MIT", "LICENSE-MIT"), ("Apache-2.0", "LICENSE-APACHE")];

/// The licence files an SPDX expression (`MIT OR Apache-2.0`) needs, or the identifier that
/// has no file in [`LICENCE_FILES`].
pub(crate) fn files_for(expression: &str) -> Result<Vec<&'static str>, String> {
    let mut files = Vec::new();
    let identifiers = expression.split(|c: char| c.is_whitespace() || c == '(' || c == ')');
    for identifier in identifiers.filter(|word| !word.is_empty() && !matches!(*word, "OR" | "AND" | "WITH")) {
        let Some((_, file)) = LICENCE_FILES.iter().find(|(id, _)| *id == identifier) else {
            return Err(identifier.to_owned());
        };
        if !files.contains(file) {
            files.push(*file);
        }
    }
    Ok(files)
}

pub(crate) fn check(workspace: &Workspace, tree: &dyn Tree, _: &Options) -> Vec<Problem> {
    let Some(expression) = &workspace.license else {
        return vec![Problem::new("Cargo.toml", "no `[workspace.package] license`")];
    };
    let mut problems = Vec::new();
    for package in &workspace.members {
        if package.license.as_ref() != Some(expression) {
            let what = format!(
                "licence {:?}, the workspace's is {expression:?} (use `license.workspace = true`)",
                package.license
            );
            problems.push(Problem::new(package.manifest().display().to_string(), what));
        }
    }
    let files = match files_for(expression) {
        Ok(files) => files,
        Err(unknown) => {
            let what = format!("no licence file is known for {unknown:?} (add it to xtask's LICENCE_FILES)");
            problems.push(Problem::new("Cargo.toml", what));
            return problems;
        }
    };
    let mut folders: Vec<PathBuf> = workspace.published().map(|p| p.dir.clone()).collect();
    if tree.read(Path::new(super::wheel::PYPROJECT)).is_some() {
        folders.push(PathBuf::from("python"));
    }
    for file in files {
        let Some(original) = tree.read(Path::new(file)) else {
            problems.push(Problem::new(file, "missing at the root"));
            continue;
        };
        for dir in &folders {
            let copy: PathBuf = dir.join(file);
            match tree.read(&copy) {
                None => problems
                    .push(Problem::new(copy.display().to_string(), format!("missing: copy {file} from the root"))),
                Some(bytes) if bytes != original => {
                    problems.push(Problem::new(copy.display().to_string(), format!("differs from the root's {file}")));
                }
                Some(_) => {}
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixture;

    #[test]
    fn an_expression_names_its_files_once_each() {
        assert_eq!(files_for("MIT OR Apache-2.0"), Ok(vec!["LICENSE-MIT", "LICENSE-APACHE"]));
        assert_eq!(files_for("(MIT OR Apache-2.0) AND MIT"), Ok(vec!["LICENSE-MIT", "LICENSE-APACHE"]));
        assert_eq!(files_for("Apache-2.0"), Ok(vec!["LICENSE-APACHE"]));
        assert_eq!(files_for("MIT OR GPL-3.0"), Err("GPL-3.0".into()));
    }

    #[test]
    fn the_fixture_has_every_copy() {
        assert_eq!(check(&fixture::workspace(), &fixture::files(), &Options::default()), vec![]);
    }

    #[test]
    fn a_missing_or_changed_copy_is_named_and_internal_crates_need_none() {
        let mut files = fixture::files();
        files.remove(Path::new("crates/types/LICENSE-MIT"));
        files.insert("crates/client/LICENSE-APACHE".into(), b"Apache text, edited".to_vec());
        let problems = check(&fixture::workspace(), &files, &Options::default());
        let found: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            [
                "crates/types/LICENSE-MIT: missing: copy LICENSE-MIT from the root",
                "crates/client/LICENSE-APACHE: differs from the root's LICENSE-APACHE",
            ]
        );
    }

    #[test]
    fn the_wheel_folder_needs_copies_once_it_exists() {
        let mut files = fixture::files();
        files.insert("python/pyproject.toml".into(), b"[project]\n".to_vec());
        files.insert("python/LICENSE-MIT".into(), b"MIT text".to_vec());
        let problems = check(&fixture::workspace(), &files, &Options::default());
        assert_eq!(problems, vec![Problem::new("python/LICENSE-APACHE", "missing: copy LICENSE-APACHE from the root")]);
    }

    #[test]
    fn a_missing_root_file_is_named() {
        let mut files = fixture::files();
        files.remove(Path::new("LICENSE-APACHE"));
        let problems = check(&fixture::workspace(), &files, &Options::default());
        assert_eq!(problems, vec![Problem::new("LICENSE-APACHE", "missing at the root")]);
    }

    #[test]
    fn every_member_has_the_workspace_licence() {
        let mut workspace = fixture::workspace();
        workspace.members[2].license = Some("MIT".into());
        let problems = check(&workspace, &fixture::files(), &Options::default());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].at, "crates/mock-server/Cargo.toml");
    }

    #[test]
    fn a_licence_without_a_known_file_is_a_problem() {
        let mut workspace = fixture::workspace();
        workspace.license = Some("BSD-3-Clause".into());
        for member in &mut workspace.members {
            member.license = workspace.license.clone();
        }
        let problems = check(&workspace, &fixture::files(), &Options::default());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].what.contains("BSD-3-Clause"));
    }
}
