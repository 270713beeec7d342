//! The category slugs crates.io accepts (its `src/boot/categories.toml`, subcategories as
//! `parent::child`). crates.io drops an unknown slug from the crate's page with only a warning,
//! so a typo would go unnoticed without this list. Sorted, for the binary search.

pub(super) const CATEGORY_SLUGS: &[&str] = &[
    "algorithms",
    "api-bindings",
    "asynchronous",
    "authentication",
    "caching",
    "command-line-interface",
    "command-line-utilities",
    "compression",
    "computer-vision",
    "concurrency",
    "config",
    "cryptography",
    "cryptography::cryptocurrencies",
    "data-structures",
    "database",
    "database-implementations",
    "date-and-time",
    "development-tools",
    "development-tools::build-utils",
    "development-tools::cargo-plugins",
    "development-tools::debugging",
    "development-tools::ffi",
    "development-tools::procedural-macro-helpers",
    "development-tools::profiling",
    "development-tools::testing",
    "email",
    "embedded",
    "emulators",
    "encoding",
    "external-ffi-bindings",
    "filesystem",
    "game-development",
    "game-engines",
    "games",
    "graphics",
    "gui",
    "hardware-support",
    "internationalization",
    "localization",
    "mathematics",
    "memory-management",
    "multimedia",
    "multimedia::audio",
    "multimedia::encoding",
    "multimedia::images",
    "multimedia::video",
    "network-programming",
    "no-std",
    "os",
    "os::linux-apis",
    "os::macos-apis",
    "os::unix-apis",
    "os::windows-apis",
    "parser-implementations",
    "parsing",
    "rendering",
    "rendering::data-formats",
    "rendering::engine",
    "rendering::graphics-api",
    "rust-patterns",
    "science",
    "science::robotics",
    "simulation",
    "template-engine",
    "text-editors",
    "text-processing",
    "value-formatting",
    "visualization",
    "wasm",
    "web-programming",
    "web-programming::http-client",
    "web-programming::http-server",
    "web-programming::websocket",
];

/// Whether crates.io knows the slug.
pub(super) fn is_known(slug: &str) -> bool {
    CATEGORY_SLUGS.binary_search(&slug).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_for_the_binary_search() {
        assert!(CATEGORY_SLUGS.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn top_level_and_sub_categories_are_known_and_typos_are_not() {
        for (slug, known) in [
            ("api-bindings", true),
            ("development-tools::testing", true),
            ("web-programming::http-client", true),
            ("testing", false),
            ("development-tools::test", false),
            ("API-bindings", false),
        ] {
            assert_eq!(is_known(slug), known, "{slug}");
        }
    }
}
