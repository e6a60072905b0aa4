//! Per-key limits, enforced in memory like the account's balance: requests and tokens per
//! minute (sliding windows), and a budget per UTC day, week or month. A key's spend this
//! period is read from the daily rollups, plus what is settled but not yet flushed, plus what
//! is reserved by requests in flight — so parallel requests cannot overshoot the budget.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ops_auth::key_limits::{self, KeyRecord};
use ops_db::{Db, now_ms};
use ops_types::{ErrorCode, budget_window, format_amount};

use crate::GatewayError;
use crate::holds::{self, Holds, Limit};
use crate::log::Row;
use crate::rates::{PerMinute, Window};

const STALE: Duration = Duration::from_secs(10);

struct KeyUse {
    window: (i64, i64),
    spent: i64,
    synced: Instant,
    pending: i64,
    reserved: i64,
    requests: Window,
    tokens: Window,
    /// This replica's hold on the budget of the period `window` ([`holds`]), and what it
    /// settled since the holds were last renewed.
    held: i64,
    lately: i64,
}

impl KeyUse {
    fn new(window: (i64, i64), spent: i64) -> KeyUse {
        KeyUse {
            window,
            spent,
            synced: Instant::now(),
            pending: 0,
            reserved: 0,
            requests: Window::default(),
            tokens: Window::default(),
            held: 0,
            lately: 0,
        }
    }
}

#[derive(Default)]
pub struct KeyBudgets {
    keys: Mutex<HashMap<String, KeyUse>>,
    generation: AtomicU64,
    /// Holds on budget periods that ended, to give back at the next renewal.
    ended: Mutex<Vec<(String, i64)>>,
}

fn refused(code: ErrorCode, message: String, retry_ms: i64) -> GatewayError {
    GatewayError::Refused {
        status: code.status(),
        code: code.as_str(),
        message,
        retry_after: Some((retry_ms.max(0) as u64).div_ceil(1000).max(1)),
    }
}

impl KeyBudgets {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, KeyUse>> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn sync(&self, db: &Db, key: &KeyRecord, period: &str) -> Result<(), GatewayError> {
        let generation = self.generation.load(Ordering::Acquire);
        let Some(window) = budget_window(period, now_ms()) else {
            return Ok(());
        };
        let spent = key_limits::spent(db, &key.key_id, window).await?;
        let mut keys = self.lock();
        let fresh = self.generation.load(Ordering::Acquire) == generation;
        let u = keys
            .entry(key.id.clone())
            .or_insert_with(|| KeyUse::new(window, spent));
        if u.window != window && u.held != 0 {
            let scope = holds::key_scope(&key.id, u.window.0);
            self.ended
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((scope, -u.held));
            u.held = 0;
        }
        if fresh || u.window != window {
            u.window = window;
            u.spent = spent;
            u.synced = Instant::now();
        }
        Ok(())
    }

    /// Checks the key's limits and reserves `estimate` against its budget; returns the start
    /// of the budget's period (0 without a budget).
    pub async fn admit(
        &self,
        db: &Db,
        holds: &Holds,
        key: &KeyRecord,
        estimate: i64,
        tokens: i64,
    ) -> Result<i64, GatewayError> {
        let l = &key.limits;
        let period = l.budget_period.as_deref().unwrap_or("day");
        let now = now_ms();
        let stale = self
            .lock()
            .get(&key.id)
            .is_none_or(|u| u.synced.elapsed() >= STALE || now >= u.window.1);
        if stale && l.budget.is_some() {
            self.sync(db, key, period).await?;
        }
        // As for accounts: claim again while the need grew since a claim that granted nothing.
        let (mut claimed, mut futile) = (false, None);
        let mut serial = None;
        loop {
            let short = {
                let mut keys = self.lock();
                match Self::try_admit(
                    &mut keys,
                    key,
                    estimate,
                    tokens,
                    holds.trusted() || claimed,
                    futile,
                ) {
                    Ok(window) => return Ok(window),
                    Err(Err(e)) => return Err(e),
                    Err(Ok(short)) => short,
                }
            };
            if serial.is_none() {
                // As for accounts: check again once no other claim is in progress.
                serial = Some(holds.serial().await);
                continue;
            }
            let (need, window, budget) = short;
            let scope = holds::key_scope(&key.id, window.0);
            let limit = Limit::Key {
                key_id: &key.key_id,
                window,
                budget,
            };
            let delta = holds.claim(db, &scope, limit, need).await?;
            if let Some(u) = self.lock().get_mut(&key.id)
                && u.window == window
            {
                u.held += delta;
            } else if delta > 0 {
                // The period ended meanwhile: give the new hold back at the next renewal.
                self.ended
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((scope, -delta));
            }
            claimed = true;
            futile = (delta == 0).then_some(need);
        }
    }

    /// Admits against the key as this replica holds its budget. `Err(Ok((need, window,
    /// budget)))`: the hold is short (and no claim for as much has granted nothing).
    #[allow(clippy::type_complexity)]
    fn try_admit(
        keys: &mut HashMap<String, KeyUse>,
        key: &KeyRecord,
        estimate: i64,
        tokens: i64,
        trusted: bool,
        futile: Option<i64>,
    ) -> Result<i64, Result<(i64, (i64, i64), i64), GatewayError>> {
        let l = &key.limits;
        let period = l.budget_period.as_deref().unwrap_or("day");
        let now = now_ms();
        let u = keys
            .entry(key.id.clone())
            .or_insert_with(|| KeyUse::new(budget_window(period, now).unwrap_or((now, now)), 0));
        if let Some(rpm) = l.rpm_limit
            && u.requests.used(now) >= i64::from(rpm)
        {
            return Err(Err(PerMinute::KeyRequests(rpm.into()).refusal(now)));
        }
        if let Some(tpm) = l.tpm_limit
            && u.tokens.used(now) + tokens > i64::from(tpm)
        {
            let max = tpm.into();
            return Err(Err(PerMinute::KeyTokens { max, tokens }.refusal(now)));
        }
        if let Some(budget) = l.budget {
            let used = u.spent + u.pending + u.reserved;
            let need = u.pending + u.reserved + estimate;
            let held = if trusted { u.held } else { 0 };
            if need > held && used + estimate <= budget && futile.is_none_or(|n| need > n) {
                return Err(Ok((need, u.window, budget)));
            }
            if used + estimate > budget || need > held {
                // Short of the hold after taking all that was free: the rest is spent or
                // held by other replicas.
                let used = match need > held {
                    true => used.max(budget - (held - u.pending - u.reserved)),
                    false => used,
                };
                return Err(Err(refused(
                    ErrorCode::QuotaExceeded,
                    format!(
                        "this API key's budget is {} a {period}; {} is spent or reserved and this request may cost up to {}; it resets at {}",
                        format_amount(budget, "USD"),
                        format_amount(used, "USD"),
                        format_amount(estimate, "USD"),
                        ops_types::date_time_of_ms(u.window.1)
                    ),
                    u.window.1 - now,
                )));
            }
        }
        u.reserved += estimate;
        u.requests.add(now, 1);
        Ok(if l.budget.is_some() { u.window.0 } else { 0 })
    }

    /// Ends a reservation: `cost` is pending until flushed; `tokens` count this minute.
    pub fn settle(&self, key_row: &str, reserved: i64, cost: i64, tokens: i64) {
        if let Some(u) = self.lock().get_mut(key_row) {
            u.reserved -= reserved;
            u.pending += cost;
            u.lately += cost;
            u.tokens.add(now_ms(), tokens);
        }
    }

    /// Undoes an admission (a limit checked after the key's refused the request).
    pub fn release(&self, key_row: &str, reserved: i64) {
        if let Some(u) = self.lock().get_mut(key_row) {
            u.reserved -= reserved;
            u.requests.add(now_ms(), -1);
        }
    }

    /// After a flush committed `rows`: their cost moves from pending to spent, and leaves the
    /// hold of the period it was admitted in.
    pub fn flushed(&self, rows: &[Row]) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut keys = self.lock();
        for r in rows.iter().filter(|r| r.cost > 0) {
            if let Some(u) = keys.get_mut(&r.key_row) {
                u.pending -= r.cost;
                u.spent += r.cost;
                if r.key_window > 0 && r.key_window == u.window.0 {
                    u.held -= r.cost;
                }
            }
        }
    }

    /// What to give back at a renewal (see [`holds::give_back`]), already taken off here.
    pub fn give_back(&self) -> Vec<(String, i64)> {
        let mut out = std::mem::take(&mut *self.ended.lock().unwrap_or_else(|p| p.into_inner()));
        for (id, u) in self.lock().iter_mut() {
            let d = holds::give_back(u.held, u.pending, u.reserved, u.lately);
            u.lately = 0;
            if d != 0 {
                u.held += d;
                out.push((holds::key_scope(id, u.window.0), d));
            }
        }
        out
    }

    /// Whether this replica holds any part of a key's budget.
    pub fn holding(&self) -> bool {
        self.lock().values().any(|u| u.held != 0)
    }

    /// A renewal failed: what [`KeyBudgets::give_back`] took off is held again.
    pub fn take_back(&self, changes: &[(String, i64)]) {
        let mut keys = self.lock();
        for (scope, d) in changes {
            let found = keys
                .iter_mut()
                .find(|(id, u)| holds::key_scope(id, u.window.0) == *scope);
            match found {
                Some((_, u)) => u.held -= d,
                None if scope.starts_with("key:") => self
                    .ended
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((scope.clone(), *d)),
                None => {}
            }
        }
    }
}
