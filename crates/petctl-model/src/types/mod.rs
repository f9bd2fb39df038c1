//! API types. Core and apps/v1 types come from k8s-openapi; the PetSet
//! (apps/v1alpha1) types, which no maintained crate carries, are written here.

pub mod petset;

pub use petset::{PetSet, PetSetSpec, PetSetStatus};

/// The STATUS of a claim or a volume as kube-apiserver's printer shows it
/// (`printPersistentVolumeClaim`, `printPersistentVolume` in
/// `pkg/printers/internalversion/printers.go`): `Terminating` once it has a
/// deletionTimestamp, its phase before.
pub fn volume_status(object: &serde_json::Value) -> &str {
    let deleting = object
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null());
    if deleting {
        return "Terminating";
    }
    object
        .pointer("/status/phase")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
}

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
