//! Per-minute limits: a plan's requests per account, a key's requests and tokens. Each replica
//! counts them in sliding windows in memory ([`Window`]). With Redis configured (`redis_url`),
//! every admitted request is also counted there, and refused when the window all replicas
//! share is full: one Redis call per request that has a per-minute limit. When Redis does not
//! answer, each replica's own windows decide, and a warning is logged (once a minute at most).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ops_db::now_ms;
use ops_db::redis::{Redis, Reply};
use ops_types::ErrorCode;

use crate::GatewayError;

pub const MINUTE_MS: i64 = 60_000;
/// How long a Redis call may take before the replica's own windows decide.
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);

/// Counts in the current and previous minute; `used` weighs the previous one by how much of
/// it still falls in the last 60 seconds.
#[derive(Debug, Default, Clone, Copy)]
pub struct Window {
    minute: i64,
    current: i64,
    previous: i64,
}

impl Window {
    fn roll(&mut self, now: i64) {
        let m = now.div_euclid(MINUTE_MS);
        if m != self.minute {
            self.previous = if m == self.minute + 1 {
                self.current
            } else {
                0
            };
            self.current = 0;
            self.minute = m;
        }
    }

    pub fn used(&mut self, now: i64) -> i64 {
        self.roll(now);
        self.current + weighed(self.previous, now)
    }

    pub fn add(&mut self, now: i64, n: i64) {
        self.roll(now);
        self.current += n;
    }
}

/// The share of the previous minute's count that still falls in the last 60 seconds.
fn weighed(previous: i64, now: i64) -> i64 {
    previous * (MINUTE_MS - now.rem_euclid(MINUTE_MS)) / MINUTE_MS
}

/// A per-minute limit a request met.
#[derive(Debug, Clone)]
pub enum PerMinute {
    PlanRequests { plan: String, max: i64 },
    KeyRequests(i64),
    KeyTokens { max: i64, tokens: i64 },
}

impl PerMinute {
    /// The 429 that names the limit; retry at the next minute.
    pub fn refusal(&self, now: i64) -> GatewayError {
        let message = match self {
            PerMinute::PlanRequests { plan, max } => {
                format!("the {plan} plan allows {max} requests a minute")
            }
            PerMinute::KeyRequests(max) => format!("this API key allows {max} requests a minute"),
            PerMinute::KeyTokens { max, tokens } => format!(
                "this API key allows {max} tokens a minute; this request may use up to {tokens}"
            ),
        };
        let retry_ms = MINUTE_MS - now.rem_euclid(MINUTE_MS);
        GatewayError::Refused {
            status: ErrorCode::RateLimited.status(),
            code: ErrorCode::RateLimited.as_str(),
            message,
            retry_after: Some((retry_ms as u64).div_ceil(1000).max(1)),
        }
    }
}

/// One shared window a request counts in: `add` more is refused past `max`.
#[derive(Debug)]
pub struct Count {
    pub scope: String,
    pub max: i64,
    pub add: i64,
}

/// Checks every window, and counts the request in all of them only when none is full; returns
/// the index of a full one (1-based), or 0. The previous minute is weighed as in [`Window`].
const SCRIPT: &str = r"
local now_ms = tonumber(ARGV[1])
for i = 1, #KEYS / 2 do
  local now = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local before = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  local used = now + math.floor(before * (60000 - now_ms % 60000) / 60000)
  if used + tonumber(ARGV[2 * i + 1]) > tonumber(ARGV[2 * i]) then return i end
end
for i = 1, #KEYS / 2 do
  redis.call('INCRBY', KEYS[2 * i - 1], ARGV[2 * i + 1])
  redis.call('PEXPIRE', KEYS[2 * i - 1], 120000)
end
return 0
";

fn counter(scope: &str, minute: i64) -> String {
    format!("ops:rate:{scope}:{minute}")
}

/// The windows replicas share, when Redis is configured.
#[derive(Default)]
pub struct Rates {
    redis: OnceLock<Arc<Redis>>,
    warned: Mutex<Option<Instant>>,
}

impl Rates {
    /// Shares the windows through the Redis at `url` (connected on first use).
    pub fn share(&self, url: &str) -> Result<(), GatewayError> {
        let redis =
            Redis::new(url, REDIS_TIMEOUT).map_err(|e| GatewayError::Internal(e.to_string()))?;
        let _ = self.redis.set(Arc::new(redis));
        Ok(())
    }

    pub fn shared(&self) -> bool {
        self.redis.get().is_some()
    }

    /// The Redis shared through (without credentials) and how its `PING` went just now: the
    /// round trip on an open connection, or why it failed. `None` when not shared.
    pub async fn check(&self) -> Option<(String, Result<Duration, String>)> {
        let redis = self.redis.get()?;
        let ping = || async {
            let started = Instant::now();
            match redis.call(&[b"PING"]).await {
                Ok(Reply::Status(pong)) if pong == "PONG" => Ok(started.elapsed()),
                Ok(other) => Err(format!("unexpected reply {other:?}")),
                Err(e) => Err(e.to_string()),
            }
        };
        // The first may include connecting; the second is the round trip limits pay.
        let answer = match ping().await {
            Ok(_) => ping().await,
            Err(e) => Err(e),
        };
        Some((redis.shown(), answer))
    }

    /// Counts a request in the shared windows; `Some(i)` when `windows[i]` is full (then
    /// nothing is counted). `None` too when Redis is not configured or does not answer.
    pub async fn count(&self, windows: &[&Count]) -> Option<usize> {
        let redis = self.redis.get()?;
        if windows.is_empty() {
            return None;
        }
        let now = now_ms();
        let minute = now.div_euclid(MINUTE_MS);
        let mut keys = Vec::with_capacity(windows.len() * 2);
        let mut argv = vec![now.to_string()];
        for w in windows {
            keys.push(counter(&w.scope, minute));
            keys.push(counter(&w.scope, minute - 1));
            argv.push(w.max.to_string());
            argv.push(w.add.to_string());
        }
        let n = keys.len().to_string();
        let mut args: Vec<&[u8]> = vec![b"EVAL", SCRIPT.as_bytes(), n.as_bytes()];
        args.extend(keys.iter().map(|k| k.as_bytes()));
        args.extend(argv.iter().map(|a| a.as_bytes()));
        match redis.call(&args).await {
            Ok(Reply::Int(0)) => None,
            Ok(Reply::Int(i)) if i > 0 && (i as usize) <= windows.len() => Some(i as usize - 1),
            Ok(other) => {
                self.warn(&format!("unexpected reply {other:?}"));
                None
            }
            Err(e) => {
                self.warn(&e.to_string());
                None
            }
        }
    }

    /// Adds `n` (less than 0 gives back) to a shared window this minute, in the background.
    pub fn add(&self, scope: &str, n: i64) {
        let Some(redis) = self.redis.get().filter(|_| n != 0).cloned() else {
            return;
        };
        let key = counter(scope, now_ms().div_euclid(MINUTE_MS));
        tokio::spawn(async move {
            let n = n.to_string();
            let added = redis.call(&[b"INCRBY", key.as_bytes(), n.as_bytes()]).await;
            let kept = redis.call(&[b"PEXPIRE", key.as_bytes(), b"120000"]).await;
            if let Err(e) = added.and(kept) {
                tracing::warn!(error = %e, "gateway: Redis did not adjust a tokens-per-minute window");
            }
        });
    }

    fn warn(&self, why: &str) {
        let mut warned = self.warned.lock().unwrap_or_else(|p| p.into_inner());
        if warned.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
            *warned = Some(Instant::now());
            tracing::warn!(
                error = why,
                "gateway: Redis did not count a request; per-minute limits hold per replica until it does"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_weighs_the_previous_minute_by_what_is_left_of_it() {
        let mut w = Window::default();
        let t = 10 * MINUTE_MS;
        w.add(t, 10);
        assert_eq!(w.used(t + 59_000), 10);
        assert_eq!(w.used(t + MINUTE_MS), 10);
        assert_eq!(w.used(t + MINUTE_MS + 15_000), 7);
        w.add(t + MINUTE_MS + 15_000, 2);
        assert_eq!(w.used(t + MINUTE_MS + 30_000), 7);
        assert_eq!(w.used(t + 3 * MINUTE_MS), 0);
    }

    fn count(scope: &str, max: i64, add: i64) -> Count {
        let scope = scope.to_string();
        Count { scope, max, add }
    }

    #[tokio::test]
    async fn shared_windows_count_a_request_in_all_or_none() {
        let into = now_ms().rem_euclid(MINUTE_MS);
        if into > 55_000 {
            tokio::time::sleep(Duration::from_millis((MINUTE_MS + 100 - into) as u64)).await;
        }
        let rates = Rates::default();
        rates.share(&ops_db::testing::redis_url()).unwrap();
        let id = ops_db::new_id();
        let (a, b) = (format!("test:{id}:a"), format!("test:{id}:b"));
        let (wa, wb) = (count(&a, 3, 1), count(&b, 10, 4));
        let both = [&wa, &wb];
        assert_eq!(rates.count(&both).await, None);
        assert_eq!(rates.count(&both).await, None);
        // b would reach 12 of 10: refused, and a is not counted either.
        assert_eq!(rates.count(&both).await, Some(1));
        assert_eq!(rates.count(&[&wa]).await, None);
        assert_eq!(rates.count(&[&wa]).await, Some(0));
        // Giving back makes room again.
        rates.add(&b, -8);
        for _ in 0..100 {
            if rates.count(&[&count(&b, 10, 9)]).await.is_none() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("what was given back never made room");
    }

    #[tokio::test]
    async fn without_an_answer_from_redis_the_replica_decides() {
        let rates = Rates::default();
        rates.share("redis://127.0.0.1:1").unwrap();
        assert!(rates.shared());
        assert_eq!(rates.count(&[&count("x", 0, 1)]).await, None);
        assert!(Rates::default().share("http://cache").is_err());
    }
}
