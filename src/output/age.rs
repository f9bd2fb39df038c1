//! Ages the way kubectl prints them (`45s`, `3m20s`, `2h5m`, `3d4h`): the
//! model's one reading of timestamps, shared with the server's Table.

pub use petctl_model::time::age;
