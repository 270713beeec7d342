//! Query strings: the one-pass lookup of the hot path (`access_token`) and the decoded pairs of
//! everything else.

/// The first value of `key` in a query string, borrowed when nothing needs decoding (the usual
/// `access_token=…`), without splitting the rest.
///
/// `key` itself must need no decoding. A pair whose key carries an escape (`%`, `+`) is decoded
/// before it is compared, so `access%5Ftoken=…` is found too, as `form_urlencoded` would.
pub(crate) fn query_param<'a>(query: &'a str, key: &str) -> Option<std::borrow::Cow<'a, str>> {
    // One byte search (SIMD) per pair finds both its end and whether it carries an escape:
    // this runs on every call, over a 64-character token (a char iterator was 1 100
    // instructions a call, three searches per pair 300).
    let mut rest = query;
    loop {
        let bytes = rest.as_bytes();
        let mut end = bytes.len();
        let mut escaped = false;
        for at in memchr::memchr3_iter(b'&', b'%', b'+', bytes) {
            if bytes[at] == b'&' {
                end = at;
                break;
            }
            escaped = true;
        }
        let part = &rest[..end];
        // `key` has no `=` (nor escapes): the pair is `key=…`, or `key` alone.
        let value = if part == key { Some("") } else { part.strip_prefix(key).and_then(|r| r.strip_prefix('=')) };
        match value {
            Some(value) if !escaped => return Some(std::borrow::Cow::Borrowed(value)),
            Some(_) => {
                let mut decoded = form_urlencoded::parse(part.as_bytes());
                return decoded.next().map(|(_, v)| std::borrow::Cow::Owned(v.into_owned()));
            }
            // Another key, unless its escapes decode to this one.
            None if escaped => {
                let mut decoded = form_urlencoded::parse(part.as_bytes());
                if let Some((k, v)) = decoded.next()
                    && k == key
                {
                    return Some(std::borrow::Cow::Owned(v.into_owned()));
                }
            }
            None => {}
        }
        if end == rest.len() {
            return None;
        }
        rest = &rest[end + 1..];
    }
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
            ("access%5Ftoken=abc", "access_token", Some("abc")),
            ("access_token=a%2Bb&access_token=c", "access_token", Some("a+b")),
            ("x=%41&&access_token=t=u", "access_token", Some("t=u")),
            ("access_token+=x&access_token=y", "access_token", Some("y")),
            ("access_tokenx=1&access_token=2", "access_token", Some("2")),
            ("access_to=1&access_token", "access_token", Some("")),
            ("%61ccess_token=z&access_token=y", "access_token", Some("z")),
            ("a=%41&access_token=b+c", "access_token", Some("b c")),
            ("access_token=a&", "access_token", Some("a")),
            ("&access_token=a", "access_token", Some("a")),
        ];
        for (query, key, expected) in cases {
            assert_eq!(query_param(query, key).as_deref(), *expected, "{query} / {key}");
            // The same as the first decoded pair with that key.
            let reference = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == key).map(|(_, v)| v);
            assert_eq!(query_param(query, key).as_deref(), reference.as_deref(), "{query} / {key} as form_urlencoded");
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
