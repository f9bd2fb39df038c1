//! petctl's integration tests: one binary. Tests that need a cluster start
//! their own local control plane on port 0 in a temp dir, with a scrubbed
//! environment, so a developer's real cluster is never touched.

mod support; // the harness: running petctl, temp dirs, fixtures

mod convert_corpus; // PetSets and older StatefulSets convert to valid apps/v1
mod corpus; // every corpus manifest parses and validates as expected
mod docs; // committed completions and man pages match the clap definitions
mod malformed_semantic; // invalid objects and unknown fields: exact messages, exit 2
mod malformed_syntax; // unreadable, unparsable and hostile manifests: exact messages, exit 2
mod migrate; // `petctl migrate` output and notices
