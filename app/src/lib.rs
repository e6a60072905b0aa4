//! The Leptos UI: the HTML shell, the router, pages, components and thin `#[server]` fns.
//! Server-only code sits behind the `ssr` feature (server fn bodies and `server::UiState`);
//! browser-only calls live in `browser.rs`. This crate has no default features.

pub mod browser;
pub mod components;
pub mod pages;
pub mod server;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use components::shell::Shell;
use pages::account::{
    api_keys::ApiKeysPage, inbox::InboxPage, notifications::NotificationsPage, orgs::OrgsPage,
    profile::ProfilePage, security::SecurityPage,
};
use pages::admin::{
    audit::AuditPage, orgs::AllOrgsPage, settings::SettingsPage, user_detail::UserDetailPage,
    users::UsersPage,
};
use pages::{
    dashboard::DashboardPage, forgot_password::ForgotPasswordPage, invite::InvitePage,
    login::LoginPage, login_mfa::LoginMfaPage, not_found::NotFound, org::OrgPage,
    register::RegisterPage, reset_password::ResetPasswordPage, setup::SetupPage,
    verify_email::VerifyEmailPage,
};

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
                <Route path=path!("/login/mfa") view=LoginMfaPage />
                <Route path=path!("/forgot-password") view=ForgotPasswordPage />
                <Route path=path!("/reset-password") view=ResetPasswordPage />
                <Route path=path!("/register") view=RegisterPage />
                <Route path=path!("/verify-email") view=VerifyEmailPage />
                <Route path=path!("/setup") view=SetupPage />
                <Route path=path!("/invite/:token") view=InvitePage />
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=DashboardPage />
                    <Route path=path!("account/profile") view=ProfilePage />
                    <Route path=path!("account/api-keys") view=ApiKeysPage />
                    <Route path=path!("account/security") view=SecurityPage />
                    <Route path=path!("account/notifications") view=NotificationsPage />
                    <Route path=path!("account/organizations") view=OrgsPage />
                    <Route path=path!("account/inbox") view=InboxPage />
                    <Route path=path!("org/:id") view=OrgPage />
                    <Route path=path!("admin/organizations") view=AllOrgsPage />
                    <Route path=path!("admin/users") view=UsersPage />
                    <Route path=path!("admin/users/:id") view=UserDetailPage />
                    <Route path=path!("admin/audit") view=AuditPage />
                    <Route path=path!("admin/settings") view=SettingsPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
