//! Every API has the pieces that are kept by hand beside its declaration in `endpoint.rs`: those
//! the compiler cannot demand (a missing `match` arm fails the build; a missing client method,
//! conformance op, spec case, CLI command or fixture does not). A failure names the API and the
//! piece. ARCHITECTURE.md's "How to add an API" names every piece checked here.

use std::path::{Path, PathBuf};

use wecom_types::Api;

use super::rules::cases::{CASES_JSONL, parse_cases};

/// A piece of the workspace that lists the APIs by hand.
struct Piece {
    /// What it is, as a failure names it.
    what: &'static str,
    /// Where it lives, from the workspace root (ARCHITECTURE.md's checklist names it).
    file: &'static str,
    /// Whether `api` has it.
    has: fn(api: Api) -> bool,
    /// The APIs that go without it, and why.
    exempt: &'static [(Api, &'static str)],
}

const PIECES: &[Piece] = &[
    Piece {
        what: "documented bodies (<name>.request.json, <name>.response.json)",
        file: "crates/types/tests/fixtures/",
        has: |api| {
            let fixture = |kind| root().join(format!("crates/types/tests/fixtures/{}.{kind}.json", api.name()));
            fixture("request").is_file() && fixture("response").is_file()
        },
        exempt: &[],
    },
    Piece {
        what: "typed client method (`pub async fn <name>(`)",
        file: "crates/client/src/api.rs",
        has: |api| read("crates/client/src/api.rs").contains(&format!("pub async fn {}(", api.name())),
        exempt: &[(Api::GetToken, "the client gets, caches and refreshes tokens itself")],
    },
    Piece {
        what: "conformance op (an `Op` variant named like the API)",
        file: "crates/conformance/src/op.rs",
        has: |api| {
            let text = read("crates/conformance/src/op.rs");
            text.contains(&format!("\n    {api:?} {{")) || text.contains(&format!("\n    {api:?},"))
        },
        exempt: &[],
    },
    Piece {
        what: "generated conformance op (`Op::<Api>` in a strategy)",
        file: "crates/conformance/src/machine.rs",
        has: |api| read("crates/conformance/src/machine.rs").contains(&format!("Op::{api:?}")),
        exempt: &[],
    },
    Piece {
        what: "spec case (a line whose `api` is its path under /cgi-bin/)",
        file: "spec/cases.jsonl",
        has: |api| match parse_cases(CASES_JSONL) {
            Ok(cases) => cases.iter().any(|case| case.table_api() == Some(api)),
            Err(err) => panic!("spec/cases.jsonl: {err}"),
        },
        exempt: &[],
    },
    Piece {
        what: "CLI command whose help starts with the spec id (`/// C1: …`)",
        file: "crates/cli/src/cli.rs",
        has: |api| {
            let text = read("crates/cli/src/cli.rs");
            let spec_id = api.info().spec_id;
            text.contains(&format!("/// {spec_id}: ")) || text.contains(&format!("/// {spec_id} ("))
        },
        exempt: &[
            (Api::GetToken, "the client gets tokens for every command"),
            (Api::GetExternalContact, "a read-back of what a customer did, not an operator's task"),
            (Api::GetGroupChat, "a read-back of what a customer did, not an operator's task"),
            (Api::SendWelcomeMsg, "a callback handler's answer within 20 s of an add, not an operator's task"),
        ],
    },
];

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file of the workspace, from its root.
fn read(file: &str) -> String {
    let path = root().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn exemption(piece: &Piece, api: Api) -> Option<&'static str> {
    piece.exempt.iter().find(|(exempt, _)| *exempt == api).map(|(_, why)| *why)
}

#[test]
fn every_api_has_every_hand_kept_piece() {
    let missing: Vec<String> = Api::ALL
        .into_iter()
        .flat_map(|api| PIECES.iter().map(move |piece| (api, piece)))
        .filter(|(api, piece)| exemption(piece, *api).is_none() && !(piece.has)(*api))
        .map(|(api, piece)| format!("{api:?} ({}): no {} in {}", api.name(), piece.what, piece.file))
        .collect();
    assert!(missing.is_empty(), "see ARCHITECTURE.md, \"How to add an API\":\n{}", missing.join("\n"));
}

#[test]
fn an_exempt_api_really_goes_without_the_piece() {
    let stale: Vec<String> = PIECES
        .iter()
        .flat_map(|piece| piece.exempt.iter().map(move |(api, _)| (*api, piece)))
        .filter(|(api, piece)| (piece.has)(*api))
        .map(|(api, piece)| format!("{api:?} is exempt from the {} but has one: drop the exemption", piece.what))
        .collect();
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

#[test]
fn the_checklist_in_architecture_names_every_piece() {
    let architecture = read("ARCHITECTURE.md");
    let Some((_, checklist)) = architecture.split_once("## How to add an API") else {
        panic!("ARCHITECTURE.md has no \"How to add an API\" section");
    };
    let checklist = checklist.split("\n## ").next().unwrap_or_default();
    for piece in PIECES {
        assert!(checklist.contains(piece.file), "the checklist does not name {} ({})", piece.file, piece.what);
    }
}
