//! The release checks that need no build and no network: each a function of the workspace's
//! metadata and files that returns what is wrong, so that each is unit-tested on made-up input.

pub(crate) mod changelog;
pub(crate) mod crate_rules;
pub(crate) mod docs;
pub(crate) mod excerpts;
pub(crate) mod image;
pub(crate) mod licences;
pub(crate) mod manifest;
pub(crate) mod npm;
pub(crate) mod versions;
pub(crate) mod wheel;

use std::fmt;

use crate::workspace::{Tree, Workspace};

/// One thing that stands between the workspace and a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// Where: a file, or a crate.
    pub(crate) at: String,
    /// What is wrong, and what to do about it where that is not obvious.
    pub(crate) what: String,
}

impl Problem {
    pub(crate) fn new(at: impl Into<String>, what: impl Into<String>) -> Self {
        Problem { at: at.into(), what: what.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.what)
    }
}

/// The options of a run that change what is checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// The tag about to be pushed (`v0.1.0`): it must name the workspace version, and the
    /// CHANGELOG must have that version's section.
    pub(crate) tag: Option<String>,
}

/// A named group of checks, as printed.
pub(crate) struct Check {
    pub(crate) name: &'static str,
    pub(crate) run: fn(&Workspace, &dyn Tree, &Options) -> Vec<Problem>,
}

/// Every check, in the order they are printed.
pub(crate) const CHECKS: &[Check] = &[
    Check { name: "manifests (fields, keywords, categories, no placeholders)", run: manifest::check },
    Check { name: "one version everywhere (members, path dependencies)", run: versions::check },
    Check { name: "licence files (root and every published crate, identical)", run: licences::check },
    Check { name: "CHANGELOG.md (Unreleased, released sections, the tag)", run: changelog::check },
    Check { name: "Python wheel version (python/pyproject.toml)", run: wheel::check },
    Check { name: "npm package version (npm/package.json)", run: npm::check },
    Check { name: "image labels (Dockerfile)", run: image::check },
    Check { name: "docs (every crate in README.md and ARCHITECTURE.md, publish order)", run: docs::check },
    Check { name: "docs/LANGUAGES.md shows only code that runs (excerpts of tested files)", run: excerpts::check },
];

#[cfg(test)]
pub(crate) mod fixture {
    //! A small workspace for the checks' tests: types ← client ← mock (dev), all published,
    //! plus an internal xtask; and its files in memory.

    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use crate::workspace::{Dependency, Package, Workspace};

    pub(crate) fn package(name: &str, dir: &str) -> Package {
        Package {
            name: name.into(),
            version: "0.1.0".into(),
            publish: None,
            license: Some("MIT OR Apache-2.0".into()),
            description: Some(format!("{name}, a crate")),
            readme: Some("README.md".into()),
            documentation: Some(format!("https://docs.rs/{name}")),
            keywords: vec!["wecom".into()],
            categories: vec!["api-bindings".into()],
            dir: PathBuf::from(dir),
            ..Package::default()
        }
    }

    pub(crate) fn path_dependency(name: &str, dir: &str, kind: Option<&str>) -> Dependency {
        Dependency {
            name: name.into(),
            req: "^0.1.0".into(),
            kind: kind.map(str::to_owned),
            path: Some(PathBuf::from(dir)),
        }
    }

    pub(crate) fn workspace() -> Workspace {
        let types = package("wecom-types", "crates/types");
        let mut client = package("wecom-client", "crates/client");
        client.dependencies = vec![
            path_dependency("wecom-types", "crates/types", None),
            path_dependency("wecom-mock", "crates/mock-server", Some("dev")),
        ];
        let mut mock = package("wecom-mock", "crates/mock-server");
        mock.dependencies = vec![path_dependency("wecom-types", "crates/types", None)];
        let mut xtask = package("xtask", "xtask");
        xtask.publish = Some(vec![]);
        Workspace {
            version: "0.1.0".into(),
            license: Some("MIT OR Apache-2.0".into()),
            members: vec![types, client, mock, xtask],
            target_dir: PathBuf::from("/nowhere/target"),
        }
    }

    /// The files a releasable [`workspace`] has.
    pub(crate) fn files() -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        let mut put = |path: &str, text: &str| files.insert(PathBuf::from(path), text.as_bytes().to_vec());
        put("Cargo.toml", "[workspace.package]\nversion = \"0.1.0\"\n");
        for dir in ["", "crates/types/", "crates/client/", "crates/mock-server/"] {
            put(&format!("{dir}LICENSE-MIT"), "MIT text");
            put(&format!("{dir}LICENSE-APACHE"), "Apache text");
        }
        for dir in ["crates/types", "crates/client", "crates/mock-server", "xtask"] {
            put(&format!("{dir}/Cargo.toml"), "[package]\nname = \"x\"\n");
            put(&format!("{dir}/README.md"), "# x\n");
        }
        put("CHANGELOG.md", "# Changelog\n\n## Unreleased\n\n- a change\n");
        let crates = "`wecom-types` `wecom-client` `wecom-mock` `xtask`";
        put("README.md", crates);
        put("ARCHITECTURE.md", crates);
        put("docs/RELEASING.md", "1. `wecom-types`\n2. `wecom-mock`\n3. `wecom-client`\n");
        files
    }
}
