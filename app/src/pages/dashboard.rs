//! `/`: live system metrics. The first render uses the latest snapshot (SSR); the browser
//! then follows `/api/v1/stream/metrics` and charts CPU, memory and network as they move.

use std::collections::VecDeque;

use leptos::prelude::*;
use leptos_meta::Title;
use ops_types::MetricsSnapshot;

use crate::browser::{Follow, follow};
use crate::components::alert::ErrorBox;
use crate::components::chart::{LiveChart, Series, line_chart};
use crate::components::format::{bytes, duration, rate};
use crate::server::system::get_metrics;

/// Samples kept for the charts (one a second: the last minute).
const WINDOW: usize = 60;

#[derive(Debug, Clone, Default, PartialEq)]
struct History {
    labels: VecDeque<String>,
    cpu: VecDeque<f64>,
    memory: VecDeque<f64>,
    rx: VecDeque<f64>,
    tx: VecDeque<f64>,
}

impl History {
    fn push(&mut self, s: &MetricsSnapshot) {
        let secs = s.at.div_euclid(1000).rem_euclid(86_400);
        self.labels.push_back(format!(
            "{:02}:{:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        ));
        self.cpu.push_back(round1(s.cpu.total as f64));
        self.memory.push_back(round1(s.memory.used_percent()));
        self.rx
            .push_back(round1(s.network.rx_bytes_per_sec as f64 / 1024.0));
        self.tx
            .push_back(round1(s.network.tx_bytes_per_sec as f64 / 1024.0));
        if self.labels.len() > WINDOW {
            self.labels.pop_front();
            self.cpu.pop_front();
            self.memory.pop_front();
            self.rx.pop_front();
            self.tx.pop_front();
        }
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let initial = Resource::new(|| (), |_| get_metrics());
    let live = RwSignal::new(None::<MetricsSnapshot>);
    let history = RwSignal::new(History::default());
    let connected = RwSignal::new(false);

    // The stream lives as long as the page: the effect keeps it and drops (closes) it on unmount.
    Effect::new(move |stream: Option<Option<Follow>>| {
        if let Some(stream) = stream {
            return stream;
        }
        follow(
            "/api/v1/stream/metrics",
            "metrics",
            move |text| {
                if let Ok(s) = serde_json::from_str::<MetricsSnapshot>(&text) {
                    history.update(|h| h.push(&s));
                    live.set(Some(s));
                }
            },
            move |up| connected.set(up),
        )
    });

    let labels = move || history.with(|h| h.labels.iter().cloned().collect::<Vec<_>>());
    let samples = Signal::derive(move || history.with(|h| h.labels.len()));
    let cpu = Signal::derive(move || {
        line_chart(
            &labels(),
            &[Series {
                name: "CPU",
                values: history.with(|h| h.cpu.iter().copied().collect()),
            }],
            Some(100.0),
            "%",
        )
    });
    let memory = Signal::derive(move || {
        line_chart(
            &labels(),
            &[Series {
                name: "Memory",
                values: history.with(|h| h.memory.iter().copied().collect()),
            }],
            Some(100.0),
            "%",
        )
    });
    let network = Signal::derive(move || {
        line_chart(
            &labels(),
            &[
                Series {
                    name: "Received",
                    values: history.with(|h| h.rx.iter().copied().collect()),
                },
                Series {
                    name: "Sent",
                    values: history.with(|h| h.tx.iter().copied().collect()),
                },
            ],
            None,
            "KiB/s",
        )
    });

    view! {
        <Title text="Dashboard" />
        <div class="page-head">
            <h1>"Dashboard"</h1>
            <span class="live" class:on=move || connected.get() data-testid="live-status">
                {move || if connected.get() { "● Live" } else { "○ Connecting…" }}
            </span>
        </div>
        <Suspense fallback=|| view! { <p>"Loading metrics…"</p> }>
            {move || Suspend::new(async move {
                match initial.await {
                    Ok(first) => {
                        let current = move || live.get().unwrap_or_else(|| first.clone());
                        view! { <Stats current=Signal::derive(current) /> }.into_any()
                    }
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
        <div class="grid charts">
            <LiveChart id="cpu-chart" title="CPU (%)" chart=cpu samples />
            <LiveChart id="memory-chart" title="Memory (%)" chart=memory samples />
            <LiveChart id="network-chart" title="Network (KiB/s)" chart=network samples />
        </div>
    }
}

#[component]
fn Stats(current: Signal<MetricsSnapshot>) -> impl IntoView {
    let s = move || current.get();
    view! {
        <div class="grid stats">
            <Stat label="CPU" value=Signal::derive(move || format!("{:.1} %", s().cpu.total))
                detail=Signal::derive(move || format!("{} cores · {}", s().cpu.cores, s().cpu.brand)) />
            <Stat label="Memory" value=Signal::derive(move || format!("{:.1} %", s().memory.used_percent()))
                detail=Signal::derive(move || format!("{} of {}", bytes(s().memory.used_bytes), bytes(s().memory.total_bytes))) />
            <Stat label="Load" value=Signal::derive(move || format!("{:.2}", s().load.one))
                detail=Signal::derive(move || format!("5 min {:.2} · 15 min {:.2}", s().load.five, s().load.fifteen)) />
            <Stat label="Network" value=Signal::derive(move || format!("↓ {}", rate(s().network.rx_bytes_per_sec)))
                detail=Signal::derive(move || format!("↑ {}", rate(s().network.tx_bytes_per_sec))) />
            <Stat label="Uptime" value=Signal::derive(move || duration(s().uptime_secs))
                detail=Signal::derive(move || s().hostname) />
            <Stat label="Swap" value=Signal::derive(move || bytes(s().memory.swap_used_bytes))
                detail=Signal::derive(move || format!("of {}", bytes(s().memory.swap_total_bytes))) />
        </div>
        <div class="grid two">
            <section class="card">
                <h3>"Disks"</h3>
                {move || {
                    let disks = s().disks;
                    if disks.is_empty() {
                        view! { <p class="muted">"No disks reported."</p> }.into_any()
                    } else {
                        view! {
                            <table class="table">
                                <thead><tr><th>"Mount"</th><th>"Type"</th><th>"Used"</th><th>"Free"</th></tr></thead>
                                <tbody>
                                    {disks.into_iter().map(|d| {
                                        let used = d.total_bytes.saturating_sub(d.available_bytes);
                                        let pct = if d.total_bytes == 0 { 0.0 } else { used as f64 * 100.0 / d.total_bytes as f64 };
                                        view! {
                                            <tr>
                                                <td>{d.mount}</td>
                                                <td>{d.fs}</td>
                                                <td>
                                                    <div class="bar" title=format!("{pct:.0} %")><span style=format!("width:{pct:.0}%")></span></div>
                                                    {format!("{} / {}", bytes(used), bytes(d.total_bytes))}
                                                </td>
                                                <td>{bytes(d.available_bytes)}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }
                }}
            </section>
            <section class="card" data-testid="gpu-card">
                <h3>"GPUs"</h3>
                {move || {
                    let snap = s();
                    match snap.gpu {
                        Some(gpus) if !gpus.is_empty() => view! {
                            <table class="table">
                                <thead><tr><th>"GPU"</th><th>"Use"</th><th>"Memory"</th><th>"Temp"</th><th>"Power"</th></tr></thead>
                                <tbody>
                                    {gpus.into_iter().map(|g| view! {
                                        <tr>
                                            <td>{format!("{} · {}", g.index, g.name)}</td>
                                            <td>{format!("{} %", g.utilization_percent)}</td>
                                            <td>{format!("{} / {}", bytes(g.memory_used_bytes), bytes(g.memory_total_bytes))}</td>
                                            <td>{g.temperature_c.map(|t| format!("{t} °C")).unwrap_or_else(|| "—".into())}</td>
                                            <td>{g.power_watts.map(|w| format!("{w:.0} W")).unwrap_or_else(|| "—".into())}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Some(_) => view! { <p class="muted">"The NVIDIA driver reports no GPUs."</p> }.into_any(),
                        None => view! {
                            <p class="muted">"No GPU metrics: "{snap.gpu_unavailable_reason.unwrap_or_default()}</p>
                        }.into_any(),
                    }
                }}
            </section>
        </div>
    }
}

#[component]
fn Stat(label: &'static str, value: Signal<String>, detail: Signal<String>) -> impl IntoView {
    view! {
        <section class="card stat">
            <p class="stat-label">{label}</p>
            <p class="stat-value">{move || value.get()}</p>
            <p class="stat-detail">{move || detail.get()}</p>
        </section>
    }
}
