//! Docs that run: every shell block of README.md and docs/*.md is executed, in the order a
//! reader meets it, against a mock started for its page, with `wecom` on the PATH.
//!
//! A page gets one fresh mock and one scratch folder, shared by its blocks (a reader pastes them
//! one after the other). `127.0.0.1:8080`, `localhost:8080` and `mock:8080` in a block (the
//! mock's documented address, and the compose service's) are replaced by the page's mock;
//! `WECOM_BASE_URL`, `WECOM_CORPID` and `WECOM_SECRET` point at its default corp as the README
//! tells a reader to set them. Each block runs in `bash -e -o pipefail`: any failing command,
//! a `curl` answered with an HTTP error included, fails the test, naming the page and line.
//!
//! A block that is not meant to run here says so in its info string: ```` ```sh no-run ````
//! (an install from a registry, a server that runs until stopped, a long measurement, a
//! container build). Only `sh`, `bash`, `shell` and `console` blocks are commands; blocks in other
//! languages are sketches or outputs, or are copies of tested files (checked below).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::Harness;

/// The info-string word that keeps a block from running.
const NO_RUN: &str = "no-run";

/// What a block may take before it counts as hung.
const BLOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Put before every block: a documented `curl` that gets an HTTP error fails the block (curl
/// alone exits 0 on a 404), and the body it got is shown.
const PRELUDE: &str = "curl() { command curl --fail-with-body \"$@\"; }\n";

/// The addresses the docs use for the mock.
const DOCUMENTED_ADDRESSES: [&str; 3] = ["127.0.0.1:8080", "localhost:8080", "mock:8080"];

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// README.md and every page of docs/, in a stable order.
fn pages() -> Vec<PathBuf> {
    let root = repository();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ is readable")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    let mut pages = vec![root.join("README.md")];
    pages.extend(docs);
    pages
}

/// One fenced block of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    /// The line of the opening fence (1-based).
    line: usize,
    /// The info string's first word (`sh`, `rust`, ...), empty when there is none.
    lang: String,
    /// The info string's other words (`no-run`).
    markers: Vec<String>,
    /// The block's text, without the fence's indentation.
    body: String,
}

impl Block {
    fn is_command(&self) -> bool {
        matches!(self.lang.as_str(), "sh" | "bash" | "shell" | "console")
    }

    fn runs(&self) -> bool {
        self.is_command() && !self.markers.iter().any(|m| m == NO_RUN)
    }
}

/// A block whose closing fence has not come yet.
struct Open {
    block: Block,
    /// The opening fence's indentation, taken off each line of the body.
    indent: usize,
    /// How many backticks opened it.
    ticks: usize,
    lines: Vec<String>,
}

/// The fenced blocks of a markdown text (backtick fences, indented or not).
fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Open> = None;
    for (n, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match open.take() {
            None => {
                let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
                let info = &trimmed[ticks..];
                // A backtick in the info string makes it inline code (```` ```sh ````), not a fence.
                if ticks >= 3 && !info.contains('`') {
                    let mut words = info.split_whitespace().map(str::to_owned);
                    let lang = words.next().unwrap_or_default();
                    let block = Block { line: n + 1, lang, markers: words.collect(), body: String::new() };
                    open = Some(Open { block, indent, ticks, lines: Vec::new() });
                }
            }
            Some(Open { mut block, indent: fence, ticks, mut lines }) => {
                // Only a line of backticks as long as the opening fence, or longer, closes it.
                let closes = trimmed.trim_end().len() >= ticks && trimmed.trim_end().chars().all(|c| c == '`');
                if closes {
                    block.body = lines.join("\n");
                    out.push(block);
                } else {
                    lines.push(line[indent.min(fence)..].to_owned());
                    open = Some(Open { block, indent: fence, ticks, lines });
                }
            }
        }
    }
    out
}

/// A block's text with the documented mock addresses replaced by `address`: whole host names
/// only (`wecom-mock:8080`, another container's name for it, stays).
fn pointed_at(body: &str, address: &str) -> String {
    DOCUMENTED_ADDRESSES.iter().fold(body.to_owned(), |text, documented| {
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find(documented) {
            let before = rest[..at].chars().next_back().or(out.chars().next_back());
            let part_of_a_name = before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            out.push_str(&rest[..at]);
            out.push_str(if part_of_a_name { documented } else { address });
            rest = &rest[at + documented.len()..];
        }
        out.push_str(rest);
        out
    })
}

/// A folder holding `wecom`, put first on the PATH of every block.
fn bin_dir(scratch: &Path) -> PathBuf {
    let bin = scratch.join(".bin");
    std::fs::create_dir_all(&bin).expect("a bin folder");
    let link = bin.join("wecom");
    if !link.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_wecom"), &link).expect("wecom on the PATH");
    }
    bin
}

/// Runs one block; `Err` says how it failed.
fn run_block(harness: &Harness, block: &Block) -> Result<(), String> {
    let address = harness.mock.uri().trim_start_matches("http://").trim_end_matches('/').to_owned();
    let script = pointed_at(&block.body, &address);
    let scratch = harness.dir.path();
    let path = format!("{}:{}", bin_dir(scratch).display(), std::env::var("PATH").unwrap_or_default());
    // A clean environment: nothing of the caller's (a WECOM_* variable, a ledger) leaks in.
    let child = Command::new("bash")
        .args(["-e", "-o", "pipefail", "-c", &format!("{PRELUDE}{script}")])
        .env_clear()
        .env("PATH", path)
        .env("HOME", scratch)
        .env("LANG", "C.UTF-8")
        .env("WECOM_BASE_URL", harness.mock.uri())
        .env("WECOM_CORPID", harness.mock.corpid())
        .env("WECOM_SECRET", harness.mock.secret())
        .current_dir(scratch)
        .stdin(Stdio::null())
        // Files, not pipes: a block that prints a lot never blocks on a full pipe.
        .stdout(output_file(scratch, "stdout"))
        .stderr(output_file(scratch, "stderr"))
        .spawn()
        .map_err(|e| format!("bash did not start: {e}"))?;
    let status = wait_bounded(child)?;
    let shown = |name: &str| std::fs::read_to_string(scratch.join(".block").join(name)).unwrap_or_default();
    match status {
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(format!(
            "{status}\n--- script\n{script}\n--- stdout\n{}--- stderr\n{}",
            shown("stdout"),
            shown("stderr")
        )),
        None => Err(format!(
            "still running after {BLOCK_TIMEOUT:?} (a server? mark the block `{NO_RUN}`)\n--- script\n{script}\n--- stderr\n{}",
            shown("stderr")
        )),
    }
}

/// A fresh file for one of a block's output streams.
fn output_file(scratch: &Path, name: &str) -> std::fs::File {
    let dir = scratch.join(".block");
    std::fs::create_dir_all(&dir).expect("a folder for block output");
    std::fs::File::create(dir.join(name)).expect("a file for block output")
}

/// Waits for the block to end: its status, or `None` when it ran too long (then it is killed).
fn wait_bounded(mut child: std::process::Child) -> Result<Option<std::process::ExitStatus>, String> {
    let started = Instant::now();
    loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => return Ok(Some(status)),
            None if started.elapsed() > BLOCK_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(None);
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Runs every runnable block of `markdown` against a fresh mock; the failures, by line.
fn run_page(name: &str, markdown: &str) -> (usize, Vec<String>) {
    let harness = Harness::start();
    let mut ran = 0;
    let mut failures = Vec::new();
    for block in blocks(markdown).iter().filter(|b| b.runs()) {
        ran += 1;
        if let Err(why) = run_block(&harness, block) {
            failures.push(format!("{name}:{}: {why}", block.line));
        }
    }
    (ran, failures)
}

#[test]
fn every_command_block_of_the_docs_runs_against_a_fresh_mock() {
    for tool in ["jq", "curl"] {
        let found = Command::new(tool).arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
        assert!(found, "the docs' commands use {tool}: install it (Debian: apt-get install {tool})");
    }
    let mut failures = Vec::new();
    let mut ran = 0;
    for page in pages() {
        let markdown = std::fs::read_to_string(&page).expect("a readable page");
        let name = page.strip_prefix(repository()).unwrap_or(&page).display().to_string();
        let (count, failed) = run_page(&name, &markdown);
        ran += count;
        failures.extend(failed);
    }
    assert!(ran >= 5, "only {ran} blocks ran: is the runner reading the pages?");
    assert!(failures.is_empty(), "{} doc block(s) failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn a_broken_command_fails_its_page() {
    let page = "# A page\n\n```sh\nwecom contact-way list | wc -l\nwecom contact-way get not-a-config-id\n```\n";
    let (ran, failures) = run_page("page.md", page);
    assert_eq!(ran, 1);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].starts_with("page.md:3: exit status: 1"), "{}", failures[0]);
}

#[test]
fn a_block_marked_no_run_and_other_languages_are_not_run() {
    let page = "```sh no-run\nexit 1\n```\n\n```json\n{}\n```\n\n```console\ntrue\n```\n";
    let kinds: Vec<(String, bool)> = blocks(page).into_iter().map(|b| (b.lang.clone(), b.runs())).collect();
    assert_eq!(kinds, [("sh".to_owned(), false), ("json".to_owned(), false), ("console".to_owned(), true)]);
}

#[test]
fn inline_code_showing_a_fence_opens_no_block() {
    let page = "Mark it ```` ```sh no-run ````:\n```` ```sh no-run ````.\n\n````md\n```sh\necho inner\n```\n````\n";
    let found = blocks(page);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].lang.as_str(), found[0].body.as_str()), ("md", "```sh\necho inner\n```"));
}

#[test]
fn an_indented_block_loses_its_fence_indentation() {
    let page = "- a list item:\n  ```sh\n  echo one\n    echo two\n  ```\n";
    let found = blocks(page);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, 2);
    assert_eq!(found[0].body, "echo one\n  echo two");
}

#[test]
fn the_documented_addresses_point_at_the_page_mock() {
    let cases = [
        ("curl -s localhost:8080/healthz", "curl -s 127.0.0.1:41234/healthz"),
        ("--base-url http://127.0.0.1:8080 x", "--base-url http://127.0.0.1:41234 x"),
        ("curl -s mock:8080/__admin/corps", "curl -s 127.0.0.1:41234/__admin/corps"),
        ("curl -s example.com:8080/", "curl -s example.com:8080/"),
        ("WECOM_MOCK_PUBLIC_URL=http://wecom-mock:8080 x", "WECOM_MOCK_PUBLIC_URL=http://wecom-mock:8080 x"),
        ("a mock:8080 and a mock:8080", "a 127.0.0.1:41234 and a 127.0.0.1:41234"),
    ];
    for (documented, run) in cases {
        assert_eq!(pointed_at(documented, "127.0.0.1:41234"), run);
    }
}

#[test]
fn the_python_example_is_the_same_on_every_page_that_shows_it() {
    let root = repository();
    let example = |page: &str| -> String {
        let markdown = std::fs::read_to_string(root.join(page)).expect("a readable page");
        let found: Vec<String> = blocks(&markdown)
            .into_iter()
            .filter(|b| b.lang == "python" && b.body.contains("def test_scan_sets_state"))
            .map(|b| b.body)
            .collect();
        assert_eq!(found.len(), 1, "{page}: one pytest example expected");
        found.into_iter().next().unwrap_or_default()
    };
    let readme = example("README.md");
    for page in ["docs/LANGUAGES.md", "python/README.md"] {
        assert_eq!(example(page), readme, "{page} and README.md show different pytest examples");
    }
}
