//! The XML of callbacks: WeCom's envelope (`<xml><ToUserName/><Encrypt/><AgentID/></xml>`) and
//! the events inside it. Read with `quick-xml`, so CDATA, entities, character references,
//! self-closing and attribute-bearing tags and nested elements are what XML says they are: a
//! `</State>` inside CDATA is text, not the end of the element.
//!
//! Written as CDATA sections, the way WeCom writes its events: `]]>` is split across two
//! sections and a carriage return travels as `&#13;` (a parser turns a literal CR into LF), so
//! any text reads back exactly, with this module or any XML parser.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesCData, Event};

use crate::Error;

/// A carriage return as a character reference: XML parsers normalise a literal CR (and CR LF)
/// to LF, a reference survives.
const CR_REFERENCE: &str = "&#13;";

/// Text as element content: CDATA sections, a `]]>` inside split across two so it cannot end
/// one early, a carriage return as `&#13;` between them.
pub fn cdata(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 12);
    for (i, line) in text.split('\r').enumerate() {
        if i > 0 {
            out.push_str(CR_REFERENCE);
        }
        if line.is_empty() && !text.is_empty() {
            continue;
        }
        for section in BytesCData::escaped(line) {
            out.push_str("<![CDATA[");
            out.push_str(&section);
            out.push_str("]]>");
        }
    }
    out
}

/// `<name>text</name>` with the text as [`cdata`]: one field of an event. `name` is a tag name
/// the caller chose (WeCom's field names), not user input.
pub fn element(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", cdata(text))
}

/// The body WeCom posts to a callback URL:
/// `<xml><ToUserName/><Encrypt/><AgentID/></xml>`.
pub fn envelope(to_user_name: &str, encrypt: &str, agent_id: u32) -> String {
    format!(
        "<xml>{}{}{}</xml>",
        element("ToUserName", to_user_name),
        element("Encrypt", encrypt),
        element("AgentID", &agent_id.to_string()),
    )
}

/// The text of the first `<tag>` element (at any depth), CDATA unwrapped, entities and character
/// references decoded, whitespace around plain text trimmed; text of nested elements is not
/// included. `<tag/>` is `Some("")`. `None` when there is no such element or the XML is
/// malformed before its end: [`try_xml_text`] tells the two apart.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    try_xml_text(xml, tag).ok().flatten()
}

/// [`xml_text`], with malformed XML as [`Error::MalformedXml`] instead of `None`.
pub fn try_xml_text(xml: &str, tag: &str) -> Result<Option<String>, Error> {
    Ok(Elements::new(xml, tag).next().transpose()?.map(|found| found.text))
}

/// The texts of every `<tag>` element, in document order, e.g. the `Item`s of a
/// `MemChangeList`. Empty when the XML is malformed anywhere.
pub fn xml_texts(xml: &str, tag: &str) -> Vec<String> {
    Elements::new(xml, tag).map(|found| found.map(|f| f.text)).collect::<Result<_, _>>().unwrap_or_default()
}

/// The raw content of the first `<tag>` element, markup included: for elements that hold
/// others, such as `MemChangeList`. `<tag/>` is `Some("")`; `None` when absent or malformed.
pub fn xml_inner<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    Elements::new(xml, tag).next()?.ok().map(|found| found.inner)
}

/// One element found: its raw content and its text.
struct Found<'a> {
    inner: &'a str,
    text: String,
}

/// A piece of an element's own text, before whitespace at its ends is trimmed.
enum Piece<'a> {
    /// Character data outside CDATA: its ends are trimmed where they are the element's ends.
    Plain(std::borrow::Cow<'a, str>),
    /// CDATA or a reference: kept as it is.
    Exact(std::borrow::Cow<'a, str>),
}

/// The `<tag>` elements of a document, in order; an element inside a found one is not looked
/// at again.
struct Elements<'a, 't> {
    xml: &'a str,
    tag: &'t str,
    reader: Reader<&'a [u8]>,
    done: bool,
}

impl<'a, 't> Elements<'a, 't> {
    fn new(xml: &'a str, tag: &'t str) -> Self {
        Elements { xml, tag, reader: Reader::from_str(xml), done: false }
    }

    /// An error of the XML reader, at the position it reports.
    fn malformed(&self, error: quick_xml::Error) -> Error {
        Error::MalformedXml { position: self.reader.error_position(), reason: error.to_string() }
    }

    /// An error found here (an unknown entity, an unclosed element), where reading stopped.
    fn malformed_here(&self, reason: std::fmt::Arguments<'_>) -> Error {
        Error::MalformedXml { position: self.reader.buffer_position(), reason: reason.to_string() }
    }

    /// Reads to the next `<tag>`; `None` at the end of the document.
    fn find(&mut self) -> Result<Option<Found<'a>>, Error> {
        loop {
            match self.reader.read_event() {
                Ok(Event::Start(start)) if start.name().as_ref() == self.tag => return self.content().map(Some),
                Ok(Event::Empty(start)) if start.name().as_ref() == self.tag => {
                    return Ok(Some(Found { inner: "", text: String::new() }));
                }
                Ok(Event::Eof) => return Ok(None),
                Ok(_) => {}
                Err(e) => return Err(self.malformed(e)),
            }
        }
    }

    /// Reads the content of an element whose start tag was just read, through its end tag.
    fn content(&mut self) -> Result<Found<'a>, Error> {
        let start = self.offset();
        let mut pieces = Vec::new();
        let mut depth = 0usize;
        loop {
            let before = self.offset();
            let event = self.reader.read_event().map_err(|e| self.malformed(e))?;
            match event {
                Event::Start(_) => depth += 1,
                Event::End(_) if depth > 0 => depth -= 1,
                Event::End(_) => {
                    let inner = self.xml.get(start..before).unwrap_or_default();
                    return Ok(Found { inner, text: join(pieces) });
                }
                Event::Text(text) if depth == 0 => pieces.push(Piece::Plain(text.xml10_content())),
                Event::CData(data) if depth == 0 => pieces.push(Piece::Exact(data.xml10_content())),
                Event::GeneralRef(reference) if depth == 0 => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(ch)) => ch.to_string().into(),
                        Ok(None) => match resolve_predefined_entity(&reference) {
                            Some(text) => text.into(),
                            None => return Err(self.malformed_here(format_args!("unknown entity &{};", &*reference))),
                        },
                        Err(e) => return Err(self.malformed(e)),
                    };
                    pieces.push(Piece::Exact(resolved));
                }
                Event::Eof => return Err(self.malformed_here(format_args!("<{}> is not closed", self.tag))),
                _ => {}
            }
        }
    }

    fn offset(&self) -> usize {
        usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX)
    }
}

impl<'a> Iterator for Elements<'a, '_> {
    type Item = Result<Found<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let found = self.find().transpose();
        self.done = !matches!(found, Some(Ok(_)));
        found
    }
}

/// An element's text: whitespace is trimmed where plain text begins or ends the element (the
/// indentation of a pretty-printed document), never inside CDATA.
fn join(mut pieces: Vec<Piece<'_>>) -> String {
    if let Some(Piece::Plain(first)) = pieces.first_mut() {
        *first = first.trim_start().to_owned().into();
    }
    if let Some(Piece::Plain(last)) = pieces.last_mut() {
        *last = last.trim_end().to_owned().into();
    }
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Plain(text) | Piece::Exact(text) => text.as_ref(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(xml: &str, tag: &str, expected: Option<&str>) {
        assert_eq!(xml_text(xml, tag).as_deref(), expected, "{xml}");
    }

    #[test]
    fn a_closing_tag_inside_cdata_is_text() {
        check("<State><![CDATA[a</State>b]]></State>", "State", Some("a</State>b"));
        check("<xml><State><![CDATA[a</State>b]]></State><Next>n</Next></xml>", "Next", Some("n"));
    }

    #[test]
    fn a_self_closing_tag_is_the_empty_string() {
        check("<xml><State/></xml>", "State", Some(""));
        check("<xml><State /><Other>o</Other></xml>", "State", Some(""));
        check("<xml><State a=\"1\"/></xml>", "State", Some(""));
        assert_eq!(xml_inner("<xml><L/></xml>", "L"), Some(""));
    }

    #[test]
    fn a_tag_with_attributes_is_found_by_its_name() {
        check("<xml><State lang=\"zh\"><![CDATA[spring]]></State></xml>", "State", Some("spring"));
        check("<xml><State a='1' b=\"&lt;\">x</State></xml>", "State", Some("x"));
    }

    #[test]
    fn a_longer_name_sharing_the_prefix_is_another_element() {
        check("<xml><StateCode>9</StateCode><State>s</State></xml>", "State", Some("s"));
        check("<xml><StateCode>9</StateCode></xml>", "State", None);
    }

    #[test]
    fn texts_are_read_from_cdata_plain_text_and_references() {
        check("<xml><A><![CDATA[x<y]]></A></xml>", "A", Some("x<y"));
        check("<xml><A>1 &lt; 2 &amp;&#x4e2d;&#25991;</A></xml>", "A", Some("1 < 2 &中文"));
        check("<xml><A>&quot;&apos;&gt;</A></xml>", "A", Some("\"'>"));
        check("<xml><A>\n  <![CDATA[spaced]]>\n</A></xml>", "A", Some("spaced"));
        check("<xml><A><![CDATA[  kept  ]]></A></xml>", "A", Some("  kept  "));
        check("<xml><A>a <![CDATA[b]]> c</A></xml>", "A", Some("a b c"));
        check("<xml><A></A></xml>", "A", Some(""));
        check("<xml><B>b</B></xml>", "A", None);
    }

    #[test]
    fn nested_elements_are_skipped_in_the_text_and_kept_in_the_inner_markup() {
        let xml = "<xml><L>head<Item>a</Item><Item><![CDATA[</L>]]></Item>tail</L></xml>";
        check(xml, "L", Some("headtail"));
        assert_eq!(xml_inner(xml, "L"), Some("head<Item>a</Item><Item><![CDATA[</L>]]></Item>tail"));
        assert_eq!(xml_texts(xml, "Item"), ["a", "</L>"]);
        // An element of the same name inside the found one ends with its own closing tag.
        check("<xml><A>out<A>in</A>er</A></xml>", "A", Some("outer"));
    }

    #[test]
    fn malformed_xml_is_an_error_not_a_guess() {
        for xml in [
            "<xml><A>unterminated",
            "<xml><A><![CDATA[no end</A></xml>",
            "<xml><A>& alone</A></xml>",
            "<xml><A>&nbsp;</A></xml>",
            "<xml><A>x</B></xml>",
        ] {
            check(xml, "A", None);
            assert!(matches!(try_xml_text(xml, "A"), Err(Error::MalformedXml { .. })), "{xml}");
        }
        assert_eq!(try_xml_text("<xml><B>b</B></xml>", "A"), Ok(None));
        assert!(xml_texts("<xml><A>a</A><A>b</B></xml>", "A").is_empty());
    }

    #[test]
    fn cdata_survives_its_own_terminator_and_carriage_returns() {
        for text in ["plain", "a]]>b", "]]>", "]]]]>", "", "a\rb", "\r\n", "\r", "x\r"] {
            let xml = format!("<xml>{}</xml>", element("S", text));
            check(&xml, "S", Some(text));
        }
        assert_eq!(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
        assert_eq!(cdata("a\r\nb"), "<![CDATA[a]]>&#13;<![CDATA[\nb]]>");
    }

    #[test]
    fn repeated_elements_are_all_read() {
        let xml = "<xml><L><Item>a</Item><Item><![CDATA[b]]></Item></L></xml>";
        let inner = xml_inner(xml, "L").unwrap_or_default();
        assert_eq!(xml_texts(inner, "Item"), ["a", "b"]);
    }
}
