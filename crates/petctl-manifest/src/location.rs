//! The index from a field path to the line and column where that field
//! stands in its source file.

use std::collections::HashMap;
use std::fmt;

pub use petctl_model::field_path::{FieldPath, Segment};

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Where each field of a document stands. For a mapping entry the location
/// is that of its key; for a list item, that of the item.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    by_path: HashMap<FieldPath, Location>,
}

impl Locations {
    pub fn insert(&mut self, path: FieldPath, location: Location) {
        self.by_path.entry(path).or_insert(location);
    }

    pub fn get(&self, path: &FieldPath) -> Option<Location> {
        self.by_path.get(path).copied()
    }

    /// The location of `path`, or of its nearest ancestor that has one.
    pub fn nearest(&self, path: &FieldPath) -> Location {
        let mut current = Some(path.clone());
        while let Some(p) = current {
            if let Some(loc) = self.get(&p) {
                return loc;
            }
            current = p.parent();
        }
        Location::default()
    }

    pub fn len(&self) -> usize {
        self.by_path.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_falls_back_to_ancestors() {
        let mut locs = Locations::default();
        locs.insert(FieldPath::parse("spec"), Location { line: 4, column: 1 });
        assert_eq!(locs.nearest(&FieldPath::parse("spec.replicas")).line, 4);
        assert_eq!(locs.nearest(&FieldPath::parse("kind")), Location::default());
    }
}
