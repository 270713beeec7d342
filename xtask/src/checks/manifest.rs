//! What crates.io shows of a published crate: the fields it needs, keywords it accepts, at most
//! five categories, and no placeholder anywhere in a manifest. Whether a category slug exists
//! is crates.io's to say: it names an unknown one in the answer to a publish, which cargo
//! prints as a warning; no copy of its list is kept here.

use super::{Options, Problem};
use crate::workspace::{Package, Tree, Workspace};

/// crates.io takes at most five keywords and five categories per crate.
const MAX_KEYWORDS: usize = 5;
const MAX_CATEGORIES: usize = 5;
/// crates.io's limit on one keyword's length.
const MAX_KEYWORD_LEN: usize = 20;

/// Text that marks a value nobody filled in. Matched case-sensitively in manifests, where
/// none of these has a true use.
const PLACEHOLDERS: &[&str] =
    &["example.invalid", "example.com", "example.org", "example.net", "TODO", "FIXME", "XXX", "TBD"];

/// Host names reserved for examples and tests (RFC 2606 / RFC 6761): never a real address.
const RESERVED_HOST_SUFFIXES: &[&str] = &[".invalid", ".example", ".test", ".localhost"];

pub(crate) fn check(workspace: &Workspace, tree: &dyn Tree, _: &Options) -> Vec<Problem> {
    let mut problems = Vec::new();
    for package in workspace.published() {
        problems.extend(fields(package));
        if let Some(readme) = &package.readme {
            let path = package.dir.join(readme);
            if tree.text(&path).is_none_or(|text| text.trim().is_empty()) {
                problems.push(Problem::new(path.display().to_string(), "the readme is missing or empty"));
            }
        }
    }
    let mut manifests = vec![std::path::PathBuf::from("Cargo.toml")];
    manifests.extend(workspace.members.iter().map(Package::manifest));
    // Outside the workspace but in the checkout: the fuzz targets' and the wheel's manifests.
    manifests.extend(["fuzz/Cargo.toml".into(), "python/pyproject.toml".into()]);
    for path in manifests {
        if let Some(text) = tree.text(&path) {
            problems.extend(placeholders(&path.display().to_string(), &text));
        }
    }
    problems
}

/// The fields a published crate needs, and their values as crates.io accepts them.
pub(crate) fn fields(package: &Package) -> Vec<Problem> {
    let at = || package.manifest().display().to_string();
    let mut problems = Vec::new();
    let missing = [
        ("description", package.description.as_deref().is_none_or(|d| d.trim().is_empty())),
        ("license", package.license.is_none() && package.license_file.is_none()),
        ("readme", package.readme.is_none()),
        ("documentation", package.documentation.is_none()),
        ("keywords", package.keywords.is_empty()),
        ("categories", package.categories.is_empty()),
    ];
    for (field, is_missing) in missing {
        if is_missing {
            problems.push(Problem::new(at(), format!("`{field}` is missing (crates.io shows it)")));
        }
    }
    if package.keywords.len() > MAX_KEYWORDS {
        problems.push(Problem::new(
            at(),
            format!("{} keywords: crates.io takes at most {MAX_KEYWORDS}", package.keywords.len()),
        ));
    }
    for keyword in &package.keywords {
        if let Err(why) = keyword_is_valid(keyword) {
            problems.push(Problem::new(at(), format!("keyword {keyword:?} {why}")));
        }
    }
    if package.categories.len() > MAX_CATEGORIES {
        let count = package.categories.len();
        problems.push(Problem::new(at(), format!("{count} categories: crates.io takes at most {MAX_CATEGORIES}")));
    }
    let urls = [
        ("documentation", &package.documentation),
        ("repository", &package.repository),
        ("homepage", &package.homepage),
    ];
    for (field, url) in urls {
        if let Some(url) = url
            && let Err(why) = url_is_real(url)
        {
            problems.push(Problem::new(at(), format!("`{field}` = {url:?} {why}")));
        }
    }
    problems
}

/// crates.io's rule: up to 20 characters, ASCII letters, digits, `_`, `-` or `+`, starting
/// with a letter or digit.
fn keyword_is_valid(keyword: &str) -> Result<(), &'static str> {
    if keyword.is_empty() || keyword.len() > MAX_KEYWORD_LEN {
        return Err("must have 1 to 20 characters");
    }
    if !keyword.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err("must start with a letter or a digit");
    }
    if !keyword.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+')) {
        return Err("may only have ASCII letters, digits, `_`, `-` and `+`");
    }
    Ok(())
}

/// An https URL on a host that can exist.
fn url_is_real(url: &str) -> Result<(), &'static str> {
    let Some(rest) = url.strip_prefix("https://") else {
        return Err("is not an https URL");
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(name, _port)| name).to_ascii_lowercase();
    let reserved = host == "localhost" || RESERVED_HOST_SUFFIXES.iter().any(|suffix| host.ends_with(suffix));
    if host.is_empty() || !host.contains('.') || reserved {
        return Err("is not on a real host (a placeholder?)");
    }
    Ok(())
}

/// Every line of a manifest that holds a placeholder.
pub(crate) fn placeholders(at: &str, text: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (number, line) in text.lines().enumerate() {
        for placeholder in PLACEHOLDERS {
            if line.contains(placeholder) {
                let what = format!(
                    "line {}: placeholder {placeholder:?} (leave a field out until it has a true value)",
                    number + 1
                );
                problems.push(Problem::new(at, what));
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
    fn the_fixture_crate_has_every_field() {
        assert_eq!(fields(&fixture::package("wecom-types", "crates/types")), vec![]);
    }

    #[test]
    fn each_missing_field_is_named() {
        type Remove = fn(&mut Package);
        let cases: &[(&str, Remove)] = &[
            ("description", |p| p.description = Some("  ".into())),
            ("license", |p| p.license = None),
            ("readme", |p| p.readme = None),
            ("documentation", |p| p.documentation = None),
            ("keywords", |p| p.keywords.clear()),
            ("categories", |p| p.categories.clear()),
        ];
        for (field, remove) in cases {
            let mut package = fixture::package("wecom-types", "crates/types");
            remove(&mut package);
            let problems = fields(&package);
            assert_eq!(problems.len(), 1, "{field}: {problems:?}");
            assert!(problems[0].what.contains(&format!("`{field}`")), "{field}: {problems:?}");
        }
    }

    #[test]
    fn a_license_file_stands_in_for_a_license_expression() {
        let mut package = fixture::package("wecom-types", "crates/types");
        package.license = None;
        package.license_file = Some("LICENSE".into());
        assert_eq!(fields(&package), vec![]);
    }

    #[test]
    fn keywords_follow_the_crates_io_rules() {
        for (keyword, valid) in [
            ("wecom", true),
            ("wechat-work", true),
            ("c++", true),
            ("snake_case", true),
            ("12345678901234567890", true),
            ("123456789012345678901", false),
            ("", false),
            ("-leading", false),
            ("two words", false),
            ("企业微信", false),
        ] {
            assert_eq!(keyword_is_valid(keyword).is_ok(), valid, "{keyword:?}");
        }
    }

    #[test]
    fn more_than_five_keywords_or_categories_are_refused() {
        let mut package = fixture::package("wecom-types", "crates/types");
        package.keywords = (0..6).map(|i| format!("k{i}")).collect();
        package.categories = vec!["api-bindings".into(); 6];
        let problems = fields(&package);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn urls_must_be_https_on_a_real_host() {
        for (url, real) in [
            ("https://docs.rs/wecom-types", true),
            ("https://github.com/owner/repo", true),
            ("https://git.corp.cn:8443/a", true),
            ("http://docs.rs/wecom-types", false),
            ("https://example.invalid/wecom-contactway", false),
            ("https://repo.example/x", false),
            ("https://localhost/x", false),
            ("https://nodots/x", false),
            ("docs.rs", false),
        ] {
            assert_eq!(url_is_real(url).is_ok(), real, "{url}");
        }
    }

    #[test]
    fn placeholders_are_found_with_their_line() {
        let text = "[package]\nrepository = \"https://example.invalid/x\"\n# TODO: keywords\nname = \"todo-list\"\n";
        let problems = placeholders("Cargo.toml", text);
        let lines: Vec<&str> = problems.iter().map(|p| p.what.split(':').next().unwrap_or_default()).collect();
        assert_eq!(lines, ["line 2", "line 3"], "{problems:?}");
    }

    #[test]
    fn a_missing_or_empty_readme_file_is_a_problem() {
        let workspace = fixture::workspace();
        let mut files = fixture::files();
        assert_eq!(check(&workspace, &files, &Options::default()), vec![]);
        files.insert("crates/client/README.md".into(), b"\n".to_vec());
        files.remove(std::path::Path::new("crates/types/README.md"));
        let problems = check(&workspace, &files, &Options::default());
        let at: Vec<&str> = problems.iter().map(|p| p.at.as_str()).collect();
        assert_eq!(at, ["crates/types/README.md", "crates/client/README.md"]);
    }

    #[test]
    fn placeholders_in_any_manifest_are_found() {
        let workspace = fixture::workspace();
        let mut files = fixture::files();
        files.insert("xtask/Cargo.toml".into(), b"homepage = \"https://example.com\"\n".to_vec());
        let problems = check(&workspace, &files, &Options::default());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].at, "xtask/Cargo.toml");
    }
}
