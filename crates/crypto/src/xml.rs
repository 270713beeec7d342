//! Just enough XML for callbacks: WeCom's envelopes and events are flat elements whose text is
//! CDATA or plain text, so a full parser would be dead weight here.

/// Wraps text in CDATA; a `]]>` inside is split across two sections so it cannot end it early.
pub fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

/// The body WeCom posts to a callback URL:
/// `<xml><ToUserName/><Encrypt/><AgentID/></xml>`.
pub fn envelope(to_user_name: &str, encrypt: &str, agent_id: u32) -> String {
    format!(
        "<xml><ToUserName>{}</ToUserName><Encrypt>{}</Encrypt><AgentID>{}</AgentID></xml>",
        cdata(to_user_name),
        cdata(encrypt),
        cdata(&agent_id.to_string()),
    )
}

/// The raw content of every `<tag>…</tag>` in `xml`, in order (nested elements left as they are).
fn xml_texts_raw<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    out
}

/// The raw content of the first `<tag>…</tag>`: for elements that hold others, such as
/// `MemChangeList`.
pub fn xml_inner<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    xml_texts_raw(xml, tag).into_iter().next()
}

/// The text of the first `<tag>…</tag>`, CDATA unwrapped and entities decoded.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    xml_inner(xml, tag).map(decode_text)
}

/// The texts of every `<tag>…</tag>`, e.g. the `Item`s of a `MemChangeList`.
pub fn xml_texts(xml: &str, tag: &str) -> Vec<String> {
    xml_texts_raw(xml, tag).into_iter().map(decode_text).collect()
}

fn decode_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw.trim();
    while !rest.is_empty() {
        if let Some(body) = rest.strip_prefix("<![CDATA[") {
            let end = body.find("]]>").unwrap_or(body.len());
            out.push_str(&body[..end]);
            rest = body.get(end + 3..).unwrap_or_default();
        } else if rest.starts_with('&')
            && let Some(end) = rest.find(';')
            && let Some(decoded) = entity(&rest[1..end])
        {
            out.push(decoded);
            rest = &rest[end + 1..];
        } else {
            let next = rest.find(['<', '&']).filter(|i| *i > 0).unwrap_or_else(|| {
                // One character (the `<` or `&` that is not markup), then go on.
                rest.chars().next().map_or(rest.len(), char::len_utf8)
            });
            out.push_str(&rest[..next]);
            rest = &rest[next..];
        }
    }
    out
}

fn entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let code = match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => name.strip_prefix('#')?.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(xml: &str, tag: &str, expected: Option<&str>) {
        assert_eq!(xml_text(xml, tag).as_deref(), expected, "{xml}");
    }

    #[test]
    fn texts_are_read_from_cdata_plain_text_and_entities() {
        check("<xml><A><![CDATA[x<y]]></A></xml>", "A", Some("x<y"));
        check("<xml><A>1 &lt; 2 &amp;&#x4e2d;&#25991;</A></xml>", "A", Some("1 < 2 &中文"));
        check("<xml><A>\n  <![CDATA[spaced]]>\n</A></xml>", "A", Some("spaced"));
        check("<xml><A></A></xml>", "A", Some(""));
        check("<xml><A>unterminated", "A", None);
        check("<xml><B>b</B></xml>", "A", None);
        check("<xml><A>& alone</A></xml>", "A", Some("& alone"));
        check("<xml><A><![CDATA[no end</A></xml>", "A", Some("no end"));
    }

    #[test]
    fn cdata_survives_its_own_terminator() {
        for text in ["plain", "a]]>b", "]]>", "]]]]>", ""] {
            let xml = format!("<xml><S>{}</S></xml>", cdata(text));
            check(&xml, "S", Some(text));
        }
    }

    #[test]
    fn repeated_elements_are_all_read() {
        let xml = "<xml><L><Item>a</Item><Item><![CDATA[b]]></Item></L></xml>";
        let inner = xml_inner(xml, "L").unwrap_or_default();
        assert_eq!(xml_texts(inner, "Item"), ["a", "b"]);
    }
}
