//! The docs know every crate: README.md and ARCHITECTURE.md name each member, and
//! docs/RELEASING.md's numbered publish order lists each published crate after the workspace
//! crates it depends on (dev-dependencies included: crates.io resolves those too). A crate that
//! lands later is caught here the day it joins the workspace.

use std::path::Path;

use super::{Options, Problem};
use crate::workspace::{Tree, Workspace};

const RELEASING: &str = "docs/RELEASING.md";

pub(crate) fn check(workspace: &Workspace, tree: &dyn Tree, _: &Options) -> Vec<Problem> {
    let mut problems = Vec::new();
    for doc in ["README.md", "ARCHITECTURE.md"] {
        let text = tree.text(Path::new(doc)).unwrap_or_default();
        for package in &workspace.members {
            if !text.contains(&format!("`{}`", package.name)) {
                problems.push(Problem::new(doc, format!("does not mention `{}`", package.name)));
            }
        }
    }
    match tree.text(Path::new(RELEASING)) {
        None => problems.push(Problem::new(RELEASING, "missing")),
        Some(text) => problems.extend(publish_order(workspace, &text)),
    }
    problems
}

/// The crate names of the numbered list items (`1. \`wecom-types\` …`), in order.
fn listed(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let (number, rest) = line.split_once(". ")?;
            if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            rest.strip_prefix('`')?.split_once('`').map(|(name, _)| name)
        })
        .collect()
}

/// Every published member listed, none internal, each after its workspace dependencies.
/// Names of crates not (yet) in the workspace are allowed: the docs may announce them.
fn publish_order(workspace: &Workspace, text: &str) -> Vec<Problem> {
    let order = listed(text);
    let position = |name: &str| order.iter().position(|listed| *listed == name);
    let mut problems = Vec::new();
    for package in &workspace.members {
        let Some(at) = position(&package.name) else {
            if package.is_published() {
                problems.push(Problem::new(RELEASING, format!("the publish order does not list `{}`", package.name)));
            }
            continue;
        };
        if !package.is_published() {
            problems.push(Problem::new(RELEASING, format!("lists `{}`, which is not published", package.name)));
            continue;
        }
        for dependency in &package.dependencies {
            let Some(target) = dependency.path.as_deref().and_then(|dir| workspace.member_in(dir)) else { continue };
            if !target.is_published() || dependency.req == "*" {
                continue; // Dropped from the published manifest.
            }
            if position(&target.name).is_none_or(|before| before > at) {
                let what = format!("`{}` is listed before `{}`, which it depends on", package.name, target.name);
                problems.push(Problem::new(RELEASING, what));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixture;

    #[track_caller]
    fn check_order(releasing: &str, expected: &[&str]) {
        let mut files = fixture::files();
        files.insert(RELEASING.into(), releasing.as_bytes().to_vec());
        let found: Vec<String> =
            check(&fixture::workspace(), &files, &Options::default()).iter().map(|p| p.what.clone()).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn numbered_items_give_the_order() {
        let text = "Intro `xtask`.\n\n1. `wecom-types`: first\n 2. `wecom-mock`\n- `wecom-client`\n10. `later-crate` (once it lands)\n3.`x`\n";
        assert_eq!(listed(text), ["wecom-types", "wecom-mock", "later-crate"]);
    }

    #[test]
    fn the_fixture_order_passes_and_announced_crates_are_allowed() {
        check_order(
            "1. `wecom-types`\n2. `wecom-mock`\n3. `wecom-client`\n4. `wecom-contactway-cli` (once it lands)\n",
            &[],
        );
    }

    #[test]
    fn a_crate_before_its_dependency_is_named() {
        check_order(
            "1. `wecom-types`\n2. `wecom-client`\n3. `wecom-mock`\n",
            &["`wecom-client` is listed before `wecom-mock`, which it depends on"],
        );
    }

    #[test]
    fn a_missing_published_crate_and_a_listed_internal_one_are_named() {
        check_order(
            "1. `wecom-types`\n2. `wecom-mock`\n3. `xtask`\n",
            &["the publish order does not list `wecom-client`", "lists `xtask`, which is not published"],
        );
    }

    #[test]
    fn readme_and_architecture_name_every_member() {
        let mut files = fixture::files();
        files.insert("ARCHITECTURE.md".into(), b"`wecom-types` `wecom-client` `wecom-mock`".to_vec());
        let problems = check(&fixture::workspace(), &files, &Options::default());
        assert_eq!(problems, vec![Problem::new("ARCHITECTURE.md", "does not mention `xtask`")]);
    }
}
