//! The README's fidelity section lists every assumption of the fidelity table.

use wecom_types::fidelity::FIDELITY_TABLE;

#[test]
fn the_readme_lists_every_assumption() {
    let readme = include_str!("../../../../README.md");
    for row in FIDELITY_TABLE {
        assert!(readme.contains(&format!("`{}`", row.name)), "README.md does not list {}", row.name);
    }
}
