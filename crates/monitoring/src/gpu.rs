//! NVIDIA GPUs through NVML. The library is loaded at run time: without a driver, `init`
//! fails with a reason and the snapshot carries `gpu: null` plus that reason.

use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::TemperatureSensor;
use ops_types::GpuMetrics;

pub struct Gpus {
    nvml: Result<Nvml, String>,
}

impl Gpus {
    pub fn init() -> Gpus {
        let nvml = Nvml::init().map_err(|e| {
            let reason = format!("no NVIDIA driver: {e}");
            tracing::info!("{reason}; GPU metrics off");
            reason
        });
        Gpus { nvml }
    }

    pub fn sample(&mut self) -> Result<Vec<GpuMetrics>, String> {
        let nvml = self.nvml.as_ref().map_err(Clone::clone)?;
        let count = nvml
            .device_count()
            .map_err(|e| format!("NVML device count: {e}"))?;
        let mut out = Vec::with_capacity(count as usize);
        for index in 0..count {
            let dev = nvml
                .device_by_index(index)
                .map_err(|e| format!("NVML device {index}: {e}"))?;
            let mem = dev.memory_info().ok();
            out.push(GpuMetrics {
                index,
                name: dev.name().unwrap_or_else(|_| format!("GPU {index}")),
                utilization_percent: dev.utilization_rates().map(|u| u.gpu).unwrap_or(0),
                memory_used_bytes: mem.as_ref().map(|m| m.used).unwrap_or(0),
                memory_total_bytes: mem.as_ref().map(|m| m.total).unwrap_or(0),
                temperature_c: dev.temperature(TemperatureSensor::Gpu).ok(),
                power_watts: dev.power_usage().ok().map(|mw| mw as f64 / 1000.0),
            });
        }
        Ok(out)
    }
}
