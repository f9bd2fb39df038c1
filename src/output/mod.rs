//! Output: kubectl-style tables, ages, and the yaml/json/name/jsonpath
//! printers. Depends on data only, never on the client.

pub mod age;
pub mod columns;
pub mod describe;
pub mod pod;
pub mod printer;
pub mod table;
