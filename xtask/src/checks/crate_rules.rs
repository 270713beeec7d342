//! The crate-level rules of ARCHITECTURE.md ("Invariants of the workspace"), over the resolved
//! dependency graph: what a crate never depends on, directly or through another crate.

use crate::checks::Problem;
use crate::graph::{Graph, Kind};

/// A crate that never depends on some others.
pub(crate) struct Never {
    /// The crate.
    pub(crate) krate: &'static str,
    /// What it never reaches through normal dependencies.
    pub(crate) never: &'static [&'static str],
    /// Its own dev-dependencies (tests, benches) count too.
    pub(crate) dev_too: bool,
    /// Why, as ARCHITECTURE.md says it.
    pub(crate) why: &'static str,
}

/// The HTTP stacks and async runtimes a pure crate never pulls in.
const IO_STACK: &[&str] = &["tokio", "hyper", "hyper-util", "reqwest", "http", "async-std", "smol"];

/// Every "never" rule of ARCHITECTURE.md.
pub(crate) const RULES: &[Never] = &[
    Never {
        krate: "wecom-types",
        never: &["tokio", "hyper", "reqwest"],
        dev_too: false,
        why: "wecom-types does no I/O: neither reqwest, hyper nor tokio",
    },
    Never {
        krate: "wecom-callback-crypto",
        never: IO_STACK,
        dev_too: false,
        why: "wecom-callback-crypto depends on no HTTP stack and no async runtime",
    },
    Never {
        krate: "wecom-mock",
        never: &["wecom-client"],
        dev_too: true,
        why: "wecom-mock never imports wecom-client",
    },
    Never {
        krate: "wecom-contactway-cli",
        never: &["wecom-mock"],
        dev_too: false,
        why: "wecom-contactway-cli uses wecom-mock as a dev-dependency only",
    },
];

/// The only crates whose code uses both the client and the mock.
pub(crate) const USE_CLIENT_AND_MOCK: &[&str] = &["wecom-conformance", "wecom-bench"];

/// What breaks a rule, with the path of dependencies that does.
pub(crate) fn check(graph: &Graph) -> Vec<Problem> {
    let mut problems = Vec::new();
    for rule in RULES {
        let reached = graph.reached(rule.krate, rule.dev_too);
        for banned in rule.never {
            if let Some(path) = reached.get(*banned) {
                problems.push(Problem::new(
                    rule.krate,
                    format!("depends on {banned} ({}): {}", path.join(" → "), rule.why),
                ));
            }
        }
    }
    for krate in graph.edges.keys() {
        let uses = |name: &str| graph.direct(krate, Kind::Normal).any(|to| to == name);
        if uses("wecom-client") && uses("wecom-mock") && !USE_CLIENT_AND_MOCK.contains(&krate.as_str()) {
            problems.push(Problem::new(
                krate.as_str(),
                format!("uses both wecom-client and wecom-mock: only {} do", USE_CLIENT_AND_MOCK.join(" and ")),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// A dependency: from, to, how.
    type Edge = (&'static str, &'static str, Kind);

    /// The workspace as the rules want it.
    fn keeping() -> Vec<Edge> {
        vec![
            ("wecom-types", "serde", Kind::Normal),
            ("wecom-types", "proptest", Kind::Dev),
            ("wecom-callback-crypto", "aes", Kind::Normal),
            ("wecom-client", "wecom-types", Kind::Normal),
            ("wecom-client", "reqwest", Kind::Normal),
            ("reqwest", "hyper", Kind::Normal),
            ("wecom-client", "wecom-mock", Kind::Dev),
            ("wecom-mock", "wecom-types", Kind::Normal),
            ("wecom-mock", "tokio", Kind::Normal),
            ("wecom-contactway-cli", "wecom-client", Kind::Normal),
            ("wecom-contactway-cli", "wecom-mock", Kind::Dev),
            ("wecom-conformance", "wecom-client", Kind::Normal),
            ("wecom-conformance", "wecom-mock", Kind::Normal),
        ]
    }

    fn problems_with(extra: &[Edge]) -> Vec<String> {
        let mut edges = keeping();
        edges.extend_from_slice(extra);
        check(&Graph::from_edges(edges)).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_workspace_that_keeps_the_rules_passes() {
        assert_eq!(check(&Graph::from_edges(keeping())), []);
    }

    #[test]
    fn each_rule_names_the_crate_and_the_path_that_breaks_it() {
        let cases: &[(&[Edge], &str)] = &[
            (&[("wecom-types", "reqwest", Kind::Normal)], "wecom-types: depends on reqwest (wecom-types → reqwest)"),
            (&[("serde", "tokio", Kind::Normal)], "wecom-types: depends on tokio (wecom-types → serde → tokio)"),
            (
                &[("aes", "hyper", Kind::Normal)],
                "wecom-callback-crypto: depends on hyper (wecom-callback-crypto → aes → hyper)",
            ),
            (
                &[("wecom-mock", "wecom-client", Kind::Dev)],
                "wecom-mock: depends on wecom-client (wecom-mock → wecom-client)",
            ),
            (
                &[("wecom-contactway-cli", "wecom-mock", Kind::Normal)],
                "wecom-contactway-cli: depends on wecom-mock (wecom-contactway-cli → wecom-mock)",
            ),
            (
                &[("a-tool", "wecom-client", Kind::Normal), ("a-tool", "wecom-mock", Kind::Normal)],
                "a-tool: uses both wecom-client and wecom-mock",
            ),
        ];
        for (extra, expected) in cases {
            let problems = problems_with(extra);
            assert!(problems.iter().any(|p| p.starts_with(expected)), "{extra:?}: {problems:?}");
        }
    }

    #[test]
    fn a_dev_dependency_breaks_only_the_rules_that_count_them() {
        assert_eq!(problems_with(&[("wecom-types", "tokio", Kind::Dev)]), Vec::<String>::new());
        assert_eq!(problems_with(&[("wecom-contactway-cli", "wecom-mock", Kind::Dev)]), Vec::<String>::new());
    }

    #[test]
    fn the_workspace_keeps_the_crate_rules_of_architecture_md() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let graph = crate::graph::load(&cargo, &root).unwrap_or_else(|e| panic!("{e}"));
        for rule in RULES {
            assert!(graph.edges.contains_key(rule.krate), "{} is not in the workspace's graph", rule.krate);
        }
        let problems: Vec<String> = check(&graph).iter().map(ToString::to_string).collect();
        assert!(problems.is_empty(), "ARCHITECTURE.md's crate rules are broken:\n{}", problems.join("\n"));
    }
}
