//! The `local up` flags for the simulation's speed, in one place: every
//! test picks one of these (and adds its own fault or image flags), so
//! "how fast is a pod Ready, how long does a deleted one linger" has one
//! answer per purpose.

/// Pods Ready after 50 ms, deleted pods gone after at most 100 ms, so
/// transitions are still seen.
pub const FAST_SIM: &[&str] = &["--ready-delay", "50ms", "--max-grace", "100ms"];
/// Added to a simulation for manifests with real-world probes: their timing
/// at 1/20 (a 15 s initial delay and a 10 s period: Ready in about 1.25 s).
pub const FAST_PROBES: &[&str] = &["--probe-scale", "0.05"];
/// Pods Ready and deleted pods gone at once, where no transition is watched.
pub const INSTANT_SIM: &[&str] = &["--ready-delay", "0s", "--max-grace", "0s"];
/// Pods Ready at once; deleted pods keep their grace period.
pub const READY_AT_ONCE: &[&str] = &["--ready-delay", "0s"];
/// Pods Ready at once; a deleted pod stays Terminating for up to 1 s, long
/// enough to be seen holding its claim.
pub const SHORT_GRACE: &[&str] = &["--ready-delay", "0s", "--max-grace", "1s"];
/// Slow enough to watch a rollout's revisions change pet by pet.
pub const OBSERVABLE_SIM: &[&str] = &["--ready-delay", "100ms", "--max-grace", "300ms"];
/// Pods Ready after 1 s, so an operation is still mid-way when it is killed.
pub const SLOW_READY: &[&str] = &["--ready-delay", "1s"];
/// Pods not Ready within any test, unless their `petctl.local/ready-delay`
/// annotation says otherwise.
pub const NEVER_READY: &[&str] = &["--ready-delay", "10m"];
