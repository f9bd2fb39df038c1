//! API types. Core and apps/v1 types come from k8s-openapi; the PetSet
//! (apps/v1alpha1) types, which no maintained crate carries, are written here.

pub mod petset;

pub use petset::{PetSet, PetSetSpec, PetSetStatus};
