//! The layer rules of `ARCHITECTURE.md`, checked over the source tree: each folder of `src/`
//! may use only the layers below it, and `core/` (pure) uses nothing else of the crate, no I/O,
//! no locks, and neither the clocks nor the thread's random numbers (time and randomness are
//! passed in).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each layer and the layers it may use. The files at the root of `src/` (`lib.rs`,
/// `server.rs`, `main.rs`) put everything together and may use any.
const LAYERS: &[(&str, &[&str])] = &[
    ("core", &[]),
    ("api", &["core"]),
    ("durability", &["core"]),
    ("traffic", &["core", "api"]),
    ("net", &["core", "api"]),
    ("state", &["core", "api", "durability", "traffic", "net"]),
    ("http", &["core", "api", "durability", "traffic", "net", "state"]),
];

/// What `core/` must not touch: I/O, locks, the async runtime, the HTTP stack, the clocks and
/// the thread's random number generator.
const NOT_IN_CORE: &[&str] = &[
    "std::fs",
    "std::net",
    "std::io",
    "std::sync::Mutex",
    "std::sync::RwLock",
    "parking_lot",
    "dashmap",
    "tokio",
    "hyper",
    "SystemTime",
    "UNIX_EPOCH",
    "Instant",
    "rand::rng",
    "thread_rng",
    "ThreadRng",
];

/// The banned names `code` uses.
fn banned_in(code: &str) -> Vec<&'static str> {
    NOT_IN_CORE.iter().copied().filter(|banned| code.contains(banned)).collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/core/domain/mod.rs` is `[core, domain]`.
fn module_of(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src()).expect("under src");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" && stem != "main" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The code of a file without its comments (doc links name other layers freely).
fn code_of(file: &Path) -> String {
    let text = std::fs::read_to_string(file).expect("readable");
    text.lines().map(|line| line.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// The top-level modules of the crate a file's code refers to: `crate::x…`, `crate::{x, y}`
/// and `super::` chains that climb out of the file's own top-level module.
fn referenced(module: &[String], code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    for (at, _) in code.match_indices("crate::") {
        // `wecom_mock::…`-like paths end in `crate::` only as part of a longer word.
        if code[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or_default();
            out.extend(group.split(',').map(|item| ident(item.trim())).filter(|s| !s.is_empty()));
        } else {
            out.insert(ident(rest));
        }
    }
    for (at, _) in code.match_indices("super::") {
        if code[..at].ends_with("super::") {
            continue; // counted from the start of the chain
        }
        let mut rest = &code[at..];
        let mut depth = 0;
        while let Some(next) = rest.strip_prefix("super::") {
            depth += 1;
            rest = next;
        }
        if depth >= module.len() {
            out.insert(ident(rest));
        }
    }
    out
}

#[test]
fn every_layer_uses_only_the_layers_below_it() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut broken = Vec::new();
    for file in &files {
        let module = module_of(file);
        let Some(layer) = module.first() else { continue };
        let Some((_, allowed)) = LAYERS.iter().find(|(name, _)| name == layer) else { continue };
        for used in referenced(&module, &code_of(file)) {
            if used != *layer && !allowed.contains(&used.as_str()) {
                broken.push(format!("{} uses crate::{used}", file.display()));
            }
        }
    }
    assert!(broken.is_empty(), "layer rules broken (see ARCHITECTURE.md):\n{}", broken.join("\n"));
}

#[test]
fn every_folder_of_src_is_a_known_layer() {
    let folders: BTreeSet<String> = std::fs::read_dir(src())
        .expect("src")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let known: BTreeSet<String> = LAYERS.iter().map(|(name, _)| (*name).to_owned()).collect();
    assert_eq!(folders, known, "a new folder needs its row in LAYERS and in ARCHITECTURE.md");
}

#[test]
fn the_core_does_no_io_takes_no_lock_and_reads_no_clock() {
    let mut files = Vec::new();
    rust_files(&src().join("core"), &mut files);
    assert!(files.len() > 5, "the core has its files");
    let mut broken = Vec::new();
    for file in &files {
        for banned in banned_in(&code_of(file)) {
            broken.push(format!("{} uses {banned}", file.display()));
        }
    }
    assert!(broken.is_empty(), "core/ must stay pure:\n{}", broken.join("\n"));
}

#[test]
fn the_checker_sees_what_it_checks() {
    let module = vec!["core".to_owned(), "domain".to_owned()];
    let code =
        "use crate::state::Corp;\nuse crate::{api::X, core::Y};\nuse super::super::http::Z;\nuse super::model::W;";
    let found: Vec<String> = referenced(&module, code).into_iter().collect();
    assert_eq!(found, ["api", "core", "http", "state"]);
}

#[test]
fn the_core_check_sees_a_clock_or_the_thread_rng() {
    let cases: &[(&str, &[&str])] = &[
        ("let now = std::time::SystemTime::now();", &["SystemTime"]),
        ("use std::time::{SystemTime, UNIX_EPOCH};", &["SystemTime", "UNIX_EPOCH"]),
        ("let start = Instant::now();", &["Instant"]),
        ("let n: u8 = rand::rng().random();", &["rand::rng"]),
        ("let n: u8 = rand::thread_rng().gen();", &["thread_rng"]),
        ("fn rule(state: &CorpState, now: i64, rng: &mut impl Rng) {}", &[]),
    ];
    for (code, expected) in cases {
        assert_eq!(banned_in(code), *expected, "{code}");
    }
}

#[test]
fn the_core_check_fails_on_a_clock_read_placed_in_core() {
    let file = src().join("core/model/mod.rs");
    let mutated = format!("{}\nfn wall() -> i64 {{ std::time::SystemTime::now(); 0 }}\n", code_of(&file));
    assert!(banned_in(&code_of(&file)).is_empty(), "the core as it is passes");
    assert_eq!(banned_in(&mutated), ["SystemTime"], "the same file with a clock read fails");
}
