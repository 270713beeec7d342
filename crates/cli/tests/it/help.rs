//! `--help`, `--version` and the usage errors that need no server.

use crate::harness::Harness;

#[test]
fn version_prints_the_package_version() {
    let h = Harness::start();
    let run = h.run(&["--version"]).expect_code(0);
    assert_eq!(run.stdout().trim(), format!("wecom {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn help_documents_every_exit_status_and_the_environment() {
    let h = Harness::start();
    let help = h.run(&["--help"]).expect_code(0).stdout();
    for needle in [
        "Exit status:",
        "  0  success",
        "  1  ",
        "  2  ",
        "  3  ",
        "  4  ",
        "WECOM_BASE_URL",
        "WECOM_CORPID",
        "WECOM_TIMEOUT",
        "WECOM_LEDGER",
    ] {
        assert!(help.contains(needle), "--help lacks {needle:?}:\n{help}");
    }
    assert!(!help.contains(h.mock.secret()), "--help shows the secret's value");
}

// These two read files of the checkout (the README, the manifest as written), so they live
// here: the published package holds `src/`, not the tests, and a unit test in `src/` that read
// `../../../README.md` would not compile from it.
#[test]
fn the_readme_lists_every_exit_status_that_help_prints() {
    let h = Harness::start();
    let help = h.run(&["--help"]).expect_code(0).stdout();
    let readme = include_str!("../../../../README.md");
    let table = help.split("Exit status:\n").nth(1).expect("an exit status table");
    let rows: Vec<(&str, &str)> = table.lines().map_while(|line| line.strip_prefix("  ")?.split_once("  ")).collect();
    assert_eq!(rows.iter().map(|(code, _)| *code).collect::<Vec<_>>(), ["0", "1", "2", "3", "4"], "{table}");
    for (code, meaning) in rows {
        let line = format!("| {code} | {meaning} |");
        assert!(readme.contains(&line), "README.md lacks the row:\n{line}");
    }
}

/// ARCHITECTURE.md: the CLI is built on the client and the types; the mock only tests it.
#[test]
fn the_cli_depends_on_the_mock_for_its_tests_only() {
    let manifest = include_str!("../../Cargo.toml");
    let dependencies =
        manifest.split("[dependencies]").nth(1).and_then(|rest| rest.split("\n[").next()).unwrap_or_default();
    assert!(dependencies.contains("wecom-client") && dependencies.contains("wecom-types"), "{dependencies}");
    assert!(!dependencies.contains("wecom-mock"), "wecom-mock must stay a dev-dependency");
    assert!(manifest.contains("[dev-dependencies]") && manifest.contains("wecom-mock.workspace"));
}

#[test]
fn every_subcommand_has_help() {
    let h = Harness::start();
    let commands: [&[&str]; 17] = [
        &["contact-way", "add"],
        &["contact-way", "get"],
        &["contact-way", "list"],
        &["contact-way", "update"],
        &["contact-way", "delete"],
        &["contact-way", "close-temp-chat"],
        &["join-way", "add"],
        &["join-way", "get"],
        &["join-way", "update"],
        &["join-way", "delete"],
        &["inventory"],
        &["prune"],
        &["ledger", "list"],
        &["ledger", "reconcile"],
        &["ledger", "orphans"],
        &["ledger", "adopt"],
        &["ledger", "dismiss"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let run = h.run(&args).expect_code(0);
        assert!(run.stdout().contains("Usage: wecom"), "{command:?}");
    }
}

#[test]
fn the_ledger_help_says_what_it_cannot_recover_for_join_group() {
    let h = Harness::start();
    let help = h.run(&["ledger", "--help"]).expect_code(0).stdout();
    assert!(help.contains("Join Group configs cannot be listed"), "{help}");
}

#[test]
fn usage_errors_exit_2_without_a_request() {
    let h = Harness::start();
    let cases: [&[&str]; 4] = [
        &["contact-way", "add", "--type", "one"],
        &["contact-way", "frobnicate"],
        &["--timeout", "soon", "contact-way", "get", "c"],
        &["prune"],
    ];
    for args in cases {
        let run = h.run(args).expect_code(2);
        assert!(!run.stderr().is_empty(), "{args:?} says nothing");
        assert!(run.stdout().is_empty(), "{args:?} printed an answer");
    }
    assert!(
        h.mock.control().requests(&Default::default()).expect("the journal").is_empty(),
        "a usage error reached the server"
    );
}

#[test]
fn missing_credentials_are_a_usage_error() {
    let h = Harness::start();
    let run = crate::harness::Run(
        h.std_command().env_remove("WECOM_SECRET").args(["contact-way", "get", "c"]).output().expect("runs"),
    )
    .expect_code(2);
    assert!(run.stderr().contains("--secret"), "{}", run.stderr());
}

/// The subcommands a `--help` text lists under "Commands:" (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_subcommand_lists_the_shared_options_under_their_own_heading() {
    let h = Harness::start();
    let mut pending: Vec<Vec<String>> =
        subcommands(&h.run(&["--help"]).expect_code(0).stdout()).into_iter().map(|name| vec![name]).collect();
    let mut checked = 0;
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = h.run(&args).expect_code(0).stdout();
        let lines: Vec<&str> = help.lines().collect();
        let shared = lines
            .iter()
            .position(|l| *l == "Global options:")
            .unwrap_or_else(|| panic!("{path:?}: no heading:\n{help}"));
        for option in ["--base-url", "--corpid", "--secret", "--timeout", "--max-retries", "--ledger", "--quiet"] {
            // The line that lists the option (`      --corpid <CORPID>`, `  -q, --quiet`).
            let listed = |l: &&str| {
                let l = l.trim_start();
                l.starts_with(option)
                    || l.split_once(", ").is_some_and(|(short, long)| short.len() == 2 && long.starts_with(option))
            };
            let at = lines.iter().position(listed).unwrap_or_else(|| panic!("{path:?} lacks {option}:\n{help}"));
            assert!(at > shared, "{path:?}: {option} is not under the heading:\n{help}");
        }
        pending.extend(subcommands(&help).into_iter().map(|name| [path.clone(), vec![name]].concat()));
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} subcommands checked");
}
