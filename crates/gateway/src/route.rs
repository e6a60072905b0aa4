//! Choosing deployments: priority tiers in order (later tiers are the fallbacks), inside a tier
//! a weighted random order, or the lowest recent latency, or the lowest cost. A deployment that
//! keeps failing is cooled down for a while and tried last.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::catalogue::{Deployment, Model, Routing};

/// Consecutive retryable failures that cool a deployment down.
const FAILS_TO_COOL: u32 = 2;
const COOLDOWN: Duration = Duration::from_secs(30);

#[derive(Default, Clone, Copy)]
struct State {
    fails: u32,
    cool_until: Option<Instant>,
    /// Recent first-byte latency, ms (exponentially weighted); 0: not measured yet.
    latency_ms: f64,
}

#[derive(Default)]
pub struct Health {
    map: Mutex<HashMap<String, State>>,
}

static SEED: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);

/// A fast, non-cryptographic random number (splitmix64) for weighted choice.
fn random() -> u64 {
    let mut z = SEED.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Seeds the generator from the OS once at start (tests stay reproducible otherwise).
pub fn seed() {
    let mut b = [0u8; 8];
    if getrandom::getrandom(&mut b).is_ok() {
        SEED.store(u64::from_le_bytes(b), Ordering::Relaxed);
    }
}

/// `items` in a weighted random order (a weight of 0 goes last).
fn weighted(mut items: Vec<&Deployment>) -> Vec<&Deployment> {
    let mut out = Vec::with_capacity(items.len());
    while !items.is_empty() {
        let total: u64 = items.iter().map(|d| u64::from(d.weight)).sum();
        let pick = if total == 0 {
            0
        } else {
            let mut r = random() % total;
            items
                .iter()
                .position(|d| {
                    let w = u64::from(d.weight);
                    if r < w {
                        true
                    } else {
                        r -= w;
                        false
                    }
                })
                .unwrap_or(0)
        };
        out.push(items.remove(pick));
    }
    out
}

impl Health {
    fn get(&self) -> std::sync::MutexGuard<'_, HashMap<String, State>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The order to try `model`'s deployments in.
    pub fn order<'m>(&self, model: &'m Model) -> Vec<&'m Deployment> {
        let now = Instant::now();
        let states = self.get();
        let state = |d: &Deployment| states.get(&d.id).copied().unwrap_or_default();
        let mut tiers: Vec<i32> = model.deployments.iter().map(|d| d.priority).collect();
        tiers.sort_unstable();
        tiers.dedup();
        let mut ready = Vec::new();
        let mut cooling = Vec::new();
        for tier in tiers {
            let members: Vec<&Deployment> = model
                .deployments
                .iter()
                .filter(|d| d.priority == tier)
                .collect();
            let mut ordered = match model.routing {
                Routing::Priority => weighted(members),
                Routing::Latency => {
                    let mut m = weighted(members);
                    // Unmeasured ones first, so every deployment gets measured.
                    m.sort_by(|a, b| state(a).latency_ms.total_cmp(&state(b).latency_ms));
                    m
                }
                Routing::Cost => {
                    let mut m = weighted(members);
                    m.sort_by_key(|d| d.input_cost + d.output_cost);
                    m
                }
            };
            for d in ordered.drain(..) {
                if state(d).cool_until.is_some_and(|t| t > now) {
                    cooling.push(d);
                } else {
                    ready.push(d);
                }
            }
        }
        ready.extend(cooling);
        ready
    }

    pub fn succeeded(&self, id: &str, first_byte: Duration) {
        let ms = first_byte.as_secs_f64() * 1000.0;
        let mut states = self.get();
        // Looked up before inserting: no new key string on every request.
        if !states.contains_key(id) {
            states.insert(id.to_string(), State::default());
        }
        let Some(s) = states.get_mut(id) else { return };
        s.fails = 0;
        s.cool_until = None;
        s.latency_ms = if s.latency_ms == 0.0 {
            ms
        } else {
            s.latency_ms * 0.8 + ms * 0.2
        };
    }

    pub fn failed(&self, id: &str) {
        let mut states = self.get();
        let s = states.entry(id.to_string()).or_default();
        s.fails += 1;
        if s.fails >= FAILS_TO_COOL {
            s.cool_until = Some(Instant::now() + COOLDOWN);
        }
    }
}

/// The pause before attempt `n` (1-based retry count): 50 ms, 100 ms, 200 ms… at most 1 s.
pub fn backoff(n: u32) -> Duration {
    Duration::from_millis((50u64 << n.min(5).saturating_sub(1)).min(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::from_millis(50));
        assert_eq!(backoff(2), Duration::from_millis(100));
        assert_eq!(backoff(9), Duration::from_millis(800));
    }
}
