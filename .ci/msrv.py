"""Fails when `rust-version` is not true: below what the workspace's syntax needs, or below what
a locked dependency declares. Reads `cargo metadata --format-version 1 --locked` on stdin.

clippy's `incompatible_msrv` (denied in the workspace lints) covers std APIs; it cannot see
syntax, hence the floor below."""

import json
import sys

# let chains (`if let … && …`) are used across the workspace: stable since Rust 1.88.
SYNTAX_FLOOR = (1, 88, 0)


def version(text):
    parts = [int(x) for x in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def show(v):
    return ".".join(map(str, v))


meta = json.load(sys.stdin)
ours = [p for p in meta["packages"] if p["id"] in meta["workspace_members"]]
theirs = [p for p in meta["packages"] if p["id"] not in meta["workspace_members"]]
unset = [p["name"] for p in ours if not p.get("rust_version")]
if unset:
    sys.exit(f"no rust-version in: {', '.join(unset)}")
msrv = min(version(p["rust_version"]) for p in ours)
problems = []
if msrv < SYNTAX_FLOOR:
    problems.append(f"rust-version {show(msrv)} is below {show(SYNTAX_FLOOR)}, which the workspace's let chains need")
for p in theirs:
    if p.get("rust_version") and version(p["rust_version"]) > msrv:
        problems.append(f"{p['name']} {p['version']} needs Rust {p['rust_version']}")
print(f"rust-version {show(msrv)}; {len(theirs)} locked dependencies, newest declared "
      f"{show(max((version(p['rust_version']) for p in theirs if p.get('rust_version')), default=(0, 0, 0)))}")
if problems:
    sys.exit("\n".join(problems) + "\npin an older version (cargo update -p NAME --precise VERSION) or raise "
             "rust-version and say why in README.md")
