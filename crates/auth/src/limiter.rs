//! Sign-in attempt counting per account and per client IP, in fixed windows.
//!
//! An attempt is counted *before* the password is checked, under one lock, so parallel
//! guesses cannot all pass the check; a successful sign-in then takes its attempt back.
//! Kept in memory: a replica restart forgets it, which errs toward letting people in.
//! (Shared counters across replicas move to Redis with the scale-out work.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub max_per_account: u32,
    pub max_per_ip: u32,
    pub window: Duration,
}

#[derive(Debug)]
pub struct LoginLimiter {
    limits: LoginLimits,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        LoginLimiter {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt, or refuses it with the seconds to wait when the account or the IP
    /// has used up its window.
    pub fn begin(&self, account: &str, ip: Option<&str>) -> Result<(), u64> {
        let now = Instant::now();
        let window = self.limits.window;
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let keys = self.keys(account, ip);
        let mut wait = 0u64;
        for (key, max) in &keys {
            if let Some((start, n)) = map.get(key) {
                let elapsed = now.duration_since(*start);
                if *n >= *max && elapsed < window {
                    wait = wait.max((window - elapsed).as_secs().max(1));
                }
            }
        }
        if wait > 0 {
            return Err(wait);
        }
        for (key, _) in keys {
            let entry = map.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= window {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
        Ok(())
    }

    /// A successful sign-in clears the account's count and takes back its IP attempt.
    pub fn succeeded(&self, account: &str, ip: Option<&str>) {
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("acct:{account}"));
        if let Some(entry) = ip.and_then(|ip| map.get_mut(&format!("ip:{ip}"))) {
            entry.1 = entry.1.saturating_sub(1);
        }
    }

    fn keys(&self, account: &str, ip: Option<&str>) -> Vec<(String, u32)> {
        let mut keys = vec![(format!("acct:{account}"), self.limits.max_per_account)];
        if let Some(ip) = ip {
            keys.push((format!("ip:{ip}"), self.limits.max_per_ip));
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> LoginLimiter {
        LoginLimiter::new(LoginLimits {
            max_per_account: 3,
            max_per_ip: 5,
            window: Duration::from_secs(60),
        })
    }

    #[test]
    fn account_locks_after_max_attempts() {
        let l = limiter();
        for _ in 0..3 {
            assert!(l.begin("a@x", Some("1.1.1.1")).is_ok());
        }
        let wait = l.begin("a@x", Some("2.2.2.2")).unwrap_err();
        assert!(wait > 0 && wait <= 60);
        assert!(
            l.begin("b@x", Some("2.2.2.2")).is_ok(),
            "other accounts unaffected"
        );
    }

    #[test]
    fn parallel_attempts_cannot_exceed_the_limit() {
        let l = std::sync::Arc::new(limiter());
        let passed: usize = (0..16)
            .map(|_| {
                let l = l.clone();
                std::thread::spawn(move || l.begin("a@x", None).is_ok() as usize)
            })
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(passed, 3);
    }

    #[test]
    fn ip_locks_across_accounts() {
        let l = limiter();
        for i in 0..5 {
            assert!(l.begin(&format!("u{i}@x"), Some("9.9.9.9")).is_ok());
        }
        assert!(l.begin("fresh@x", Some("9.9.9.9")).is_err());
        assert!(l.begin("fresh@x", Some("8.8.8.8")).is_ok());
    }

    #[test]
    fn success_clears_the_account_and_gives_back_the_ip_attempt() {
        let l = limiter();
        for _ in 0..3 {
            l.begin("a@x", Some("7.7.7.7")).unwrap();
        }
        l.succeeded("a@x", Some("7.7.7.7"));
        assert!(l.begin("a@x", Some("7.7.7.7")).is_ok());
    }
}
