//! Building a `serde_json::Value` from any serde deserializer (YAML or JSON)
//! while refusing what Kubernetes objects cannot hold: duplicate keys,
//! non-string keys, YAML tags, non-finite numbers, and alias expansion that
//! blows a document up far beyond the size of its file.

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// What one file may expand to, shared by all its documents. Every value
/// costs 1 and every string its length in bytes; without aliases a document
/// never costs more than its source text, so twice the file size (plus slack
/// for tiny files) stops "billion laughs" long before memory suffers.
pub(crate) fn expansion_budget(text_len: usize) -> usize {
    text_len.saturating_mul(2).saturating_add(1024)
}

/// State shared by every node of one file: the remaining budget, and the
/// first problem found, in petctl's own words (the deserializer supplies the
/// location).
pub(crate) struct Builder {
    remaining: Cell<usize>,
    problem: RefCell<Option<Problem>>,
}

/// Why a node was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The message, located at the node the deserializer was reading.
    AtNode(String),
    /// Aliases expanded the document too far; no single node is to blame.
    TooLarge,
}

impl Builder {
    pub(crate) fn new(budget: usize) -> Self {
        Builder {
            remaining: Cell::new(budget),
            problem: RefCell::new(None),
        }
    }

    /// The problem that stopped the last document, if petctl refused it
    /// (as opposed to the parser).
    pub(crate) fn take_problem(&self) -> Option<Problem> {
        self.problem.borrow_mut().take()
    }

    pub(crate) fn seed(&self) -> ValueSeed<'_> {
        ValueSeed { builder: self }
    }

    fn refuse<E: de::Error>(&self, problem: Problem) -> E {
        let text = match &problem {
            Problem::AtNode(message) => message.clone(),
            Problem::TooLarge => "document too large".to_string(),
        };
        *self.problem.borrow_mut() = Some(problem);
        E::custom(text)
    }

    fn charge<E: de::Error>(&self, cost: usize) -> Result<(), E> {
        match self.remaining.get().checked_sub(cost.saturating_add(1)) {
            Some(left) => {
                self.remaining.set(left);
                Ok(())
            }
            None => Err(self.refuse(Problem::TooLarge)),
        }
    }
}

/// Deserializes one value of any shape.
#[derive(Clone, Copy)]
pub(crate) struct ValueSeed<'b> {
    builder: &'b Builder,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML or JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.builder.charge(0)?;
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.builder.charge(0)?;
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.builder.charge(0)?;
        Ok(Value::Number(v.into()))
    }

    // Integers beyond 64 bits become floats, as they do in Go's JSON.
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        self.visit_f64(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.builder.charge(0)?;
        match Number::from_f64(v) {
            Some(n) => Ok(Value::Number(n)),
            None => Err(self.builder.refuse(Problem::AtNode(format!(
                "{v} is not a number JSON can hold; quote it to make it a string"
            )))),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.builder.charge(v.len())?;
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.builder.charge(v.len())?;
        Ok(Value::String(v))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Value, E> {
        Err(self
            .builder
            .refuse(Problem::AtNode("binary values are not supported".into())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.builder.charge(0)?;
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.builder.charge(0)?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        self.builder.charge(0)?;
        let mut map = Map::new();
        loop {
            let seed = KeySeed {
                builder: self.builder,
                taken: &map,
            };
            let Some(key) = access.next_key_seed(seed)? else {
                break;
            };
            let value = access.next_value_seed(self)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }

    // serde_yaml_ng hands a value with a custom tag (`!foo bar`) over as an enum.
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<Value, A::Error> {
        Err(self.builder.refuse(Problem::AtNode(
            "YAML tags such as !foo are not supported in Kubernetes manifests".into(),
        )))
    }
}

/// Deserializes a mapping key: a string not already set in the mapping.
struct KeySeed<'b, 'm> {
    builder: &'b Builder,
    taken: &'m Map<String, Value>,
}

impl KeySeed<'_, '_> {
    fn not_a_string<E: de::Error>(&self, what: &str, text: &str) -> E {
        self.builder.refuse(Problem::AtNode(format!(
            "mapping key {text} is {what}, not a string; quote it (\"{text}\") if a string is meant"
        )))
    }

    fn not_scalar<E: de::Error>(&self, what: &str) -> E {
        self.builder.refuse(Problem::AtNode(format!(
            "mapping key is {what}; keys must be strings"
        )))
    }
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        self.visit_string(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        if self.taken.contains_key(&v) {
            return Err(self.builder.refuse(Problem::AtNode(format!(
                "duplicate key {v:?}: it is already set in this mapping"
            ))));
        }
        self.builder.charge(v.len())?;
        Ok(v)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Err(self.not_a_string("a boolean", &v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Err(self.not_a_string("a number", &v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Err(self.not_a_string("a number", &v.to_string()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<String, E> {
        Err(self.not_a_string("a number", &v.to_string()))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<String, E> {
        Err(self.not_a_string("a number", &v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Err(self.not_a_string("a number", &v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Err(self.not_scalar("empty (null)"))
    }

    fn visit_none<E: de::Error>(self) -> Result<String, E> {
        self.visit_unit()
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<String, E> {
        Err(self.not_scalar("binary"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(self.not_scalar("a list"))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(self.not_scalar("a mapping"))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(self.not_scalar("tagged"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_yaml(text: &str) -> Result<Value, (String, Option<Problem>)> {
        let builder = Builder::new(expansion_budget(text.len()));
        let de = serde_yaml_ng::Deserializer::from_str(text);
        builder
            .seed()
            .deserialize(de)
            .map_err(|e| (e.to_string(), builder.take_problem()))
    }

    fn problem(text: &str) -> String {
        match from_yaml(text) {
            Err((_, Some(Problem::AtNode(m)))) => m,
            other => panic!("expected a problem for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn scalars_keep_their_yaml_1_2_types() {
        let v = from_yaml(
            "a: 1\nb: \"1\"\nc: 'true'\nd: true\ne: yes\nf: 012\ng: 1.5\nh: ~\ni: 0x1F\n",
        )
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": 1, "b": "1", "c": "true", "d": true, "e": "yes",
                "f": "012", "g": 1.5, "h": null, "i": 31})
        );
    }

    #[test]
    fn refusals_name_the_problem() {
        let cases = [
            ("a: 1\na: 2\n", "duplicate key \"a\": it is already set in this mapping"),
            ("1: x\n", "mapping key 1 is a number, not a string; quote it (\"1\") if a string is meant"),
            ("true: x\n", "mapping key true is a boolean, not a string; quote it (\"true\") if a string is meant"),
            ("? [a]\n: x\n", "mapping key is a list; keys must be strings"),
            ("~: x\n", "mapping key is empty (null); keys must be strings"),
            ("a: !foo bar\n", "YAML tags such as !foo are not supported in Kubernetes manifests"),
            ("a: .inf\n", "inf is not a number JSON can hold; quote it to make it a string"),
        ];
        for (text, want) in cases {
            assert_eq!(problem(text), want, "for {text:?}");
        }
    }

    #[test]
    fn duplicate_key_is_located_at_the_second_key() {
        let err = from_yaml("a: 1\nb:\n  c: 1\n  c: 2\n").unwrap_err();
        assert!(err.0.ends_with("at line 4 column 3"), "{}", err.0);
    }

    #[test]
    fn alias_expansion_is_bounded_by_the_file_size() {
        let text = format!(
            "a: &a [{}]\nb: [{}]\n",
            vec!["1"; 1000].join(","),
            vec!["*a"; 1000].join(",")
        );
        assert_eq!(from_yaml(&text).unwrap_err().1, Some(Problem::TooLarge));
        // A few aliases of a small anchor are fine.
        let v = from_yaml("a: &a [1, 2]\nb: *a\nc: *a\n").unwrap();
        assert_eq!(v["c"], serde_json::json!([1, 2]));
    }
}
