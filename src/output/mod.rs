//! Output: kubectl-style tables, ages, and the yaml/json/name/jsonpath
//! printers. Depends on data only, never on the client.

pub mod age;
pub mod columns;
pub mod describe;
// Pod facts live in petctl-model; re-exported for ops/wait.rs, which still
// reaches them through here.
pub use crate::pod;
pub mod printer;
pub mod table;
