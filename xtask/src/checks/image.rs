//! The image's OCI labels say what it is: the `Dockerfile`'s `VERSION` build argument defaults
//! to the workspace version (the build checks the binary reports the same one, and
//! `.ci/image-smoke.sh` passes it from `cargo metadata` and reads the labels back), the
//! licence is the manifests', and title and description are the crate's.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Options, Problem};
use crate::workspace::{Tree, Workspace};

const AT: &str = "Dockerfile";
const LABEL: &str = "org.opencontainers.image.";

pub(crate) fn check(workspace: &Workspace, tree: &dyn Tree, _: &Options) -> Vec<Problem> {
    let Some(text) = tree.text(Path::new(AT)) else {
        return Vec::new();
    };
    let instructions = instructions(&text);
    let mut args = BTreeMap::new();
    let mut labels = BTreeMap::new();
    for (keyword, rest) in &instructions {
        let target = match keyword.as_str() {
            "ARG" => &mut args,
            "LABEL" => &mut labels,
            _ => continue,
        };
        for word in words(rest) {
            if let Some((key, value)) = word.split_once('=') {
                target.insert(key.to_owned(), value.to_owned());
            }
        }
    }
    let mut problems = Vec::new();
    let mut expect = |what: &str, found: Option<&String>, expected: &str| match found {
        Some(found) if found == expected => {}
        Some(found) => problems.push(Problem::new(AT, format!("{what} is {found:?}, expected {expected:?}"))),
        None => problems.push(Problem::new(AT, format!("no {what} (expected {expected:?})"))),
    };
    expect("`ARG VERSION=` default", args.get("VERSION"), &workspace.version);
    expect(&format!("label {LABEL}version"), labels.get(&format!("{LABEL}version")), "${VERSION}");
    let license = workspace.license.clone().unwrap_or_default();
    expect(&format!("label {LABEL}licenses"), labels.get(&format!("{LABEL}licenses")), &license);
    let title = labels.get(&format!("{LABEL}title")).cloned();
    match title.as_deref().and_then(|name| workspace.member(name)) {
        Some(package) => {
            let description = package.description.clone().unwrap_or_default();
            expect(&format!("label {LABEL}description"), labels.get(&format!("{LABEL}description")), &description);
        }
        None => {
            problems.push(Problem::new(AT, format!("label {LABEL}title {title:?} is not a crate of the workspace")))
        }
    }
    if let Some(source) = labels.get(&format!("{LABEL}source"))
        && !source.starts_with("https://")
    {
        problems.push(Problem::new(AT, format!("label {LABEL}source {source:?} is not a repository URL")));
    }
    problems
}

/// The instructions, continuation lines joined, comments dropped: (keyword, the rest).
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.starts_with('#') || trimmed.is_empty()) {
            continue;
        }
        if trimmed.starts_with('#') {
            continue; // A comment inside a continued instruction.
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        joined.push(current);
    }
    joined
        .into_iter()
        .filter_map(|line| {
            let (keyword, rest) = line.split_once(char::is_whitespace)?;
            Some((keyword.to_ascii_uppercase(), rest.trim().to_owned()))
        })
        .collect()
}

/// Splits `a=1 b="two words"` into `a=1`, `b=two words` (double quotes with `\` escapes).
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => word.extend(chars.next()),
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixture;

    const DOCKERFILE: &str = r#"# the image
ARG VERSION=0.1.0
FROM rust AS build
ARG VERSION
RUN cargo build \
 && test "$(/out/wecom-mock --version)" = "wecom-mock ${VERSION}"
FROM scratch
ARG VERSION
LABEL org.opencontainers.image.title="wecom-mock" \
      # what it is
      org.opencontainers.image.description="wecom-mock, a crate" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
"#;

    #[track_caller]
    fn check_dockerfile(text: &str, expected: &[&str]) {
        let mut files = fixture::files();
        files.insert(AT.into(), text.as_bytes().to_vec());
        let found: Vec<String> =
            check(&fixture::workspace(), &files, &Options::default()).iter().map(|p| p.what.clone()).collect();
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for (found, expected) in found.iter().zip(expected) {
            assert!(found.contains(expected), "{found:?} should say {expected:?}");
        }
    }

    #[test]
    fn labels_that_match_the_workspace_pass() {
        check_dockerfile(DOCKERFILE, &[]);
    }

    #[test]
    fn no_dockerfile_means_nothing_to_check() {
        assert_eq!(check(&fixture::workspace(), &fixture::files(), &Options::default()), vec![]);
    }

    #[test]
    fn each_label_that_drifted_is_named() {
        for (from, to, expected) in [
            ("ARG VERSION=0.1.0", "ARG VERSION=0.0.9", "`ARG VERSION=` default is \"0.0.9\""),
            ("ARG VERSION=0.1.0", "ARG VERSION", "no `ARG VERSION=` default"),
            ("image.version=\"${VERSION}\"", "image.version=\"0.1.0\"", "image.version is \"0.1.0\""),
            ("MIT OR Apache-2.0", "Apache-2.0", "image.licenses is \"Apache-2.0\""),
            ("wecom-mock, a crate", "a fake", "image.description is \"a fake\""),
            ("title=\"wecom-mock\"", "title=\"wecom-fake\"", "is not a crate"),
        ] {
            check_dockerfile(&DOCKERFILE.replacen(from, to, 1), &[expected]);
        }
    }

    #[test]
    fn a_source_label_must_be_a_url() {
        let with_source = DOCKERFILE.replace("LABEL ", "LABEL org.opencontainers.image.source=\"TBD\" ");
        check_dockerfile(&with_source, &["source \"TBD\""]);
    }

    #[test]
    fn words_keep_quoted_spaces_and_escapes() {
        assert_eq!(words(r#"a=1  b="two words" c="say \"hi\"""#), ["a=1", "b=two words", r#"c=say "hi""#]);
    }
}
