//! Rustdoc turned into the document's descriptions.

use serde_json::Value;

/// Rustdoc in descriptions reads as prose: code examples dropped, intra-doc links as plain code.
pub(super) fn clean_descriptions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(text) if key == "description" => *text = strip_doc_links(&strip_code_blocks(text)),
                    _ => clean_descriptions(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(clean_descriptions),
        _ => {}
    }
}

/// Removes fenced code blocks (```` ``` ```` … ```` ``` ````).
fn strip_code_blocks(text: &str) -> String {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if !in_block {
            out.push(line);
        }
    }
    out.join("\n").trim().to_owned()
}

/// `[`X`](path)` and `[`X`]` become `` `X` ``.
pub(super) fn strip_doc_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[`") {
        let Some(close) = rest[start..].find("`]").map(|i| start + i) else { break };
        out.push_str(&rest[..start]);
        out.push_str(&rest[start + 1..close + 1]);
        rest = &rest[close + 2..];
        if rest.starts_with('(')
            && let Some(end) = rest.find(')')
        {
            rest = &rest[end + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustdoc_reads_as_prose() {
        let text = "C1: every field is a [`Patch`], see [`Api::path`](Api::path).\n\n```\nlet x = 1;\n```";
        assert_eq!(strip_doc_links(&strip_code_blocks(text)), "C1: every field is a `Patch`, see `Api::path`.");
        assert_eq!(strip_doc_links("a [`b` c"), "a [`b` c");
    }
}
