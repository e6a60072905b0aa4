//! The one metrics sampler. A single thread samples the host every interval and publishes the
//! snapshot, already serialised, on a `watch` channel; every SSE client and every REST call
//! reads that one value. A thousand followers cost one sample and one serialisation per tick.

mod gpu;
mod host;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ops_auth::{AuthCtx, AuthError};
use ops_types::{MetricsSnapshot, Permission};
use tokio::sync::watch;

/// One sample: the snapshot and its JSON, shared by all readers.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub snapshot: MetricsSnapshot,
    pub json: Arc<str>,
}

/// Handle to the running sampler; clone it freely.
#[derive(Debug, Clone)]
pub struct Sampler {
    rx: watch::Receiver<Arc<Sample>>,
}

impl Sampler {
    /// Starts the sampling thread. The first sample is taken before this returns.
    pub fn start(interval: Duration) -> std::io::Result<Sampler> {
        let mut host =
            host::Host::new().map_err(|e| std::io::Error::other(format!("sysinfo: {e}")))?;
        let mut gpus = gpu::Gpus::init();
        let first = sample(&mut host, &mut gpus);
        let (tx, rx) = watch::channel(Arc::new(first));
        std::thread::Builder::new()
            .name("metrics-sampler".into())
            .spawn(move || {
                let mut next = Instant::now() + interval;
                loop {
                    let now = Instant::now();
                    if next > now {
                        std::thread::sleep(next - now);
                    }
                    next += interval;
                    if Instant::now() > next {
                        next = Instant::now() + interval; // fell behind: do not burst
                    }
                    if tx.send(Arc::new(sample(&mut host, &mut gpus))).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Sampler { rx })
    }

    /// The latest sample, for a caller allowed to read system metrics.
    pub fn read(&self, ctx: &AuthCtx) -> Result<Arc<Sample>, AuthError> {
        ctx.require(Permission::SystemRead)?;
        Ok(self.latest())
    }

    /// A receiver that wakes on each new sample, for a caller allowed to read system metrics.
    pub fn follow(&self, ctx: &AuthCtx) -> Result<watch::Receiver<Arc<Sample>>, AuthError> {
        ctx.require(Permission::SystemRead)?;
        Ok(self.subscribe())
    }

    /// The latest sample (internal use: history, alerts).
    pub fn latest(&self) -> Arc<Sample> {
        self.rx.borrow().clone()
    }

    /// A receiver that wakes on each new sample.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Sample>> {
        self.rx.clone()
    }
}

fn sample(host: &mut host::Host, gpus: &mut gpu::Gpus) -> Sample {
    let mut snapshot = host.sample();
    match gpus.sample() {
        Ok(list) => snapshot.gpu = Some(list),
        Err(reason) => snapshot.gpu_unavailable_reason = Some(reason),
    }
    let json = serde_json::to_string(&snapshot).unwrap_or_else(|e| {
        tracing::error!(error = %e, "metrics serialisation failed");
        "{}".to_string()
    });
    Sample {
        snapshot,
        json: json.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn samples_are_real_and_published() {
        let sampler = Sampler::start(Duration::from_millis(200)).unwrap();
        let first = sampler.latest();
        let s = &first.snapshot;
        assert!(s.memory.total_bytes > 0, "memory read from the host");
        assert!(s.cpu.cores > 0);
        assert!(s.uptime_secs > 0);
        assert!(
            s.gpu.is_some() || s.gpu_unavailable_reason.is_some(),
            "gpu or a reason"
        );
        let mut rx = sampler.subscribe();
        tokio::time::timeout(Duration::from_secs(3), rx.changed())
            .await
            .unwrap()
            .unwrap();
        let next = rx.borrow().clone();
        assert!(next.snapshot.at > first.snapshot.at);
        let parsed: MetricsSnapshot = serde_json::from_str(&next.json).unwrap();
        assert_eq!(parsed.memory.total_bytes, next.snapshot.memory.total_bytes);
    }
}
