//! Host metrics from sysinfo: CPU, load, memory, disks, network rates, uptime.

use std::time::Instant;

use ops_types::{
    CpuMetrics, DiskMetrics, InterfaceMetrics, LoadAverage, MemoryMetrics, MetricsSnapshot,
    NetworkMetrics,
};
use sysinfo::{CpuRefreshKind, Disks, MemoryRefreshKind, Networks, RefreshKind, System};

pub struct Host {
    sys: System,
    disks: Disks,
    networks: Networks,
    last_net: Instant,
    hostname: String,
}

impl Host {
    pub fn new() -> Result<Host, sysinfo::Error> {
        let sys = System::new_with_specifics(
            RefreshKind::nothing()
                .with_cpu(CpuRefreshKind::nothing().with_usage())
                .with_memory(MemoryRefreshKind::everything()),
        )?;
        Ok(Host {
            sys,
            disks: Disks::new_with_refreshed_list()?,
            networks: Networks::new_with_refreshed_list()?,
            last_net: Instant::now(),
            hostname: System::host_name().unwrap_or_default(),
        })
    }

    pub fn sample(&mut self) -> MetricsSnapshot {
        self.sys.refresh_cpu_usage();
        self.sys.refresh_memory();
        self.disks.refresh(true);
        self.networks.refresh(true);
        let elapsed = self.last_net.elapsed().as_secs_f64().max(0.001);
        self.last_net = Instant::now();

        let cpus = self.sys.cpus();
        let cpu = CpuMetrics {
            total: self.sys.global_cpu_usage(),
            per_core: cpus.iter().map(|c| c.usage()).collect(),
            cores: cpus.len(),
            brand: cpus
                .first()
                .map(|c| c.brand().trim().to_string())
                .unwrap_or_default(),
        };
        let load = System::load_average().unwrap_or(sysinfo::LoadAvg {
            one: 0.0,
            five: 0.0,
            fifteen: 0.0,
        });
        let memory = MemoryMetrics {
            total_bytes: self.sys.total_memory(),
            used_bytes: self.sys.used_memory(),
            available_bytes: self.sys.available_memory(),
            swap_total_bytes: self.sys.total_swap(),
            swap_used_bytes: self.sys.used_swap(),
        };
        let disks = self
            .disks
            .iter()
            .map(|d| DiskMetrics {
                mount: d.mount_point().display().to_string(),
                fs: d.file_system().to_string_lossy().to_string(),
                total_bytes: d.total_space(),
                available_bytes: d.available_space(),
            })
            .collect();
        let rate = |bytes: u64| (bytes as f64 / elapsed).round() as u64;
        let mut interfaces: Vec<InterfaceMetrics> = self
            .networks
            .iter()
            .map(|(name, data)| InterfaceMetrics {
                name: name.to_string_lossy().to_string(),
                rx_bytes_per_sec: rate(data.received()),
                tx_bytes_per_sec: rate(data.transmitted()),
                rx_total_bytes: data.total_received(),
                tx_total_bytes: data.total_transmitted(),
            })
            .collect();
        interfaces.sort_by(|a, b| a.name.cmp(&b.name));
        let external = interfaces.iter().filter(|i| i.name != "lo");
        let network = NetworkMetrics {
            rx_bytes_per_sec: external.clone().map(|i| i.rx_bytes_per_sec).sum(),
            tx_bytes_per_sec: external.map(|i| i.tx_bytes_per_sec).sum(),
            interfaces,
        };
        MetricsSnapshot {
            at: now_ms(),
            hostname: self.hostname.clone(),
            uptime_secs: System::uptime().unwrap_or(0),
            cpu,
            load: LoadAverage {
                one: load.one,
                five: load.five,
                fifteen: load.fifteen,
            },
            memory,
            disks,
            network,
            gpu: None,
            gpu_unavailable_reason: None,
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
