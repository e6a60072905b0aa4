//! Error and notice boxes.

use leptos::prelude::*;
use ops_types::ApiError;

/// Shows an API error in words a person understands.
#[component]
pub fn ErrorBox(error: ApiError) -> impl IntoView {
    let text = match error.code {
        ops_types::ErrorCode::RateLimited => match error.retry_after {
            Some(s) => format!(
                "Too many failed attempts. Try again in {} minute(s).",
                s.div_ceil(60)
            ),
            None => error.message.clone(),
        },
        ops_types::ErrorCode::Internal => {
            "Something went wrong on the server. Try again; if it persists, check the server log."
                .to_string()
        }
        _ => capitalise(&error.message),
    };
    view! { <div class="alert error" role="alert">{text}</div> }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
