//! `docs/LANGUAGES.md` shows only code that runs. Every fenced block in a programming language
//! is either an excerpt of a file CI runs, marked by `<!-- excerpt: PATH -->` on the line before
//! its fence and found word for word in that file, or marked `<!-- not run here: WHY -->` (the
//! Testcontainers variants, which need a container engine). Command blocks (`sh`) and data are
//! not code in this sense: running those is the docs tests' job.

use std::path::Path;

use super::{Options, Problem};
use crate::workspace::{Tree, Workspace};

pub(crate) const GUIDE: &str = "docs/LANGUAGES.md";

/// Fence languages that are programs, and so must be excerpts or marked as not run.
const CODE_LANGUAGES: &[&str] =
    &["go", "java", "php", "js", "javascript", "mjs", "ts", "typescript", "python", "py", "rust", "kotlin"];
const EXCERPT: &str = "<!-- excerpt: ";
const NOT_RUN: &str = "<!-- not run here: ";

/// One fenced block: its language, its text, the marker line before its fence, and its line.
#[derive(Debug, PartialEq, Eq)]
struct Block<'a> {
    language: &'a str,
    text: String,
    marker: Option<&'a str>,
    line: usize,
}

/// The fenced blocks of a Markdown text (``` fences, possibly indented; unclosed ones too).
fn blocks(markdown: &str) -> Vec<Block<'_>> {
    let mut found = Vec::new();
    let mut previous: Option<&str> = None;
    let mut lines = markdown.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let Some(language) = line.trim_start().strip_prefix("```") else {
            previous = Some(line);
            continue;
        };
        let mut body = Vec::new();
        for (_, inner) in lines.by_ref() {
            if inner.trim_start().starts_with("```") {
                break;
            }
            body.push(inner);
        }
        let marker = previous.map(str::trim).filter(|p| p.starts_with("<!--"));
        found.push(Block { language: language.trim(), text: body.join("\n"), marker, line: index + 1 });
        previous = None;
    }
    found
}

pub(crate) fn check(_: &Workspace, tree: &dyn Tree, _: &Options) -> Vec<Problem> {
    let Some(guide) = tree.text(Path::new(GUIDE)) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for block in blocks(&guide) {
        let at = format!("{GUIDE}:{}", block.line);
        let marker = block.marker.unwrap_or_default();
        if let Some(path) = marker.strip_prefix(EXCERPT).and_then(|rest| rest.strip_suffix("-->")) {
            let path = path.trim();
            match tree.text(Path::new(path)) {
                None => problems.push(Problem::new(at, format!("the excerpt's file {path} does not exist"))),
                Some(source) if !source.contains(&block.text) => problems.push(Problem::new(
                    at,
                    format!("the block is not in {path} word for word: copy it from the file again"),
                )),
                Some(_) => {}
            }
        } else if CODE_LANGUAGES.contains(&block.language) && !marker.starts_with(NOT_RUN) {
            problems.push(Problem::new(
                at,
                format!(
                    "a {} block that nothing runs: make it an excerpt of a tested file ({EXCERPT}PATH -->) \
                     or mark it ({NOT_RUN}why -->)",
                    block.language
                ),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixture;

    fn found(guide: &str, files: &[(&str, &str)]) -> Vec<String> {
        let mut tree = fixture::files();
        tree.insert(GUIDE.into(), guide.as_bytes().to_vec());
        for (path, text) in files {
            tree.insert((*path).into(), text.as_bytes().to_vec());
        }
        check(&fixture::workspace(), &tree, &Options::default()).iter().map(ToString::to_string).collect()
    }

    const SOURCE: &str = "package x\n\nfunc TestA(t *testing.T) {\n\tt.Log(\"a\")\n}\n";

    #[test]
    fn an_excerpt_found_word_for_word_passes() {
        let guide = "Text\n\n<!-- excerpt: examples/go/a_test.go -->\n```go\nfunc TestA(t *testing.T) {\n\tt.Log(\"a\")\n}\n```\n";
        assert_eq!(found(guide, &[("examples/go/a_test.go", SOURCE)]), Vec::<String>::new());
    }

    #[test]
    fn an_excerpt_that_drifted_from_its_file_is_named() {
        let guide =
            "<!-- excerpt: examples/go/a_test.go -->\n```go\nfunc TestA(t *testing.T) {\n    t.Log(\"a\")\n}\n```\n";
        assert_eq!(
            found(guide, &[("examples/go/a_test.go", SOURCE)]),
            [
                "docs/LANGUAGES.md:2: the block is not in examples/go/a_test.go word for word: copy it from the file again"
            ]
        );
    }

    #[test]
    fn an_excerpt_of_a_missing_file_is_named() {
        let guide = "<!-- excerpt: examples/go/gone_test.go -->\n```go\nfunc TestA() {}\n```\n";
        assert_eq!(
            found(guide, &[]),
            ["docs/LANGUAGES.md:2: the excerpt's file examples/go/gone_test.go does not exist"]
        );
    }

    #[test]
    fn an_unmarked_code_block_is_named_and_a_marked_one_passes() {
        let guide = "Some text\n```java\nclass A {}\n```\n\n<!-- not run here: needs a container engine -->\n```java\nclass B {}\n```\n";
        let found = found(guide, &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("docs/LANGUAGES.md:2: a java block that nothing runs"), "{found:?}");
    }

    #[test]
    fn command_and_data_blocks_are_not_code() {
        assert_eq!(
            found("```sh\ncargo build\n```\n\n```json\n{}\n```\n\n```\nplain\n```\n", &[]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_marker_counts_only_on_the_line_right_before_the_fence() {
        let guide = "<!-- not run here: far away -->\n\n```go\nfunc A() {}\n```\n";
        assert_eq!(found(guide, &[]).len(), 1);
    }

    #[test]
    fn no_guide_means_nothing_to_check() {
        assert_eq!(check(&fixture::workspace(), &fixture::files(), &Options::default()), vec![]);
    }

    #[test]
    fn the_repository_guide_shows_only_tested_code() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let problems = check(&fixture::workspace(), &crate::workspace::Disk(root), &Options::default());
        assert_eq!(problems, vec![]);
    }
}
