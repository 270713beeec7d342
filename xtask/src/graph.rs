//! The resolved dependency graph, as `cargo metadata` (with dependencies) describes it: which
//! package depends on which, and how (normal, dev, build). Read by the crate rules
//! ([`crate::checks::crate_rules`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::Failure;
use crate::workspace::{cargo, metadata_json};

/// How a package depends on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// What its code uses.
    Normal,
    /// Tests, examples and benches only.
    Dev,
    /// Its build script only.
    Build,
}

/// Every package by name, with the names it depends on and how. Two versions of one package
/// are one node: a rule about a name holds for all its versions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    pub(crate) edges: BTreeMap<String, BTreeSet<(String, Kind)>>,
}

impl Graph {
    /// A graph from `(from, to, kind)` edges (the checks' tests make theirs this way).
    #[cfg(test)]
    pub(crate) fn from_edges<'a>(edges: impl IntoIterator<Item = (&'a str, &'a str, Kind)>) -> Graph {
        let mut graph = Graph::default();
        for (from, to, kind) in edges {
            graph.edges.entry(from.to_owned()).or_default().insert((to.to_owned(), kind));
        }
        graph
    }

    /// What `name` depends on directly with `kind`.
    pub(crate) fn direct(&self, name: &str, kind: Kind) -> impl Iterator<Item = &str> {
        self.edges.get(name).into_iter().flatten().filter(move |(_, k)| *k == kind).map(|(to, _)| to.as_str())
    }

    /// Every package `start` reaches through normal dependencies (its dev-dependencies as well
    /// when `with_dev`, and theirs normal ones only), each with the path that reaches it.
    pub(crate) fn reached(&self, start: &str, with_dev: bool) -> BTreeMap<String, Vec<String>> {
        let mut paths: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut queue: Vec<(String, Vec<String>)> = Vec::new();
        let first: Vec<&str> = if with_dev {
            self.direct(start, Kind::Normal).chain(self.direct(start, Kind::Dev)).collect()
        } else {
            self.direct(start, Kind::Normal).collect()
        };
        for to in first {
            queue.push((to.to_owned(), vec![start.to_owned(), to.to_owned()]));
        }
        while let Some((name, path)) = queue.pop() {
            if name == start || paths.contains_key(&name) {
                continue;
            }
            for to in self.direct(&name, Kind::Normal) {
                let mut longer = path.clone();
                longer.push(to.to_owned());
                queue.push((to.to_owned(), longer));
            }
            paths.insert(name, path);
        }
        paths
    }
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<PackageId>,
    resolve: Resolve,
}

#[derive(Deserialize)]
struct PackageId {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    #[serde(default)]
    deps: Vec<NodeDep>,
}

#[derive(Deserialize)]
struct NodeDep {
    pkg: String,
    #[serde(default)]
    dep_kinds: Vec<DepKind>,
}

#[derive(Deserialize)]
struct DepKind {
    kind: Option<String>,
}

/// The workspace's resolved graph (`cargo metadata --format-version 1`, run in `root`).
pub(crate) fn load(cargo_path: &str, root: &std::path::Path) -> Result<Graph, Failure> {
    let mut command = cargo(cargo_path);
    command.current_dir(root);
    let metadata: Metadata = serde_json::from_slice(&metadata_json(command, &[])?).map_err(Failure::Metadata)?;
    let names: BTreeMap<&str, &str> = metadata.packages.iter().map(|p| (p.id.as_str(), p.name.as_str())).collect();
    let name_of = |id: &str| names.get(id).copied().unwrap_or(id).to_owned();
    let mut graph = Graph::default();
    for node in &metadata.resolve.nodes {
        let from = graph.edges.entry(name_of(&node.id)).or_default();
        for dep in &node.deps {
            for kind in &dep.dep_kinds {
                let kind = match kind.kind.as_deref() {
                    Some("dev") => Kind::Dev,
                    Some("build") => Kind::Build,
                    _ => Kind::Normal,
                };
                from.insert((name_of(&dep.pkg), kind));
            }
        }
    }
    Ok(graph)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reached_follows_normal_dependencies_and_dev_ones_only_at_the_start() {
        let graph = Graph::from_edges([
            ("app", "lib", Kind::Normal),
            ("lib", "io", Kind::Normal),
            ("lib", "testkit", Kind::Dev),
            ("app", "harness", Kind::Dev),
            ("harness", "net", Kind::Normal),
            ("app", "codegen", Kind::Build),
        ]);
        let names = |with_dev| graph.reached("app", with_dev).into_keys().collect::<Vec<_>>();
        assert_eq!(names(false), ["io", "lib"]);
        assert_eq!(names(true), ["harness", "io", "lib", "net"]);
        assert_eq!(graph.reached("app", false)["io"], ["app", "lib", "io"]);
    }
}
