//! A live line chart (charming → ECharts). The series come from a signal; the chart is drawn
//! in the browser once ECharts has loaded, then updated in place on each change.

use charming::Chart;
use charming::component::{Axis, Grid, Legend};
use charming::element::{AreaStyle, AxisType, Tooltip, Trigger};
use charming::series::Line;
use leptos::prelude::*;

use crate::browser::{ChartHandle, draw_chart, echarts_ready, load_echarts};

/// One named series of values.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: &'static str,
    pub values: Vec<f64>,
}

/// The chart option for time labels and series; `max` fixes the y-axis top (e.g. 100 for %).
pub fn line_chart(labels: &[String], series: &[Series], max: Option<f64>, unit: &str) -> Chart {
    let mut y = Axis::new().type_(AxisType::Value).min(0).name(unit);
    if let Some(max) = max {
        y = y.max(max);
    }
    let mut chart = Chart::new()
        .animation(false)
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().top("0"))
        .grid(Grid::new().left("48").right("16").top("32").bottom("24"))
        .x_axis(Axis::new().type_(AxisType::Category).data(labels.to_vec()))
        .y_axis(y);
    for s in series {
        chart = chart.series(
            Line::new()
                .name(s.name)
                .show_symbol(false)
                .area_style(AreaStyle::new().opacity(0.12))
                .data(s.values.clone()),
        );
    }
    chart
}

/// ECharts is loaded on demand (only pages with charts load it), so the first draw may wait.
fn draw_when_ready(
    id: &'static str,
    option: Chart,
    handle: StoredValue<Option<ChartHandle>, LocalStorage>,
    tries: u32,
) {
    if echarts_ready() {
        handle.update_value(|h| draw_chart(id, &option, h));
    } else if tries > 0 {
        set_timeout(
            move || draw_when_ready(id, option, handle, tries - 1),
            std::time::Duration::from_millis(100),
        );
    }
}

/// A chart box whose content follows `chart`.
#[component]
pub fn LiveChart(
    id: &'static str,
    title: &'static str,
    chart: Signal<Chart>,
    /// Number of samples drawn, exposed for tests and screen readers.
    samples: Signal<usize>,
) -> impl IntoView {
    let handle = StoredValue::new_local(None::<ChartHandle>);
    Effect::new(move |_| {
        load_echarts();
        let option = chart.get();
        draw_when_ready(id, option, handle, 50);
    });
    view! {
        <section class="card chart-card">
            <h3>{title}</h3>
            <div class="chart" id=id data-testid=id data-samples=move || samples.get().to_string()></div>
        </section>
    }
}
