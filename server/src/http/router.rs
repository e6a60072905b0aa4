//! Every route on one screen. REST routes are registered through utoipa-axum, so the OpenAPI
//! document is generated from the same list that routes requests: a route cannot exist
//! undocumented, and each declares its permission as a security scope (`[]` = any signed-in
//! caller, no `security` = public).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use ops_app::{App, shell};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{docs, health, mw, sse, v1};
use crate::state::AppState;

/// The built site's assets, sent precompressed (brotli, gzip) when the build made those files,
/// and revalidated on each load (file names carry no hash, so a cached copy could be stale).
fn assets(site: &std::path::Path) -> Router<AppState> {
    let dir = |sub: &str| {
        ServeDir::new(site.join(sub))
            .precompressed_br()
            .precompressed_gzip()
    };
    Router::new()
        .nest_service("/pkg", dir("pkg"))
        .nest_service("/swagger", dir("swagger"))
        .route_service(
            "/echarts.min.js",
            ServeFile::new(site.join("echarts.min.js"))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
}

/// A route that accepts bodies up to `bytes` (axum's default is 2 MiB).
fn with_body_limit(
    (schemas, paths, method): utoipa_axum::router::UtoipaMethodRouter<AppState>,
    bytes: usize,
) -> utoipa_axum::router::UtoipaMethodRouter<AppState> {
    (
        schemas,
        paths,
        method.layer(axum::extract::DefaultBodyLimit::max(bytes)),
    )
}

pub fn router(state: AppState) -> Router {
    let (rest, openapi) = OpenApiRouter::with_openapi(docs::ApiDoc::openapi())
        // auth
        .routes(routes!(v1::auth::login))
        .routes(routes!(v1::auth::logout))
        .routes(routes!(v1::auth::me))
        .routes(routes!(v1::auth::session))
        .routes(routes!(v1::auth::mfa_verify))
        .routes(routes!(v1::mail::forgot))
        .routes(routes!(v1::mail::reset))
        .routes(routes!(v1::mail::registration))
        .routes(routes!(v1::mail::register))
        .routes(routes!(v1::mail::verify_email))
        // single sign-on
        .routes(routes!(v1::sso::login))
        .routes(routes!(v1::sso::callback))
        .routes(routes!(v1::sso::logout, v1::sso::logout_post))
        .routes(routes!(v1::sso::buttons))
        .routes(routes!(v1::sso::identities))
        .routes(routes!(v1::sso::unlink))
        .routes(routes!(v1::sso::list, v1::sso::create))
        .routes(routes!(v1::sso::get, v1::sso::update, v1::sso::delete))
        .routes(routes!(v1::sso::check))
        .routes(routes!(v1::sso::admin_unlink))
        // organisations
        .routes(routes!(v1::org::roles))
        .routes(routes!(v1::org::create))
        .routes(routes!(v1::org::mine))
        .routes(routes!(v1::org::all))
        .routes(routes!(v1::org::joinable))
        .routes(routes!(v1::org::join))
        .routes(routes!(v1::org::get, v1::org::delete))
        .routes(routes!(v1::org::settings, v1::org::update))
        .routes(routes!(v1::org::status))
        .routes(routes!(v1::org::stats))
        .routes(with_body_limit(
            routes!(v1::org::logo, v1::org::logo_upload, v1::org::logo_remove),
            ops_auth::avatar::MAX_BYTES + 64 * 1024,
        ))
        .routes(routes!(v1::org::members))
        .routes(routes!(v1::org::member_role))
        .routes(routes!(v1::org::member_remove))
        .routes(routes!(v1::org::invitations, v1::org::invite))
        .routes(routes!(v1::org::invite_resend))
        .routes(routes!(v1::org::invite_revoke))
        .routes(routes!(v1::org::invite_preview))
        .routes(routes!(v1::org::invite_accept))
        .routes(routes!(v1::org::invite_sign_up))
        .routes(routes!(v1::org::current))
        .routes(routes!(v1::org::switch))
        // the caller's own account
        .routes(routes!(v1::profile::get, v1::profile::update))
        .routes(routes!(v1::profile::change_password))
        .routes(with_body_limit(
            routes!(v1::profile::avatar_upload, v1::profile::avatar_remove),
            ops_auth::avatar::MAX_BYTES + 64 * 1024,
        ))
        .routes(routes!(v1::profile::avatar_get))
        .routes(routes!(v1::profile::password_policy))
        .routes(routes!(v1::mfa::status))
        .routes(routes!(v1::mfa::setup))
        .routes(routes!(v1::mfa::enable))
        .routes(routes!(v1::mfa::disable))
        .routes(routes!(v1::mfa::recovery_codes))
        .routes(routes!(
            v1::profile::notifications_get,
            v1::profile::notifications_put
        ))
        .routes(routes!(v1::profile::webhook_secret_rotate))
        .routes(routes!(v1::inbox::list))
        .routes(routes!(v1::inbox::read))
        .routes(routes!(v1::inbox::read_all))
        // setup
        .routes(routes!(v1::setup::status))
        .routes(routes!(v1::setup::create_admin))
        // API keys
        .routes(routes!(v1::api_keys::list, v1::api_keys::create))
        .routes(routes!(v1::api_keys::revoke))
        .routes(routes!(v1::api_keys::rotate))
        .routes(routes!(v1::api_keys::limits))
        // sessions
        .routes(routes!(v1::sessions::list))
        .routes(routes!(v1::sessions::revoke))
        .routes(routes!(v1::sessions::revoke_others))
        // system
        .routes(routes!(v1::system::metrics))
        .routes(routes!(sse::metrics::stream))
        // admin
        .routes(routes!(v1::admin::users::list, v1::admin::users::create))
        .routes(routes!(v1::admin::users::export))
        .routes(routes!(v1::admin::users::roles))
        .routes(routes!(v1::admin::users::analytics))
        .routes(routes!(v1::admin::users::bulk_assign_roles))
        .routes(routes!(v1::admin::users::bulk_suspend))
        .routes(routes!(v1::admin::users::bulk_set_tier))
        .routes(routes!(v1::admin::users::tiers))
        .routes(routes!(v1::admin::users::bulk_delete))
        .routes(with_body_limit(
            routes!(v1::admin::imports::start),
            v1::admin::imports::MAX_BYTES,
        ))
        .routes(routes!(v1::admin::imports::get))
        .routes(routes!(v1::admin::imports::report))
        .routes(routes!(v1::admin::imports::stream))
        .routes(routes!(
            v1::admin::users::get,
            v1::admin::users::update,
            v1::admin::users::delete
        ))
        .routes(routes!(v1::admin::users::suspend))
        .routes(routes!(v1::admin::users::activate))
        .routes(routes!(v1::admin::users::activity))
        .routes(routes!(v1::admin::users::api_keys))
        .routes(routes!(v1::admin::users::revoke_api_key))
        .routes(routes!(v1::admin::users::user_role))
        .routes(routes!(v1::admin::users::send_invite))
        .routes(routes!(v1::mfa::admin_reset))
        .routes(routes!(v1::admin::impersonation::start))
        .routes(routes!(v1::admin::impersonation::stop))
        .routes(routes!(v1::mfa::policy, v1::mfa::set_policy))
        .routes(routes!(
            v1::admin::sessions::list,
            v1::admin::sessions::revoke_all
        ))
        .routes(routes!(v1::admin::sessions::revoke))
        // settings
        .routes(routes!(v1::mail::get, v1::mail::put))
        .routes(routes!(v1::mail::test))
        .routes(routes!(v1::mail::set_registration))
        // audit log
        .routes(routes!(v1::audit::list))
        .routes(routes!(v1::audit::stats))
        .routes(routes!(v1::audit::actions))
        .routes(routes!(v1::audit::export))
        .routes(routes!(v1::audit::verify))
        // money
        .routes(routes!(v1::credits::balance))
        .routes(routes!(v1::credits::transactions))
        .routes(routes!(v1::credits::allocate))
        .routes(routes!(v1::credits::deduct))
        .routes(routes!(v1::credits::ledger_check))
        .routes(routes!(v1::credits::accounts))
        .routes(routes!(v1::codes::create))
        .routes(routes!(v1::codes::list))
        .routes(routes!(v1::codes::revoke))
        .routes(routes!(v1::codes::export_codes))
        .routes(routes!(v1::codes::validate))
        .routes(routes!(v1::codes::redeem))
        .routes(routes!(
            v1::subscriptions::list_plans,
            v1::subscriptions::create_plan
        ))
        .routes(routes!(
            v1::subscriptions::get_plan,
            v1::subscriptions::update_plan,
            v1::subscriptions::delete_plan
        ))
        .routes(routes!(v1::subscriptions::services))
        .routes(routes!(v1::subscriptions::current))
        .routes(routes!(v1::subscriptions::my_access))
        .routes(routes!(v1::subscriptions::check_access))
        .routes(routes!(v1::subscriptions::preview_change))
        .routes(routes!(v1::subscriptions::change))
        .routes(routes!(v1::subscriptions::upgrade))
        .routes(routes!(v1::subscriptions::downgrade))
        .routes(routes!(v1::subscriptions::cancel))
        .routes(routes!(v1::subscriptions::reactivate))
        .routes(routes!(v1::subscriptions::history))
        .routes(routes!(v1::admin::subscriptions::list))
        .routes(routes!(v1::admin::subscriptions::overview))
        .routes(routes!(v1::admin::subscriptions::by_plan))
        .routes(routes!(v1::admin::subscriptions::export))
        .routes(routes!(v1::admin::subscriptions::get))
        .routes(routes!(v1::admin::subscriptions::suspend))
        .routes(routes!(v1::admin::subscriptions::reactivate))
        .routes(routes!(v1::admin::subscriptions::reset_usage))
        .routes(routes!(v1::stripe::receive))
        .routes(routes!(v1::stripe::get_settings, v1::stripe::put_settings))
        .routes(routes!(v1::billing::refund))
        .routes(routes!(v1::billing::invoices))
        .routes(routes!(v1::billing::get_invoice))
        .routes(routes!(v1::billing::download))
        .routes(routes!(v1::billing::cycle))
        .routes(routes!(v1::billing::summary))
        .routes(routes!(
            v1::billing::get_settings,
            v1::billing::put_settings
        ))
        .routes(routes!(v1::payments::list, v1::payments::save))
        .routes(routes!(v1::payments::setup))
        .routes(routes!(v1::payments::set_default))
        .routes(routes!(v1::payments::remove))
        .routes(routes!(v1::payments::portal))
        .routes(routes!(v1::payments::plan_checkout))
        .routes(routes!(v1::payments::outcome))
        .routes(routes!(v1::payments::packs))
        .routes(routes!(v1::payments::save_packs))
        .routes(routes!(v1::payments::purchase))
        .routes(routes!(v1::payments::get_topup, v1::payments::put_topup))
        .routes(routes!(v1::usage::log))
        .routes(routes!(v1::usage::current))
        .routes(routes!(v1::usage::by_service))
        .routes(routes!(v1::usage::limits))
        .routes(routes!(v1::usage::history))
        .routes(routes!(v1::usage::export))
        // AI gateway catalogue
        .routes(routes!(v1::llm::providers, v1::llm::create_provider))
        .routes(routes!(v1::llm::update_provider, v1::llm::delete_provider))
        .routes(routes!(v1::llm::test_provider))
        .routes(routes!(v1::llm::catalogue, v1::llm::create_model))
        .routes(routes!(v1::llm::update_model, v1::llm::delete_model))
        .routes(routes!(v1::llm::offers))
        .routes(routes!(v1::llm::get_settings, v1::llm::put_settings))
        .routes(routes!(v1::llm::get_status))
        .routes(routes!(v1::llm_usage::overview))
        .routes(routes!(v1::llm_usage::by_model))
        .routes(routes!(v1::llm_usage::by_user))
        .routes(routes!(v1::llm_usage::by_org))
        .routes(routes!(v1::llm_usage::by_key))
        .routes(routes!(v1::llm_usage::by_provider))
        .routes(routes!(v1::llm_usage::export))
        .routes(routes!(v1::llm_usage::requests))
        .routes(routes!(v1::byok::providers))
        .routes(routes!(v1::byok::list))
        .routes(routes!(v1::byok::add))
        .routes(routes!(v1::byok::test))
        .routes(routes!(v1::byok::policy))
        .routes(routes!(v1::byok::delete))
        .routes(routes!(v1::byok::stats))
        // infrastructure
        .routes(routes!(health::get))
        .split_for_parts();
    let openapi = std::sync::Arc::new(openapi);

    let leptos = state.leptos.clone();
    let routes = generate_route_list(App);
    let ui_state = state.ui();
    let sessions = SessionManagerLayer::new(ops_auth::DbSessionStore::new(state.db.clone()))
        .with_name("ops_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.settings.secure_cookies())
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::minutes(
                state.settings.session_idle_minutes as i64,
            ),
        ));

    let console = Router::new()
        .merge(rest)
        .merge(assets(&state.settings.site_dir))
        .route("/api/openapi.json", get(docs::openapi_json))
        .route("/api/docs", get(docs::page))
        .route("/api/v1/{*rest}", axum::routing::any(mw::api_not_found))
        .layer(axum::Extension(openapi))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(ui_state.clone()),
            move || shell(leptos.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(
            // Outermost first.
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(mw::span))
                .layer(PropagateRequestIdLayer::x_request_id())
                // Outside the error rendering, which must read bodies uncompressed.
                .layer(CompressionLayer::new())
                .layer(axum::middleware::from_fn(mw::render_errors))
                // A panic answers 500 (rendered and logged above) instead of dropping the connection.
                .layer(CatchPanicLayer::new())
                .layer(axum::middleware::from_fn(mw::security_headers))
                .layer(sessions)
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    mw::resolve_auth,
                )),
        );
    Router::new()
        // The model endpoints, with their own lean stack (see `openai`).
        .merge(super::openai::router())
        .merge(console)
        .with_state(state)
}
