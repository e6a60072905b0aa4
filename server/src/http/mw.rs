//! Middleware: request span, the auth resolver (runs once, never fails), the cross-origin
//! check, sign-in redirects for pages, error rendering and security headers.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use ops_auth::{AuthCtx, ClientIp, HttpError, Resolved, api_keys, sessions};
use ops_types::{ApiError, ErrorCode};
use tower_sessions::Session;

use crate::state::AppState;

/// The tracing span of a request, carrying its id.
pub fn span(req: &Request<Body>) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
}

/// Resolves the caller (Bearer API key first, then the session cookie) and stores the result;
/// then refuses cross-origin changes and sends signed-out visitors of pages to the login page.
pub async fn resolve_auth(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if is_static(req.uri().path()) {
        return next.run(req).await; // no identity needed: skip the session lookup
    }
    let ip = client_ip(&state, &req);
    let bearer = bearer(req.headers());
    let resolved: Result<AuthCtx, ApiError> = match &bearer {
        Some(key) => api_keys::authenticate(&state.db, key, ip.as_deref())
            .await
            .map_err(ApiError::from),
        None => match req.extensions().get::<Session>() {
            Some(session) => sessions::resolve(
                &state.db,
                session,
                state.session_absolute_ms(),
                ip.as_deref(),
            )
            .await
            .map_err(ApiError::from),
            None => Err(ApiError::unauthenticated()),
        },
    };

    if bearer.is_none() && is_unsafe(req.method()) && !same_origin(&state, req.headers()) {
        return HttpError(ApiError::new(
            ErrorCode::CrossOrigin,
            "cross-origin request refused: send it from this site or use an API key",
        ))
        .into_response();
    }

    let path = req.uri().path();
    if req.method() == Method::GET && is_page(path) {
        let public = matches!(
            path,
            "/login"
                | "/login/mfa"
                | "/setup"
                | "/forgot-password"
                | "/reset-password"
                | "/register"
                | "/verify-email"
        ) || path.starts_with("/invite/");
        if resolved.is_err() && !public {
            let next = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            return Redirect::to(&format!("/login?next={}", urlencode(next))).into_response();
        }
        if resolved.is_ok() && path == "/login" {
            return Redirect::to("/").into_response();
        }
        // A role that requires two-factor sign-in: nothing else until it is set up.
        if resolved.as_ref().is_ok_and(|c| c.mfa_missing) && path != "/account/security" {
            return Redirect::to("/account/security").into_response();
        }
    }

    req.extensions_mut().insert(ClientIp(ip));
    req.extensions_mut().insert(Resolved(resolved));
    next.run(req).await
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A request with no `Origin` (curl, server-to-server) passes; a browser's must match our
/// public URL or the host it addressed.
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return !matches!(
            headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
            Some("cross-site")
        );
    };
    if !state.settings.public_url.is_empty() && origin == state.settings.public_base() {
        return true;
    }
    let authority = origin.split_once("://").map(|(_, a)| a).unwrap_or("");
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| host == authority)
}

fn client_ip(state: &AppState, req: &Request) -> Option<String> {
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        // The proxy appends the address it saw; entries to its left are the client's say-so.
        .and_then(|v| v.rsplit(',').next())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if let Some(ip) = forwarded.filter(|_| state.settings.trust_proxy_headers) {
        return Some(ip);
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// Site assets: served as files, identical for everyone.
fn is_static(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/swagger/")
        || path == "/echarts.min.js"
        || path == "/favicon.svg"
}

/// Pages are what the Leptos router serves: not API, not assets.
fn is_page(path: &str) -> bool {
    const NOT_PAGES: [&str; 7] = [
        "/api/",
        "/auth/",
        "/pkg/",
        "/swagger/",
        "/v1/",
        "/healthz",
        "/metrics",
    ];
    !NOT_PAGES.iter().any(|p| path.starts_with(p))
        && !path.rsplit('/').next().unwrap_or("").contains('.')
}

pub(crate) fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Renders every API error as `{"error":{code,message,field?,request_id}}`: errors from our
/// handlers (carried as an `ApiError` extension) and axum's own plain-text rejections alike.
/// Adds `WWW-Authenticate` to 401 and `Retry-After` to 429; logs 5xx with the request id.
pub async fn render_errors(req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let is_api = req.uri().path().starts_with("/api/");
    let is_server_fn = req.uri().path().starts_with("/api/ui/");
    let res = next.run(req).await;
    let status = res.status();
    if is_server_fn {
        return server_fn_status(res).await;
    }
    if !status.is_client_error() && !status.is_server_error() {
        return res;
    }
    let api_error = res.extensions().get::<ApiError>().cloned();
    let mut error = match api_error {
        Some(e) => e,
        None if is_api && !is_json(res.headers()) => {
            let (parts, body) = res.into_parts();
            let text = axum::body::to_bytes(body, 64 * 1024)
                .await
                .unwrap_or_default();
            let mut e = ApiError::new(
                code_for(parts.status),
                String::from_utf8_lossy(&text).trim().to_string(),
            );
            if e.message.is_empty() {
                e.message = parts
                    .status
                    .canonical_reason()
                    .unwrap_or("error")
                    .to_lowercase();
            }
            if parts.status.is_server_error() {
                tracing::error!(status = %parts.status, message = %e.message, "server error");
                e.message = "internal error".into();
            }
            return envelope(parts.status, e, request_id);
        }
        None => return res,
    };
    // Our own failures are logged, not told; an upstream's (Stripe unreachable) is told.
    if status.is_server_error() && error.code != ErrorCode::Upstream {
        tracing::error!(status = %status, code = error.code.as_str(), "request failed");
        error.message = "internal error".into();
    }
    envelope(status, error, request_id)
}

/// Server functions answer every error with 500 and the serialised `ApiError`; give the
/// response the status its code stands for and `Retry-After` where it applies. Errors raised
/// before the server function ran (an `ApiError` extension, e.g. a cross-origin refusal) get
/// the body the Leptos client decodes.
async fn server_fn_status(res: Response) -> Response {
    if let Some(e) = res.extensions().get::<ApiError>().cloned() {
        let mut out = (res.status(), axum::Json(&e)).into_response();
        add_retry_after(out.headers_mut(), e.retry_after);
        return out;
    }
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .unwrap_or_default();
    if let Ok(e) = serde_json::from_slice::<ApiError>(&bytes) {
        parts.status =
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        add_retry_after(&mut parts.headers, e.retry_after);
        if parts.status.is_server_error() {
            tracing::error!(code = e.code.as_str(), "server function failed");
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn add_retry_after(headers: &mut HeaderMap, secs: Option<u64>) {
    if let Some(v) = secs.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        headers.insert(header::RETRY_AFTER, v);
    }
}

fn envelope(status: StatusCode, mut error: ApiError, request_id: Option<String>) -> Response {
    error.request_id = request_id;
    let retry_after = error.retry_after;
    let mut res = (status, axum::Json(serde_json::json!({ "error": error }))).into_response();
    let headers = res.headers_mut();
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"ops-center\""),
        );
    }
    add_retry_after(headers, retry_after);
    res
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json"))
}

fn code_for(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::Forbidden,
        404 | 405 => ErrorCode::NotFound,
        409 => ErrorCode::Conflict,
        422 => ErrorCode::Validation,
        429 => ErrorCode::RateLimited,
        503 => ErrorCode::Unavailable,
        s if s >= 500 => ErrorCode::Internal,
        _ => ErrorCode::BadRequest,
    }
}

/// Unknown `/api/v1/...` paths get the JSON envelope, not the HTML 404 page.
pub async fn api_not_found() -> HttpError {
    HttpError(ApiError::new(ErrorCode::NotFound, "no such API route"))
}

pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    res
}
