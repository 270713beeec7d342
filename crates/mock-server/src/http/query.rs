//! Query strings: the one-pass lookup of the hot path (`access_token`) and the decoded pairs of
//! everything else.

/// The first value of `key` in a query string, borrowed when nothing needs decoding (the usual
/// `access_token=…`), without splitting the rest.
pub(crate) fn query_param<'a>(query: &'a str, key: &str) -> Option<std::borrow::Cow<'a, str>> {
    // One pass over the pairs; only a pair whose key or value carries an escape is decoded.
    for part in query.split('&') {
        if part.bytes().any(|b| b == b'%' || b == b'+') {
            let mut decoded = form_urlencoded::parse(part.as_bytes());
            if let Some((k, v)) = decoded.next()
                && k == key
            {
                return Some(std::borrow::Cow::Owned(v.into_owned()));
            }
            continue;
        }
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        if k == key && !part.is_empty() {
            return Some(std::borrow::Cow::Borrowed(v));
        }
    }
    None
}

/// Splits and percent-decodes a query string.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    // The usual `access_token=…` has nothing to decode: split it without the byte-by-byte
    // decoder (which was a tenth of a get's instructions in a profile).
    if !query.bytes().any(|b| b == b'%' || b == b'+') {
        let pair = |part: &str| {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            (key.to_owned(), value.to_owned())
        };
        return query.split('&').filter(|part| !part.is_empty()).map(pair).collect();
    }
    form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// The first value of `key` in a query string.
pub(crate) fn query_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_param_borrows_plain_values_and_decodes_escaped_ones() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("access_token=abc", "access_token", Some("abc")),
            ("a=1&access_token=abc&b=2", "access_token", Some("abc")),
            ("access_token=first&access_token=second", "access_token", Some("first")),
            ("access_token", "access_token", Some("")),
            ("access_token=", "access_token", Some("")),
            ("other=1", "access_token", None),
            ("", "access_token", None),
            ("corpid=ww%31&x=a+b", "corpid", Some("ww1")),
            ("corpid=ww1&x=a+b", "x", Some("a b")),
        ];
        for (query, key, expected) in cases {
            assert_eq!(query_param(query, key).as_deref(), *expected, "{query} / {key}");
        }
    }

    #[test]
    fn plain_queries_split_as_form_urlencoded_does() {
        for query in ["", "access_token=abc-_DEF", "a=1&b=&c&&d=x=y", "=v&k=", "corpid=ww1&corpsecret=s%20x+y"] {
            let expected: Vec<(String, String)> =
                form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            assert_eq!(query_pairs(query), expected, "{query}");
        }
    }
}
