//! Failed sign-in counting per account and per client IP, in fixed windows.
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

    /// `Err(seconds)` when the account or the IP is locked out right now.
    pub fn check(&self, account: &str, ip: Option<&str>) -> Result<(), u64> {
        let now = Instant::now();
        let map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = 0u64;
        for (key, max) in self.keys(account, ip) {
            if let Some((start, n)) = map.get(&key) {
                let elapsed = now.duration_since(*start);
                if *n >= max && elapsed < self.limits.window {
                    wait = wait.max((self.limits.window - elapsed).as_secs().max(1));
                }
            }
        }
        if wait > 0 { Err(wait) } else { Ok(()) }
    }

    pub fn record_failure(&self, account: &str, ip: Option<&str>) {
        let now = Instant::now();
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            let window = self.limits.window;
            map.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        for (key, _) in self.keys(account, ip) {
            let entry = map.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= self.limits.window {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
    }

    /// A successful sign-in clears the account's count (not the IP's).
    pub fn record_success(&self, account: &str) {
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("acct:{account}"));
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
    fn account_locks_after_max_failures() {
        let l = limiter();
        for _ in 0..3 {
            assert!(l.check("a@x", Some("1.1.1.1")).is_ok());
            l.record_failure("a@x", Some("1.1.1.1"));
        }
        let wait = l.check("a@x", Some("2.2.2.2")).unwrap_err();
        assert!(wait > 0 && wait <= 60);
        assert!(
            l.check("b@x", Some("2.2.2.2")).is_ok(),
            "other accounts unaffected"
        );
    }

    #[test]
    fn ip_locks_across_accounts() {
        let l = limiter();
        for i in 0..5 {
            l.record_failure(&format!("u{i}@x"), Some("9.9.9.9"));
        }
        assert!(l.check("fresh@x", Some("9.9.9.9")).is_err());
        assert!(l.check("fresh@x", Some("8.8.8.8")).is_ok());
    }

    #[test]
    fn success_clears_the_account() {
        let l = limiter();
        for _ in 0..3 {
            l.record_failure("a@x", None);
        }
        l.record_success("a@x");
        assert!(l.check("a@x", None).is_ok());
    }
}
