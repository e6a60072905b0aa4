//! Route-level code splitting. Every page but `/login` is a lazy route: in the browser its code
//! sits in WASM chunks (cut by `ops-site-split` at each area's `#[lazy]` fn) fetched when the
//! route is first shown, and the server adds preload links for the chunks of the page it
//! renders. The first page a visitor sees therefore loads only the router, the sign-in form and
//! what they share; the console's pages come in six areas (shell, dashboard, account,
//! organisation, administration, the other public pages): more areas meant more, smaller files
//! and no fewer bytes per page (measured with `make bench`).

use leptos::prelude::*;
use leptos_router::LazyRoute;

use crate::components::shell::Shell;
use crate::pages::account::{
    api_keys::ApiKeysPage, credits::CreditsPage, inbox::InboxPage, invoices::InvoicesPage,
    notifications::NotificationsPage, orgs::OrgsPage, payment_methods::PaymentMethodsPage,
    plan::PlanPage, profile::ProfilePage, provider_keys::ProviderKeysPage, security::SecurityPage,
    usage::UsagePage,
};
use crate::pages::admin::{
    ai_usage::AiUsagePage, audit::AuditPage, codes::CodesPage, gateway::GatewayPage,
    orgs::AllOrgsPage, plans::PlansPage, revenue::RevenuePage, settings::SettingsPage,
    subscription_detail::SubscriptionDetailPage, subscriptions::SubscriptionsPage,
    user_detail::UserDetailPage, users::UsersPage,
};
use crate::pages::{
    dashboard::DashboardPage, forgot_password::ForgotPasswordPage, invite::InvitePage,
    login_mfa::LoginMfaPage, org::OrgPage, org::credits::OrgCreditsPage, org::plan::OrgPlanPage,
    register::RegisterPage, reset_password::ResetPasswordPage, setup::SetupPage,
    verify_email::VerifyEmailPage,
};

/// `area!(name, preload_name: Route => Page, …)` puts the pages of one area of the app behind a single split
/// point, the `#[lazy]` fn `name`, and declares each `Route` as a lazy route drawing its `Page`
/// through it. `preload_name` is the loader `#[lazy]` makes for `name` in the browser: the router
/// awaits it before hydrating, so the page's view is ready when hydration reaches it. Fewer, larger split points mean fewer chunks to fetch per page (each distinct set
/// of split points sharing code becomes a chunk of its own) and better compression.
macro_rules! area {
    ($area:ident, $preload:ident: $($route:ident => $page:ident),+ $(,)?) => {
        #[lazy]
        fn $area(route: &'static str) -> AnyView {
            match route {
                $(stringify!($route) => view! { <$page /> }.into_any(),)+
                _ => ().into_any(),
            }
        }
        $(
            #[doc = concat!("The lazily loaded [`", stringify!($page), "`].")]
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_this: Self) -> AnyView {
                    $area(stringify!($route)).await
                }

                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $preload().await;
                }
            }
        )+
    };
}

area! { public_pages, __preload_public_pages:
    LoginMfa => LoginMfaPage,
    ForgotPassword => ForgotPasswordPage,
    ResetPassword => ResetPasswordPage,
    Register => RegisterPage,
    VerifyEmail => VerifyEmailPage,
    Setup => SetupPage,
    Invite => InvitePage,
}
area! { shell_layout, __preload_shell_layout: ShellLayout => Shell }
area! { dashboard_page, __preload_dashboard_page: Dashboard => DashboardPage }
area! { account_pages, __preload_account_pages:
    Profile => ProfilePage,
    ApiKeys => ApiKeysPage,
    Security => SecurityPage,
    Notifications => NotificationsPage,
    Orgs => OrgsPage,
    Inbox => InboxPage,
    Credits => CreditsPage,
    AccountPlan => PlanPage,
    Usage => UsagePage,
    Invoices => InvoicesPage,
    PaymentMethods => PaymentMethodsPage,
    ProviderKeys => ProviderKeysPage,
}
area! { org_pages, __preload_org_pages:
    Org => OrgPage,
    OrgCredits => OrgCreditsPage,
    OrgPlan => OrgPlanPage,
}
area! { admin_pages, __preload_admin_pages:
    AllOrgs => AllOrgsPage,
    Users => UsersPage,
    UserDetail => UserDetailPage,
    Audit => AuditPage,
    Settings => SettingsPage,
    Plans => PlansPage,
    Subscriptions => SubscriptionsPage,
    SubscriptionDetail => SubscriptionDetailPage,
    Revenue => RevenuePage,
    Codes => CodesPage,
    Gateway => GatewayPage,
    AiUsage => AiUsagePage,
}
