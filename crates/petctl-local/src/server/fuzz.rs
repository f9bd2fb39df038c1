//! Property tests of request decoding: arbitrary paths, query strings,
//! content types and bodies never panic and always map to a route or a
//! `Status` error with a 4xx code.

use proptest::prelude::*;

use super::body::{decode_object, patch_type};
use super::query::Params;
use super::route::resolve;

/// Segments the router knows, so that paths reach past the first match.
const KNOWN_SEGMENTS: &str =
    "api apis apps v1 v1alpha1 namespaces default statefulsets pods status scale watch";

fn path_segment() -> impl Strategy<Value = String> {
    let known: Vec<&'static str> = KNOWN_SEGMENTS.split_whitespace().collect();
    // Each known segment as likely as either generated kind.
    let weight = known.len() as u32;
    prop_oneof![
        weight => proptest::sample::select(known).prop_map(String::from),
        1 => "[a-z0-9%.-]{0,12}",
        1 => any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_path_resolves_without_panicking(segments in proptest::collection::vec(path_segment(), 0..8)) {
        let path = format!("/{}", segments.join("/"));
        let _ = resolve(&path);
    }

    #[test]
    fn any_query_parses_into_errors_not_panics(query in any::<String>()) {
        let params = Params::parse(&query);
        for result in [params.write_options().map(|_| ()), params.limit().map(|_| ()), params.timeout().map(|_| ()), params.delete_options(None).map(|_| ())] {
            if let Err(err) = result {
                prop_assert_eq!(err.code, 400);
            }
        }
    }

    #[test]
    fn any_body_decodes_or_is_a_4xx(
        content_type in prop_oneof![
            Just(None),
            Just(Some("application/json".to_string())),
            Just(Some("application/yaml".to_string())),
            any::<String>().prop_map(Some),
        ],
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        if let Err(err) = decode_object(content_type.as_deref(), &body) {
            prop_assert!(err.code == 400 || err.code == 415, "{}", err.code);
            let status = err.to_status();
            prop_assert_eq!(&status["kind"], "Status");
        }
        if let Err(err) = patch_type(content_type.as_deref()) {
            prop_assert_eq!(err.code, 415);
        }
    }
}
