//! A small, bounded XML element tree on top of quick-xml.
//!
//! EVE-NG files are small DOM-written documents, so a tree is the simplest way to
//! read them. The builder refuses what a hostile file could use against the importer:
//! inputs over a size cap, nesting deeper than a depth cap, more elements than an
//! element cap, any DOCTYPE (so no entity can be declared, let alone expanded), and
//! references to entities other than XML's five predefined ones.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

/// Limits for [`parse`].
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// maximum input size in bytes
    pub max_bytes: usize,
    /// maximum element nesting
    pub max_depth: usize,
    /// maximum number of elements
    pub max_elements: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 64 << 20,
            max_depth: 32,
            max_elements: 200_000,
        }
    }
}

/// One element: name, attributes in document order, children, concatenated text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// tag name
    pub name: String,
    /// attributes
    pub attrs: Vec<(String, String)>,
    /// child elements
    pub children: Vec<Element>,
    /// text and CDATA content directly inside this element
    pub text: String,
}

impl Element {
    /// Attribute value.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Child elements with this name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// First child with this name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// Why a document was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XmlError {
    /// Larger than the size cap.
    #[error("file is {0} bytes, over the {1}-byte limit")]
    TooLarge(usize, usize),
    /// Nested deeper than the depth cap.
    #[error("elements nested deeper than {0}")]
    TooDeep(usize),
    /// More elements than the element cap.
    #[error("more than {0} elements")]
    TooManyElements(usize),
    /// A DOCTYPE was present.
    #[error("DOCTYPE declarations are refused (no entity expansion)")]
    DocType,
    /// A reference to an entity that is not predefined.
    #[error("reference to undefined entity &{0};")]
    UndefinedEntity(String),
    /// Syntax error.
    #[error("malformed XML at byte {pos}: {msg}")]
    Syntax {
        /// byte offset
        pos: u64,
        /// parser message
        msg: String,
    },
    /// No root element.
    #[error("no root element")]
    Empty,
}

fn element_from(start: &BytesStart<'_>) -> Result<Element, XmlError> {
    let name = start.name().as_ref().to_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| XmlError::Syntax {
            pos: 0,
            msg: e.to_string(),
        })?;
        let key = attr.key.as_ref().to_owned();
        let value =
            attr.normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| match e {
                    quick_xml::Error::Escape(
                        quick_xml::escape::EscapeError::UnrecognizedEntity(_, n),
                    ) => XmlError::UndefinedEntity(n),
                    e => XmlError::Syntax {
                        pos: 0,
                        msg: e.to_string(),
                    },
                })?;
        attrs.push((key, value.into_owned()));
    }
    Ok(Element {
        name,
        attrs,
        ..Default::default()
    })
}

/// Parses `input` into its root element under `limits`.
pub fn parse(input: &str, limits: Limits) -> Result<Element, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge(input.len(), limits.max_bytes));
    }
    let mut reader = quick_xml::Reader::from_str(input);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| XmlError::Syntax {
            pos: reader.error_position(),
            msg: e.to_string(),
        })?;
        match event {
            Event::Start(s) | Event::Empty(s) if root.is_some() && stack.is_empty() => {
                let _ = s;
                return Err(XmlError::Syntax {
                    pos: reader.buffer_position(),
                    msg: "second root element".into(),
                });
            }
            Event::Start(s) => {
                count += 1;
                if count > limits.max_elements {
                    return Err(XmlError::TooManyElements(limits.max_elements));
                }
                if stack.len() >= limits.max_depth {
                    return Err(XmlError::TooDeep(limits.max_depth));
                }
                stack.push(element_from(&s)?);
            }
            Event::Empty(s) => {
                count += 1;
                if count > limits.max_elements {
                    return Err(XmlError::TooManyElements(limits.max_elements));
                }
                if stack.len() >= limits.max_depth {
                    return Err(XmlError::TooDeep(limits.max_depth));
                }
                attach(&mut stack, &mut root, element_from(&s)?);
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err(XmlError::Syntax {
                        pos: reader.buffer_position(),
                        msg: "unbalanced end tag".into(),
                    });
                };
                attach(&mut stack, &mut root, done);
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml_content(XmlVersion::Implicit1_0));
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&c.xml_content(XmlVersion::Implicit1_0));
                }
            }
            Event::GeneralRef(r) => {
                let ch = resolve_ref(&r)?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&ch);
                }
            }
            Event::DocType(_) => return Err(XmlError::DocType),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Syntax {
            pos: reader.buffer_position(),
            msg: "unclosed element at end of file".into(),
        });
    }
    root.ok_or(XmlError::Empty)
}

fn resolve_ref(r: &quick_xml::events::BytesRef<'_>) -> Result<String, XmlError> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Ok(c.to_string());
    }
    let name: &str = r;
    quick_xml::escape::resolve_predefined_entity(name)
        .map(str::to_owned)
        .ok_or_else(|| XmlError::UndefinedEntity(name.to_owned()))
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_attrs_text_and_refs() {
        let el = parse(
            r#"<?xml version="1.0"?><lab name="a &amp; b"><d>x &lt; y &#65;</d><n id="1"/></lab>"#,
            Limits::default(),
        )
        .unwrap();
        assert_eq!(el.attr("name"), Some("a & b"));
        assert_eq!(el.child("d").unwrap().text, "x < y A");
        assert_eq!(el.child("n").unwrap().attr("id"), Some("1"));
    }

    #[test]
    fn refuses_hostile_documents() {
        let l = Limits {
            max_bytes: 1000,
            max_depth: 4,
            max_elements: 10,
        };
        assert!(matches!(
            parse(&"<a>".repeat(5), l),
            Err(XmlError::TooDeep(4))
        ));
        assert!(matches!(
            parse(&format!("<a>{}</a>", "<b/>".repeat(20)), l),
            Err(XmlError::TooManyElements(10))
        ));
        assert!(matches!(
            parse(&"x".repeat(2000), l),
            Err(XmlError::TooLarge(..))
        ));
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lab [<!ENTITY a "aaaa">]><lab>&a;</lab>"#;
        assert_eq!(parse(bomb, l), Err(XmlError::DocType));
        assert_eq!(
            parse("<lab>&a;</lab>", l),
            Err(XmlError::UndefinedEntity("a".into()))
        );
        assert!(parse("<lab><x></lab>", l).is_err());
        assert!(parse("<lab>", l).is_err());
        assert!(parse("", l).is_err());
    }
}
