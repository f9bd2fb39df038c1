//! Seeds of randomised tests (fault schedules, orders, gaps): where they
//! come from, and the guard that names the seed in every failure of the
//! test holding it, so any failure can be replayed.

use std::cell::Cell;
use std::sync::Once;

thread_local! {
    /// The seed of the test running on this thread, while its guard lives.
    static CURRENT: Cell<Option<u64>> = const { Cell::new(None) };
}

/// The seed of one randomised test: `PETCTL_TEST_SEED` replays a printed
/// one, otherwise the clock's nanoseconds. While it lives, every panic on
/// its thread (a failed assertion anywhere, in the test or in a helper) is
/// followed by the line `seed N (replay with PETCTL_TEST_SEED=N)`.
pub struct Seed {
    value: u64,
    text: String,
    outer: Option<u64>,
}

impl Seed {
    pub fn new() -> Seed {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                previous(info);
                if let Some(seed) = CURRENT.with(Cell::get) {
                    eprintln!("{}", replay(seed));
                }
            }));
        });
        let value = match std::env::var("PETCTL_TEST_SEED") {
            Ok(text) => text.parse().expect("PETCTL_TEST_SEED is a number"),
            Err(_) => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64),
        };
        Seed {
            value,
            text: value.to_string(),
            outer: CURRENT.with(|current| current.replace(Some(value))),
        }
    }

    pub fn value(&self) -> u64 {
        self.value
    }

    /// The `local up` flags that make the server's fault schedule this seed's.
    pub fn fault_flags(&self) -> [&str; 2] {
        ["--fault-seed", &self.text]
    }
}

impl Drop for Seed {
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(self.outer));
    }
}

impl std::fmt::Display for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&replay(self.value))
    }
}

fn replay(seed: u64) -> String {
    format!("seed {seed} (replay with PETCTL_TEST_SEED={seed})")
}

/// A small seeded generator (splitmix64), for orders, gaps and fault
/// schedules that its seed replays; it holds the [`Seed`] guard, so a
/// failure of the test using it names the seed.
pub struct Rng {
    pub seed: Seed,
    state: u64,
}

impl Rng {
    pub fn seeded() -> Rng {
        let seed = Seed::new();
        Rng {
            state: seed.value(),
            seed,
        }
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }

    /// A duration in [0, `max`), to the millisecond.
    pub fn millis_below(&mut self, max: u64) -> std::time::Duration {
        std::time::Duration::from_millis(self.below(max))
    }
}
