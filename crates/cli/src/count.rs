//! Counts in messages as a reader says them: "1 config", "3 configs", never "config(s)".

/// `n` followed by the singular or the plural noun.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "is" or "are", to agree with `n`.
pub(crate) fn is_are(n: usize) -> &'static str {
    if n == 1 { "is" } else { "are" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        let cases =
            [(0, "0 entries", "are"), (1, "1 entry", "is"), (2, "2 entries", "are"), (1000, "1000 entries", "are")];
        for (n, text, verb) in cases {
            assert_eq!(count(n, "entry", "entries"), text);
            assert_eq!(is_are(n), verb);
        }
    }
}
