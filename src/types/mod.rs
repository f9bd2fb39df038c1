//! API types. Core and apps/v1 types come from k8s-openapi; the PetSet
//! (apps/v1alpha1) types, which no maintained crate carries, are written here.

pub mod petset;

pub use petset::{PetSet, PetSetSpec, PetSetStatus};

/// kubectl's short names for a volume access mode (`ReadWriteOnce` is
/// `RWO`), as `get pvc` and `get pv` print them.
pub fn access_mode_short(mode: &str) -> &str {
    match mode {
        "ReadWriteOnce" => "RWO",
        "ReadOnlyMany" => "ROX",
        "ReadWriteMany" => "RWX",
        "ReadWriteOncePod" => "RWOP",
        other => other,
    }
}
