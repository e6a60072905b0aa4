//! "Import from CSV": choose a file, see the dry run per row, import, watch the progress bar,
//! download the result report.

use leptos::prelude::*;
use ops_types::{ImportAction, ImportReport};

use crate::browser::{Follow, follow, read_chosen_file};
use crate::components::alert::ErrorBox;
use crate::server::admin::{PlanImport, RunImport, import_status};

/// Rows shown in the preview; the downloadable report has them all.
const SHOWN: usize = 200;

#[component]
pub fn ImportCard(on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let csv = RwSignal::new(None::<String>);
    let read_error = RwSignal::new(None::<String>);
    let plan = ServerAction::<PlanImport>::new();
    let run = ServerAction::<RunImport>::new();
    let progress = RwSignal::new((0_i64, 0_i64, String::new()));
    let job_id = move || run.value().get().and_then(|r| r.ok()).map(|j| j.id);
    let finished = Resource::new(
        move || {
            (
                job_id(),
                progress.get().2 == "done" || progress.get().2 == "failed",
            )
        },
        |(id, over)| async move {
            match (id, over) {
                (Some(id), true) => import_status(id).await.map(Some),
                _ => Ok(None),
            }
        },
    );
    // Follow the job while the page is open; the stream ends itself when the job does.
    Effect::new(move |stream: Option<Option<Follow>>| {
        let id = job_id()?;
        if let Some(Some(s)) = stream {
            return Some(s);
        }
        follow(
            &format!("/api/v1/stream/imports/{id}"),
            "progress",
            move |text| {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                    let n = |k: &str| v[k].as_i64().unwrap_or(0);
                    progress.set((
                        n("done"),
                        n("total"),
                        v["status"].as_str().unwrap_or("").to_string(),
                    ));
                    if v["status"] != "running" {
                        on_done();
                    }
                }
            },
            |_| {},
        )
    });
    let choose = move |ev: leptos::ev::Event| {
        read_chosen_file(&ev, move |r| match r {
            Ok(text) => {
                read_error.set(None);
                csv.set(Some(text.clone()));
                plan.dispatch(PlanImport { csv: text });
            }
            Err(e) => read_error.set(Some(e)),
        });
    };
    view! {
        <section class="card" data-testid="import">
            <h3>"Import users from CSV"</h3>
            <p class="muted">"Columns: " <code>"email"</code> " (required), " <code>"display_name"</code> ", " <code>"role"</code>
                " (viewer, analyst, developer, moderator), " <code>"password"</code> ". Up to 10,000 rows. You see what each row will do before anything changes."</p>
            <input type="file" accept=".csv,text/csv" data-testid="import-file" on:change=choose />
            {move || read_error.get().map(|e| view! { <div class="alert error">{e}</div> })}
            {move || plan.value().get().map(|r| match r {
                Ok(report) => {
                    let ready = report.create + report.update > 0;
                    view! {
                        <Preview report=report />
                        {move || (run.value().get().is_none() && ready).then(|| view! {
                            <button class="button primary" data-testid="import-run" disabled=move || run.pending().get()
                                on:click=move |_| if let Some(text) = csv.get_untracked() { run.dispatch(RunImport { csv: text }); }>
                                "Import"
                            </button>
                        })}
                    }.into_any()
                }
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
            {move || run.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            {move || job_id().map(|id| {
                let (done, total, status) = progress.get();
                let pct = if total > 0 { done * 100 / total } else { 0 };
                view! {
                    <div class="progress" data-testid="import-progress" data-status=status.clone()>
                        <div class="progress-bar" style=format!("width: {pct}%")></div>
                    </div>
                    <p class="muted">{format!("{done} of {total} rows ({status})")}</p>
                    <Suspense>
                        {move || {
                            let id = id.clone();
                            Suspend::new(async move {
                                match finished.await {
                                    Ok(Some(job)) => job.report.map(|r| view! {
                                        <div class="alert success" data-testid="import-done">
                                            {format!("Imported: {} created, {} updated, {} skipped, {} refused.", r.create, r.update, r.skip, r.error)}
                                            " " <a href=format!("/api/v1/admin/imports/{id}/report") data-testid="import-report">"Download the result report"</a>
                                        </div>
                                    }).into_any(),
                                    Ok(None) => ().into_any(),
                                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                                }
                            })
                        }}
                    </Suspense>
                }
            })}
        </section>
    }
}

#[component]
fn Preview(report: ImportReport) -> impl IntoView {
    let more = report.rows.len().saturating_sub(SHOWN);
    view! {
        <p data-testid="import-plan">
            {format!("Dry run: {} to create, {} to update, {} unchanged, {} with errors.", report.create, report.update, report.skip, report.error)}
        </p>
        <table class="table compact" data-testid="import-rows">
            <thead><tr><th>"Line"</th><th>"Email"</th><th>"Result"</th><th>"Why"</th></tr></thead>
            <tbody>
                {report.rows.into_iter().take(SHOWN).map(|r| {
                    let class = match r.action {
                        ImportAction::Error => "badge danger",
                        _ => "badge",
                    };
                    view! {
                        <tr data-action=r.action.as_str()>
                            <td class="num">{r.line}</td>
                            <td>{r.email}</td>
                            <td><span class=class>{r.action.as_str()}</span></td>
                            <td>{r.message.unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {(more > 0).then(|| view! { <p class="muted">{format!("…and {more} more rows.")}</p> })}
    }
}
