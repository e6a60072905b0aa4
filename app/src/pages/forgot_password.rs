//! `/forgot-password`: ask for a reset link by e-mail.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::alert::ErrorBox;
use crate::server::mail::RequestResetLink;

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let ask = ServerAction::<RequestResetLink>::new();
    view! {
        <Title text="Forgot your password" />
        <div class="center-page">
            <div class="card narrow">
                <h1 class="brand-title">"Ops-Center"</h1>
                {move || match ask.value().get() {
                    Some(Ok(())) => view! {
                        <p data-testid="reset-sent">"If an account uses that address, a link to set a new password is on its way. It works for one hour."</p>
                        <a href="/login">"Back to sign-in"</a>
                    }.into_any(),
                    other => view! {
                        <p class="muted">"Enter your account's e-mail address; we send you a link to set a new password."</p>
                        <ActionForm action=ask attr:class="form" attr:data-testid="forgot-form">
                            <label>"Email"
                                <input type="email" name="email" autocomplete="username" required autofocus />
                            </label>
                            {other.and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
                            <button type="submit" class="button primary" disabled=move || ask.pending().get()>"Send the link"</button>
                            <a href="/login">"Back to sign-in"</a>
                        </ActionForm>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}
