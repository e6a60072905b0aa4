//! A live line chart (charming → ECharts). The series come from a signal; the chart is drawn
//! in the browser once ECharts has loaded, then updated in place on each change.

use std::cell::RefCell;
use std::rc::Rc;

use charming::Chart;
use charming::component::{Axis, Grid, Legend};
use charming::element::{AreaStyle, AxisType, Tooltip, Trigger};
use charming::series::{Bar, Line};
use leptos::prelude::*;

use crate::browser::{ChartHandle, chart_ready, draw_chart, load_echarts};

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

/// A bar chart of one series over category labels.
pub fn bar_chart(labels: &[String], values: &[i64], name: &str) -> Chart {
    Chart::new()
        .animation(false)
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .grid(Grid::new().left("40").right("16").top("16").bottom("24"))
        .x_axis(Axis::new().type_(AxisType::Category).data(labels.to_vec()))
        .y_axis(Axis::new().type_(AxisType::Value).min(0))
        .series(Bar::new().name(name).data(values.to_vec()))
}

/// The chart drawn in the browser, kept by the effect between runs. Browser-only state lives
/// in the effect (which never runs on the server), not in a `StoredValue::new_local`, whose
/// storage must not be touched from another server thread.
type Handle = Rc<RefCell<Option<ChartHandle>>>;

/// ECharts is loaded on demand (only pages with charts load it) and the element may not be
/// attached yet, so the first draw may wait.
fn draw_when_ready(id: &'static str, option: Chart, handle: Handle, tries: u32) {
    if chart_ready(id) {
        draw_chart(id, &option, &mut handle.borrow_mut());
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
    Effect::new(move |handle: Option<Handle>| {
        let handle = handle.unwrap_or_default();
        load_echarts();
        draw_when_ready(id, chart.get(), handle.clone(), 50);
        handle
    });
    view! {
        <section class="card chart-card">
            <h3>{title}</h3>
            <div class="chart" id=id data-testid=id data-samples=move || samples.get().to_string()></div>
        </section>
    }
}
