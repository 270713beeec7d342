//! CHANGELOG.md: an `## Unreleased` section first (where changes are written down), released
//! sections headed `## 0.1.0 - 2026-12-01` (or `## [0.1.0] - …` once compare links exist), and
//! with `--tag` a section for the version being tagged.

use std::path::Path;

use super::{Options, Problem};
use crate::workspace::{Tree, Workspace};

const AT: &str = "CHANGELOG.md";

pub(crate) fn check(workspace: &Workspace, tree: &dyn Tree, options: &Options) -> Vec<Problem> {
    match tree.text(Path::new(AT)) {
        None => vec![Problem::new(AT, "missing")],
        Some(text) => check_text(&text, &workspace.version, options.tag.as_deref()),
    }
}

/// A section heading: `Unreleased` or a release.
#[derive(Debug, PartialEq, Eq)]
enum Heading<'a> {
    Unreleased,
    Release { version: &'a str },
}

/// `## Unreleased`, `## [Unreleased]`, `## 1.2.3 - 2026-12-01`, `## [1.2.3] - 2026-12-01`.
fn parse_heading(title: &str) -> Result<Heading<'_>, &'static str> {
    if matches!(title, "Unreleased" | "[Unreleased]") {
        return Ok(Heading::Unreleased);
    }
    let (version, date) = title.split_once(" - ").ok_or("is neither `Unreleased` nor `<version> - <YYYY-MM-DD>`")?;
    let version = version.strip_prefix('[').and_then(|v| v.strip_suffix(']')).unwrap_or(version);
    if !is_version(version) {
        return Err("does not start with a version (`1.2.3`)");
    }
    if !is_date(date) {
        return Err("has no date as `YYYY-MM-DD` after the version");
    }
    Ok(Heading::Release { version })
}

/// `MAJOR.MINOR.PATCH` with an optional `-pre.release` (semver's shape, loosely).
fn is_version(text: &str) -> bool {
    let core = text.split_once('-').map_or(text, |(core, _pre)| core);
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let number = |part: &str, len: usize, range: std::ops::RangeInclusive<u32>| {
        part.len() == len && part.parse::<u32>().is_ok_and(|n| range.contains(&n))
    };
    matches!(parts.as_slice(), [y, m, d] if number(y, 4, 2000..=2999) && number(m, 2, 1..=12) && number(d, 2, 1..=31))
}

pub(crate) fn check_text(text: &str, version: &str, tag: Option<&str>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut headings = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let Some(title) = line.strip_prefix("## ") else { continue };
        match parse_heading(title.trim()) {
            Ok(heading) => headings.push(heading),
            Err(why) => problems.push(Problem::new(AT, format!("line {}: heading {title:?} {why}", number + 1))),
        }
    }
    match headings.iter().position(|h| *h == Heading::Unreleased) {
        None => {
            problems.push(Problem::new(AT, "no `## Unreleased` section (changes not yet released are listed there)"))
        }
        Some(0) => {}
        Some(_) => problems.push(Problem::new(AT, "`## Unreleased` must come before every released section")),
    }
    if headings.iter().filter(|h| **h == Heading::Unreleased).count() > 1 {
        problems.push(Problem::new(AT, "more than one `## Unreleased` section"));
    }
    let released: Vec<&str> = headings
        .iter()
        .filter_map(|h| match h {
            Heading::Release { version } => Some(*version),
            Heading::Unreleased => None,
        })
        .collect();
    for (i, v) in released.iter().enumerate() {
        if released[..i].contains(v) {
            problems.push(Problem::new(AT, format!("two sections for {v}")));
        }
    }
    if let Some(tag) = tag {
        let expected = format!("v{version}");
        if tag != expected {
            problems.push(Problem::new(
                "--tag",
                format!("{tag} does not name the workspace version (expected {expected})"),
            ));
        }
        if !released.contains(&version) {
            let what =
                format!("no `## {version} - <date>` section: move the Unreleased entries under it before tagging");
            problems.push(Problem::new(AT, what));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELEASED: &str =
        "# Changelog\n\n## Unreleased\n\n## 0.2.0 - 2026-12-01\n\n- b\n\n## [0.1.0] - 2026-06-30\n\n- a\n";

    #[track_caller]
    fn check(text: &str, tag: Option<&str>, expected: &[&str]) {
        let found: Vec<String> = check_text(text, "0.2.0", tag).iter().map(|p| p.what.clone()).collect();
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for (found, expected) in found.iter().zip(expected) {
            assert!(found.contains(expected), "{found:?} should say {expected:?}");
        }
    }

    #[test]
    fn a_changelog_with_unreleased_first_and_dated_releases_passes() {
        check(RELEASED, None, &[]);
        check("## Unreleased\n", None, &[]);
        check("## [Unreleased]\n\n## [0.2.0] - 2026-12-01\n", None, &[]);
    }

    #[test]
    fn headings_that_are_not_sections_are_named() {
        check("## Unreleased\n## 0.1.0\n", None, &["line 2: heading \"0.1.0\" is neither"]);
        check("## Unreleased\n## 0.1 - 2026-01-01\n", None, &["version"]);
        check("## Unreleased\n## 0.1.0 - 2026-13-01\n", None, &["date"]);
        check("## Unreleased\n## 0.1.0 - 01.01.2026\n", None, &["date"]);
    }

    #[test]
    fn unreleased_must_exist_come_first_and_be_alone() {
        check("## 0.1.0 - 2026-01-01\n", None, &["no `## Unreleased`"]);
        check("## 0.1.0 - 2026-01-01\n## Unreleased\n", None, &["before every released"]);
        check("## Unreleased\n## Unreleased\n", None, &["more than one"]);
    }

    #[test]
    fn a_version_has_one_section() {
        check("## Unreleased\n## 0.1.0 - 2026-01-02\n## 0.1.0 - 2026-01-01\n", None, &["two sections for 0.1.0"]);
    }

    #[test]
    fn a_tag_must_name_the_workspace_version_and_have_its_section() {
        check(RELEASED, Some("v0.2.0"), &[]);
        check(RELEASED, Some("v0.1.0"), &["expected v0.2.0"]);
        check("## Unreleased\n\n- b\n", Some("v0.2.0"), &["no `## 0.2.0 - <date>` section"]);
    }

    #[test]
    fn pre_releases_are_versions() {
        assert!(is_version("1.0.0-alpha.1"));
        assert!(!is_version("1.0"));
        assert!(!is_version("v1.0.0"));
    }
}
