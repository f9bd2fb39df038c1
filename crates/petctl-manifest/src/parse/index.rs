//! The location index: walks yaml-rust2's events (with their marks) to map
//! every field path of every document to its line and column, and guards
//! the parsers against nesting that is too deep to be a manifest.
//!
//! Events are pulled one at a time and nesting is tracked on an explicit
//! stack, so no input can exhaust the call stack here.

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

use crate::location::{FieldPath, Location, Locations};

/// The deepest nesting of mappings and lists accepted; the same limit
/// serde_yaml_ng and serde_json apply.
pub(crate) const MAX_DEPTH: usize = 128;

/// Where a parsed slice starts in its file, so marks inside the slice can be
/// turned into positions in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Origin {
    pub line: usize,
    pub column: usize,
}

impl Origin {
    pub(crate) const START: Origin = Origin { line: 1, column: 1 };

    /// The position of byte `offset` of `text`.
    pub(crate) fn of_offset(text: &str, offset: usize) -> Origin {
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Origin { line, column }
    }

    /// yaml-rust2 marks have 1-based lines and 0-based columns.
    fn locate(self, mark: Marker) -> Location {
        if mark.line() <= 1 {
            Location {
                line: self.line,
                column: self.column + mark.col(),
            }
        } else {
            Location {
                line: self.line + mark.line() - 1,
                column: mark.col() + 1,
            }
        }
    }
}

/// Where nesting first goes deeper than [`MAX_DEPTH`], if it does.
///
/// libyaml (behind serde_yaml_ng) reads a whole document before its depth
/// limit applies, and its flow-collection scanning costs time in proportion
/// to the depth for every token, so `[[[[…` must be refused before it gets
/// there. yaml-rust2 stops at once: here at the limit, or at its own.
pub(crate) fn too_deep(text: &str) -> Option<Location> {
    // Only flow collections are costly, and they cannot nest deeper than the
    // number of brackets that open them.
    let openers = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    if openers <= MAX_DEPTH {
        return None;
    }
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => return None,
            Ok((Event::SequenceStart(..) | Event::MappingStart(..), mark)) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(Origin::START.locate(mark));
                }
            }
            Ok((Event::SequenceEnd | Event::MappingEnd, _)) => depth = depth.saturating_sub(1),
            Ok(_) => {}
            Err(err) if err.info().contains("recursion limit") => {
                return Some(Origin::START.locate(*err.marker()))
            }
            // Other syntax errors are left to serde_yaml_ng to report.
            Err(_) => return None,
        }
    }
}

/// The locations of one document of a stream.
#[derive(Debug, Default)]
pub(crate) struct DocumentIndex {
    /// The document is empty or just `null` (serde reads it as null).
    pub is_null: bool,
    pub locations: Locations,
}

/// How many quoted scalars [`index_documents`] re-indents before it gives up.
const MAX_REPAIRS: usize = 32;

/// The locations of every document of `text`, in order. At a syntax error
/// it stops quietly: the documents before it, and the part of the failing
/// one read so far, are still indexed.
pub(crate) fn index_documents(text: &str, origin: Origin) -> Vec<DocumentIndex> {
    let mut repaired: Option<String> = None;
    for _ in 0..MAX_REPAIRS {
        let current = repaired.as_deref().unwrap_or(text);
        let (documents, error) = walk(current, origin);
        let Some(error) = error else {
            return documents;
        };
        // libyaml (and go-yaml) accept quoted scalars whose continuation
        // lines are not indented past their mapping's keys, as in the
        // init-containers annotations of many PetSets; yaml-rust2 does not.
        // Indenting those lines further changes no line and no column
        // outside the scalar.
        let fixed = (error.info() == "invalid indentation in quoted scalar")
            .then(|| indent_quoted_scalar(current, *error.marker()))
            .flatten();
        match fixed {
            Some(fixed) => repaired = Some(fixed),
            None => return documents,
        }
    }
    walk(repaired.as_deref().unwrap_or(text), origin).0
}

/// Walks the events of `text`: the documents, and the error that stopped
/// the walk, if any.
fn walk(text: &str, origin: Origin) -> (Vec<DocumentIndex>, Option<ScanError>) {
    let mut parser = Parser::new_from_str(text);
    let mut walker = Walker::default();
    let mut documents = Vec::new();
    loop {
        let (event, mark) = match parser.next_token() {
            Ok(next) => next,
            Err(error) => {
                if walker.seen_root {
                    documents.push(walker.finish());
                }
                return (documents, Some(error));
            }
        };
        let location = origin.locate(mark);
        match event {
            Event::StreamEnd => return (documents, None),
            Event::DocumentStart => walker = Walker::default(),
            Event::DocumentEnd => documents.push(std::mem::take(&mut walker).finish()),
            other => walker.on_event(other, location),
        }
    }
}

/// `text` with the continuation lines of the quoted scalar that starts at
/// `start` indented further, or None when no such scalar is found there.
fn indent_quoted_scalar(text: &str, start: Marker) -> Option<String> {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(start.line().checked_sub(1)?)
        .map(str::len)
        .sum();
    let line = text.get(line_start..)?;
    let quote_at = line_start + line.char_indices().nth(start.col()).map(|(i, _)| i)?;
    let body = text.get(quote_at..)?;
    let quote = body.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
    let length = closing_quote(body, quote)?;
    let last_line = start.line() + body.get(..length)?.matches('\n').count();
    let pad = " ".repeat(start.col() + 1);
    let mut out = String::with_capacity(text.len() + pad.len() * (last_line - start.line()));
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if (start.line() + 1..=last_line).contains(&(i + 1)) {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    Some(out)
}

/// The byte offset in `body` of the quote that closes the one it starts with.
fn closing_quote(body: &str, quote: char) -> Option<usize> {
    let mut chars = body.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quote == '"' => {
                chars.next();
            }
            '\'' if quote == '\'' => {
                if chars.peek().is_some_and(|&(_, next)| next == '\'') {
                    chars.next();
                } else {
                    return Some(i);
                }
            }
            '"' if quote == '"' => return Some(i),
            _ => {}
        }
    }
    None
}

#[derive(Debug)]
enum Frame {
    Mapping {
        /// None inside a part that has no field path (a complex key).
        path: Option<FieldPath>,
        /// The start mark, until the first key shows where the mapping
        /// really starts (a block mapping's start mark is off by one).
        pending: Option<Location>,
        key: KeyState,
    },
    Sequence {
        path: Option<FieldPath>,
        pending: Option<Location>,
        next: usize,
    },
}

#[derive(Debug)]
enum KeyState {
    Expecting,
    /// The key just read; None when it is not a plain string.
    Read(Option<String>),
}

#[derive(Debug, Default)]
struct Walker {
    stack: Vec<Frame>,
    index: DocumentIndex,
    seen_root: bool,
}

impl Walker {
    fn finish(self) -> DocumentIndex {
        self.index
    }

    fn on_event(&mut self, event: Event, at: Location) {
        match event {
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            Event::Scalar(..)
            | Event::Alias(..)
            | Event::SequenceStart(..)
            | Event::MappingStart(..) => self.on_node(event, at),
            _ => {}
        }
    }

    fn on_node(&mut self, event: Event, at: Location) {
        if !self.seen_root {
            self.seen_root = true;
            self.index.is_null = matches!(&event,
                Event::Scalar(value, TScalarStyle::Plain, _, None)
                    if matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL"));
        }
        let locations = &mut self.index.locations;
        let path = match self.stack.last_mut() {
            None => Some(FieldPath::root()),
            Some(Frame::Mapping { path, pending, key }) => {
                settle(locations, path, pending, at);
                match std::mem::replace(key, KeyState::Expecting) {
                    KeyState::Expecting => {
                        let name = match &event {
                            Event::Scalar(value, ..) => Some(value.clone()),
                            _ => None,
                        };
                        if let (Some(parent), Some(name)) = (path.as_ref(), name.as_ref()) {
                            locations.insert(parent.key(name.clone()), at);
                        }
                        *key = KeyState::Read(name);
                        // A complex key (a mapping or list) has no field path.
                        self.push(&event, None, at);
                        return;
                    }
                    KeyState::Read(name) => path.as_ref().zip(name).map(|(p, k)| p.key(k)),
                }
            }
            Some(Frame::Sequence {
                path,
                pending,
                next,
            }) => {
                settle(locations, path, pending, at);
                let item = path.as_ref().map(|p| p.index(*next));
                *next += 1;
                item
            }
        };
        if let (Some(path), Event::Scalar(..) | Event::Alias(..)) = (&path, &event) {
            locations.insert(path.clone(), at);
        }
        self.push(&event, path, at);
    }

    fn push(&mut self, event: &Event, path: Option<FieldPath>, at: Location) {
        let pending = Some(at);
        match event {
            Event::MappingStart(..) => self.stack.push(Frame::Mapping {
                path,
                pending,
                key: KeyState::Expecting,
            }),
            Event::SequenceStart(..) => self.stack.push(Frame::Sequence {
                path,
                pending,
                next: 0,
            }),
            _ => {}
        }
    }

    fn close(&mut self) {
        if let Some(Frame::Mapping { path, pending, .. } | Frame::Sequence { path, pending, .. }) =
            self.stack.pop()
        {
            if let (Some(path), Some(start)) = (path, pending) {
                self.index.locations.insert(path, start);
            }
        }
    }
}

/// Records where a collection starts once its first child is seen: the
/// earlier of its start mark and that child.
fn settle(
    locations: &mut Locations,
    path: &Option<FieldPath>,
    pending: &mut Option<Location>,
    child: Location,
) {
    if let Some(start) = pending.take() {
        let first = if (child.line, child.column) < (start.line, start.column) {
            child
        } else {
            start
        };
        if let Some(path) = path {
            locations.insert(path.clone(), first);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> Location {
        Location { line, column }
    }

    #[test]
    fn fields_items_and_roots_are_located() {
        let text = "\
# a comment
---
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web, tier: 'front'}
spec:
  ports:
  - port: 80
    name: http
  -   port: 443
---
---
kind: ConfigMap
data: [&x a, *x, b]
";
        let docs = index_documents(text, Origin::START);
        assert_eq!(docs.len(), 3);
        assert!(docs[1].is_null);
        let locs = &docs[0].locations;
        let cases = [
            ("", at(3, 1)),
            ("apiVersion", at(3, 1)),
            ("kind", at(4, 1)),
            ("metadata", at(5, 1)),
            ("metadata.name", at(6, 3)),
            ("metadata.labels", at(7, 3)),
            ("metadata.labels.app", at(7, 12)),
            ("metadata.labels.tier", at(7, 22)),
            ("spec.ports", at(9, 3)),
            ("spec.ports[0]", at(10, 5)),
            ("spec.ports[0].name", at(11, 5)),
            ("spec.ports[1]", at(12, 7)),
            ("spec.ports[1].port", at(12, 7)),
        ];
        for (path, want) in cases {
            assert_eq!(locs.get(&FieldPath::parse(path)), Some(want), "{path}");
        }
        let third = &docs[2].locations;
        assert_eq!(third.get(&FieldPath::parse("data[1]")), Some(at(16, 14)));
        assert_eq!(third.get(&FieldPath::parse("data[2]")), Some(at(16, 18)));
    }

    #[test]
    fn json_slices_are_located_relative_to_their_origin() {
        let text = "{\"a\": 1}\n  {\"kind\": \"x\",\n \"b\": [1]}";
        let origin = Origin::of_offset(text, 11);
        assert_eq!(origin, Origin { line: 2, column: 3 });
        let docs = index_documents(&text[11..], origin);
        let locs = &docs[0].locations;
        assert_eq!(locs.get(&FieldPath::root()), Some(at(2, 3)));
        assert_eq!(locs.get(&FieldPath::parse("kind")), Some(at(2, 4)));
        assert_eq!(locs.get(&FieldPath::parse("b[0]")), Some(at(3, 8)));
    }

    #[test]
    fn odd_documents_are_indexed_as_far_as_they_go() {
        // Quoted scalars indented as libyaml accepts them.
        let quoted = "\
metadata:
  annotations:
    init: '[
        {\"a\": \"it''s\"}
    ]'
    next: \"x
    y\"
    last: 1
";
        let unrepairable = "a: 1\nb: [\n";
        let complex_key = "? [a, b]\n: x\nc: 1\n";
        for (text, path, want) in [
            (quoted, "metadata.annotations.next", at(6, 5)),
            (quoted, "metadata.annotations.last", at(8, 5)),
            // What was read before the error is kept.
            (unrepairable, "b", at(2, 1)),
            // Complex keys are walked without paths.
            (complex_key, "c", at(3, 1)),
        ] {
            let docs = index_documents(text, Origin::START);
            let got = docs[0].locations.get(&FieldPath::parse(path));
            assert_eq!(got, Some(want), "{path} in {text:?}");
        }
    }

    #[test]
    fn deep_flow_nesting_is_caught_early() {
        assert_eq!(too_deep("a: [[1]]\n"), None);
        // The root mapping is the first level.
        let deep = format!("a: {}1{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(too_deep(&deep), Some(at(1, 4 + MAX_DEPTH - 1)));
        let open = "{a: ".repeat(100_000);
        assert!(too_deep(&open).is_some());
        // Many brackets, shallow: fine.
        let wide = format!("a: [{}]\n", vec!["[1]"; 500].join(","));
        assert_eq!(too_deep(&wide), None);
    }
}
