//! The Leptos UI: the HTML shell, the router, pages, components and thin `#[server]` fns.
//! Server-only code sits behind the `ssr` feature (server fn bodies and `server::UiState`);
//! browser-only calls live in `browser.rs`. This crate has no default features.

pub mod browser;
pub mod components;
pub mod pages;
pub mod routes;
pub mod server;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{Lazy, path};

use pages::{login::LoginPage, not_found::NotFound};
use routes::*;

/// The HTML document around the app. The inline script sets the theme before first paint.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <script>{THEME_BOOT}</script>
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

const THEME_BOOT: &str = "try{var t=localStorage.getItem('ops-theme');if(!t){t=matchMedia('(prefers-color-scheme: dark)').matches?'dark':'light'}document.documentElement.dataset.theme=t}catch(e){}";

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/ops-center.css" />
        <Title formatter=|t: String| if t.is_empty() { "Ops-Center".to_string() } else { format!("{t} · Ops-Center") } />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/login/mfa") view={Lazy::<LoginMfa>::new()} />
                <Route path=path!("/forgot-password") view={Lazy::<ForgotPassword>::new()} />
                <Route path=path!("/reset-password") view={Lazy::<ResetPassword>::new()} />
                <Route path=path!("/register") view={Lazy::<Register>::new()} />
                <Route path=path!("/verify-email") view={Lazy::<VerifyEmail>::new()} />
                <Route path=path!("/setup") view={Lazy::<Setup>::new()} />
                <Route path=path!("/invite/:token") view={Lazy::<Invite>::new()} />
                <ParentRoute path=path!("") view={Lazy::<ShellLayout>::new()}>
                    <Route path=path!("") view={Lazy::<Dashboard>::new()} />
                    <Route path=path!("account/profile") view={Lazy::<Profile>::new()} />
                    <Route path=path!("account/api-keys") view={Lazy::<ApiKeys>::new()} />
                    <Route path=path!("account/security") view={Lazy::<Security>::new()} />
                    <Route path=path!("account/notifications") view={Lazy::<Notifications>::new()} />
                    <Route path=path!("account/organizations") view={Lazy::<Orgs>::new()} />
                    <Route path=path!("account/inbox") view={Lazy::<Inbox>::new()} />
                    <Route path=path!("account/credits") view={Lazy::<Credits>::new()} />
                    <Route path=path!("account/plan") view={Lazy::<AccountPlan>::new()} />
                    <Route path=path!("account/usage") view={Lazy::<Usage>::new()} />
                    <Route path=path!("account/invoices") view={Lazy::<Invoices>::new()} />
                    <Route path=path!("account/payment-methods") view={Lazy::<PaymentMethods>::new()} />
                    <Route path=path!("account/provider-keys") view={Lazy::<ProviderKeys>::new()} />
                    <Route path=path!("org/:id") view={Lazy::<Org>::new()} />
                    <Route path=path!("org/:id/credits") view={Lazy::<OrgCredits>::new()} />
                    <Route path=path!("org/:id/plan") view={Lazy::<OrgPlan>::new()} />
                    <Route path=path!("admin/organizations") view={Lazy::<AllOrgs>::new()} />
                    <Route path=path!("admin/users") view={Lazy::<Users>::new()} />
                    <Route path=path!("admin/users/:id") view={Lazy::<UserDetail>::new()} />
                    <Route path=path!("admin/audit") view={Lazy::<Audit>::new()} />
                    <Route path=path!("admin/settings") view={Lazy::<Settings>::new()} />
                    <Route path=path!("admin/plans") view={Lazy::<Plans>::new()} />
                    <Route path=path!("admin/subscriptions") view={Lazy::<Subscriptions>::new()} />
                    <Route path=path!("admin/subscriptions/:id") view={Lazy::<SubscriptionDetail>::new()} />
                    <Route path=path!("admin/revenue") view={Lazy::<Revenue>::new()} />
                    <Route path=path!("admin/gateway") view={Lazy::<Gateway>::new()} />
                    <Route path=path!("admin/ai-usage") view={Lazy::<AiUsage>::new()} />
                    <Route path=path!("admin/codes") view={Lazy::<Codes>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
