//! Metering: admit, reserve, settle, flush.
//!
//! Each account's standing (plan, period, spendable credits, requests counted) is held in
//! memory. Before the upstream call a request reserves its worst-case cost; it is refused when
//! `spendable − settled-but-unflushed − reserved` cannot cover it, so parallel requests never
//! spend more than the account holds. After the call the actual cost is settled (never more
//! than was reserved) and the request queued for the log. A flusher writes the queue in one
//! transaction per batch: the log rows, one ledger entry per account, the usage counters and
//! the daily rollups; then the in-memory standing is replaced by the database's.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ops_billing::metered;
use ops_db::{Db, now_ms};
use ops_types::OwnerKind;

use crate::GatewayError;
use crate::account::{Account, Claim, Futile, Short};
use crate::holds::{self, Holds, Limit};
use crate::journal::{Appended, Journal};
use crate::log::Row;
use crate::rates::{Count, PerMinute, Rates};

pub type Owner = (OwnerKind, String);

/// A standing older than this is read again before admitting (plan changes, top-ups).
const STALE: Duration = Duration::from_secs(10);
/// A queue this long is flushed at once, without waiting for the next tick: batches stay
/// small under heavy traffic (memory, and the time a flush holds a worker).
const FLUSH_AT: usize = 1024;

/// A reservation held while one request runs.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub owner: Owner,
    pub key_row: String,
    pub amount: i64,
    pub period_start: i64,
    pub overage: ops_types::Overage,
    /// The plan's AI price, % of the models' list prices.
    pub price_percent: i64,
    /// The start of the key's budget period (0: no budget).
    pub key_window: i64,
    /// Admitted against the plan's request limit (and this replica's hold on it).
    pub limited: bool,
    /// Tokens counted for the key's tokens-per-minute limit in the windows replicas share:
    /// the actual number replaces them when the request settles.
    pub shared_tokens: i64,
}

fn tokens_scope(key_row: &str) -> String {
    format!("tpm:key:{key_row}")
}

/// What a request asks of its account.
pub struct Ask<'a> {
    pub key: &'a ops_auth::key_limits::KeyRecord,
    /// Tokens the request may use at most (the key's tokens-per-minute limit).
    pub tokens: i64,
    pub service: &'a str,
    pub group: &'a str,
    pub model: &'a str,
    /// The worst case at the models' list prices.
    pub estimate: i64,
    /// Served only by the caller's own keys: only this share of the list price is charged.
    pub fee_percent: Option<i64>,
}

#[derive(Default)]
pub struct Meter {
    accounts: Mutex<HashMap<Owner, Account>>,
    pub keys: crate::budget::KeyBudgets,
    pub rates: Rates,
    /// Lock order: journal, then queue (a row is in the segment a flush rotates out iff the
    /// flush took it from the queue).
    journal: Mutex<Option<Journal>>,
    queue: Mutex<Vec<Row>>,
    /// Bumped by every flush: a standing read before a flush committed is not trusted after.
    generation: std::sync::atomic::AtomicU64,
    pub holds: Holds,
    /// Wakes the flusher early (see [`FLUSH_AT`]).
    wake: tokio::sync::Notify,
}

impl Meter {
    fn lock_accounts(&self) -> std::sync::MutexGuard<'_, HashMap<Owner, Account>> {
        self.accounts.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Vec<Row>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_journal(&self) -> std::sync::MutexGuard<'_, Option<Journal>> {
        self.journal.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Journals settled rows from now on.
    pub fn set_journal(&self, journal: Journal) {
        *self.lock_journal() = Some(journal);
    }

    /// Queues a row for the next flush, then journals it: the answer waits for the returned
    /// handle before it ends.
    ///
    /// The row is queued and its segment chosen under the journal's lock, but the line is
    /// written after it is released, so parallel requests do not wait on each other's write:
    /// a flush that took the row and committed before the line lands only deletes a segment
    /// that no longer matters, and a flush that fails puts the row back, its segment kept.
    fn enqueue(&self, row: Row) -> Appended {
        let line = Journal::line(&row);
        let segment = {
            let mut journal = self.lock_journal();
            let segment = journal.as_mut().and_then(Journal::segment);
            let mut queue = self.lock_queue();
            queue.push(row);
            if queue.len() == FLUSH_AT {
                self.wake.notify_one();
            }
            segment
        };
        match segment {
            Some(file) => crate::journal::append(file, line),
            None => Appended::none(),
        }
    }

    async fn sync(&self, db: &Db, owner: &Owner) -> Result<(), GatewayError> {
        use std::sync::atomic::Ordering;
        let generation = self.generation.load(Ordering::Acquire);
        let standing = metered::standing(db, owner.0, &owner.1).await?;
        let mut accounts = self.lock_accounts();
        if self.generation.load(Ordering::Acquire) != generation {
            // A flush committed meanwhile: the balance read may predate it. Keep the plan only.
            if let Some(a) = accounts.get_mut(owner) {
                a.standing.plan = standing.plan;
                a.standing.status = standing.status;
            }
            return Ok(());
        }
        match accounts.get_mut(owner) {
            Some(a) => {
                a.standing = standing;
                a.synced = Instant::now();
            }
            None => {
                accounts.insert(owner.clone(), Account::new(standing));
            }
        }
        Ok(())
    }

    /// Checks the plan and the key's limits, and reserves the worst case at the plan's price;
    /// the ticket must be settled.
    pub async fn admit(
        &self,
        db: &Db,
        owner: &Owner,
        ask: &Ask<'_>,
    ) -> Result<Ticket, GatewayError> {
        let mut ticket = self.admit_account(db, owner, ask).await?;
        match self
            .keys
            .admit(db, &self.holds, ask.key, ticket.amount, ask.tokens)
            .await
        {
            Ok(window) => ticket.key_window = window,
            Err(e) => {
                self.unadmit_account(&ticket);
                return Err(e);
            }
        }
        if self.rates.shared() {
            let limits = self.per_minute(owner, ask);
            let windows: Vec<&Count> = limits.iter().map(|(_, c)| c).collect();
            if let Some(full) = self.rates.count(&windows).await {
                self.unadmit_account(&ticket);
                self.keys.release(&ticket.key_row, ticket.amount);
                return Err(limits[full].0.refusal(now_ms()));
            }
            if let Some((PerMinute::KeyTokens { tokens, .. }, _)) = limits.last() {
                ticket.shared_tokens = *tokens;
            }
        }
        Ok(ticket)
    }

    /// Undoes what [`Account::admit`] counted and reserved.
    fn unadmit_account(&self, ticket: &Ticket) {
        if let Some(a) = self.lock_accounts().get_mut(&ticket.owner) {
            a.reserved -= ticket.amount;
            a.in_flight -= 1;
            a.minute.add(now_ms(), -1);
        }
    }

    /// The per-minute limits a request counts against, with their windows replicas share (the
    /// key's tokens last).
    fn per_minute(&self, owner: &Owner, ask: &Ask<'_>) -> Vec<(PerMinute, Count)> {
        let mut out = Vec::new();
        let plan = self.lock_accounts().get(owner).and_then(|a| {
            let p = &a.standing.plan;
            p.rate_limit_rpm.map(|max| (p.name.clone(), i64::from(max)))
        });
        if let Some((plan, max)) = plan {
            let scope = format!("rpm:{}", holds::account_scope(owner));
            out.push((
                PerMinute::PlanRequests { plan, max },
                Count { scope, max, add: 1 },
            ));
        }
        let l = &ask.key.limits;
        if let Some(max) = l.rpm_limit.map(i64::from) {
            let scope = format!("rpm:key:{}", ask.key.id);
            out.push((PerMinute::KeyRequests(max), Count { scope, max, add: 1 }));
        }
        if let Some(max) = l.tpm_limit.map(i64::from) {
            let (scope, tokens) = (tokens_scope(&ask.key.id), ask.tokens);
            let count = Count {
                scope,
                max,
                add: tokens,
            };
            out.push((PerMinute::KeyTokens { max, tokens }, count));
        }
        out
    }

    async fn admit_account(
        &self,
        db: &Db,
        owner: &Owner,
        ask: &Ask<'_>,
    ) -> Result<Ticket, GatewayError> {
        let fresh = self
            .lock_accounts()
            .get(owner)
            .is_some_and(|a| a.synced.elapsed() < STALE);
        if !fresh {
            self.sync(db, owner).await?;
        }
        // A claim is made again while the need grew since the last one granted nothing
        // (parallel requests reserve meanwhile); none is made once nothing more is free.
        let (mut claimed, mut futile) = (false, Futile::default());
        let mut serial = None;
        loop {
            let claim = {
                let mut accounts = self.lock_accounts();
                let a = accounts
                    .get_mut(owner)
                    .ok_or_else(|| GatewayError::Internal("account standing missing".into()))?;
                let trusted = claimed || self.holds.trusted();
                match a.admit(owner, ask, trusted, futile) {
                    Ok(t) => return Ok(t),
                    Err(Short::No(e)) => return Err(e),
                    Err(Short::Hold(claim)) => claim,
                }
            };
            if serial.is_none() {
                // Check again once no other claim of this replica's is in progress.
                serial = Some(self.holds.serial().await);
                continue;
            }
            match claim {
                Claim::Credits(need, overage) => {
                    let scope = holds::account_scope(owner);
                    let limit = Limit::Account(owner, overage);
                    let delta = self.holds.claim(db, &scope, limit, need).await?;
                    if let Some(a) = self.lock_accounts().get_mut(owner) {
                        a.held += delta;
                    }
                    futile.credits = (delta == 0).then_some(need);
                }
                Claim::Requests { need, max, period } => {
                    let scope = holds::requests_scope(owner);
                    let limit = Limit::Requests { owner, period, max };
                    let delta = self.holds.claim(db, &scope, limit, need).await?;
                    if let Some(a) = self.lock_accounts().get_mut(owner) {
                        a.requests_held += delta;
                    }
                    futile.requests = (delta == 0).then_some(need);
                }
            }
            claimed = true;
        }
    }

    /// Ends a reservation: `row.cost` (at most the reservation) is charged at the next flush.
    /// The answer ends once the returned handle resolves (its row is journaled then).
    pub fn settle(&self, ticket: &Ticket, mut row: Row) -> Appended {
        row.cost = row.cost.clamp(0, ticket.amount);
        row.period_start = ticket.period_start;
        row.overage = ticket.overage;
        row.key_window = ticket.key_window;
        row.limited = ticket.limited;
        let tokens = row.input_tokens + row.output_tokens;
        self.keys
            .settle(&ticket.key_row, ticket.amount, row.cost, tokens);
        if ticket.shared_tokens != 0 {
            let scope = tokens_scope(&ticket.key_row);
            self.rates.add(&scope, tokens - ticket.shared_tokens);
        }
        {
            let mut accounts = self.lock_accounts();
            if let Some(a) = accounts.get_mut(&ticket.owner) {
                a.reserved -= ticket.amount;
                a.in_flight -= 1;
                a.pending_cost += row.cost;
                a.lately += row.cost;
                if row.status < 400 {
                    a.pending_requests += 1;
                    a.requests_lately += 1;
                }
            }
        }
        self.enqueue(row)
    }

    /// Logs a request that was refused before anything was reserved.
    pub fn log_refusal(&self, row: Row) -> Appended {
        self.enqueue(row)
    }

    pub fn queued(&self) -> usize {
        self.lock_queue().len()
    }

    /// Writes what is queued; on failure the rows go back to the queue for the next try.
    pub async fn flush(&self, db: &Db) -> Result<usize, GatewayError> {
        let (rows, segment) = {
            let mut journal = self.lock_journal();
            let rows = std::mem::take(&mut *self.lock_queue());
            if rows.is_empty() {
                return Ok(0);
            }
            (rows, journal.as_mut().map(Journal::rotate))
        };
        let started = Instant::now();
        match crate::log::write(db, &self.holds.replica, &rows).await {
            Ok(charged) => {
                tracing::debug!(
                    rows = rows.len(),
                    us = started.elapsed().as_micros() as u64,
                    "gateway flush"
                );
                self.keys.flushed(&rows);
                let dir = self.lock_journal().as_ref().map(|j| j.dir().to_path_buf());
                if let (Some(dir), Some(upto)) = (dir, segment) {
                    tokio::task::spawn_blocking(move || crate::journal::remove_up_to(&dir, upto));
                }
                self.generation
                    .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                let mut accounts = self.lock_accounts();
                for (owner, c) in charged {
                    if let Some(a) = accounts.get_mut(&owner) {
                        a.pending_cost -= c.settled;
                        a.held -= c.settled;
                        a.pending_requests -= c.counted;
                        a.requests_held -= c.limited;
                        a.standing.requests += c.counted;
                        a.standing.spendable = c.spendable;
                    }
                }
                Ok(rows.len())
            }
            Err(e) => {
                let mut q = self.lock_queue();
                let newer = std::mem::replace(&mut *q, rows);
                q.extend(newer);
                Err(e)
            }
        }
    }

    /// Renews this replica's holds, giving back what it has not needed lately.
    pub async fn renew(&self, db: &Db) -> Result<(), GatewayError> {
        // Not beside a claim: this lowers the holds in memory before it writes them, and a
        // claim reading the higher hold in between would be granted too little and refuse.
        let _serial = self.holds.serial().await;
        let mut changes = self.keys.give_back();
        let mut holding = self.keys.holding();
        for (owner, a) in self.lock_accounts().iter_mut() {
            let d = holds::give_back(a.held, a.pending_cost, a.reserved, a.lately);
            a.lately = 0;
            if d != 0 {
                a.held += d;
                changes.push((holds::account_scope(owner), d));
            }
            let d = holds::give_back(
                a.requests_held,
                a.pending_requests,
                a.in_flight,
                a.requests_lately,
            );
            a.requests_lately = 0;
            if d != 0 {
                a.requests_held += d;
                changes.push((holds::requests_scope(owner), d));
            }
            holding |= a.held != 0 || a.requests_held != 0;
        }
        if changes.is_empty() && !holding {
            // Nothing held: an idle replica does not write every tick.
            self.holds.renewed_empty();
            return Ok(());
        }
        if let Err(e) = self.holds.renew(db, &changes).await {
            // Nothing was given back: hold it again here.
            let mut accounts = self.lock_accounts();
            for (owner, a) in accounts.iter_mut() {
                let (credits, requests) =
                    (holds::account_scope(owner), holds::requests_scope(owner));
                for (scope, d) in &changes {
                    if *scope == credits {
                        a.held -= d;
                    } else if *scope == requests {
                        a.requests_held -= d;
                    }
                }
            }
            self.keys.take_back(&changes);
            return Err(e);
        }
        Ok(())
    }
}

/// Flushes every `every` (sooner when the queue grows long) and renews the holds as often, but
/// at least every 5 s (well within the time they are trusted), until the process ends.
pub async fn run(gw: crate::Gateway, every: Duration) {
    let mut flush = tokio::time::interval(every);
    let mut renew = tokio::time::interval(Duration::from_secs(5).min(every));
    for t in [&mut flush, &mut renew] {
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    }
    loop {
        let result = tokio::select! {
            _ = flush.tick() => gw.flush().await.map(|_| ()),
            _ = gw.meter.wake.notified() => gw.flush().await.map(|_| ()),
            _ = renew.tick() => gw.meter.renew(&gw.db).await,
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "gateway flush or hold renewal failed; will retry");
        }
    }
}
