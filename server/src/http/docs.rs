//! `GET /api/openapi.json` (generated from the route table) and `GET /api/docs`, an offline
//! Swagger UI served from the site folder (installed from the npm registry by the build).

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::response::Html;
use utoipa::Modify;
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Ops-Center API", description = "REST API of Ops-Center. Authenticate with the \
        session cookie (browser) or `Authorization: Bearer <API key>`. The security scope of each \
        operation names the permission it needs; an empty scope list means any signed-in caller."),
    modifiers(&Security),
    tags((name = "auth"), (name = "account"), (name = "setup"), (name = "api-keys"), (name = "sessions"), (name = "system"), (name = "admin"), (name = "audit"), (name = "billing"), (name = "gateway"), (name = "settings"))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "ops_session",
                "Session cookie set by /api/v1/auth/login",
            ))),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("opc_…")
                    .build(),
            ),
        );
    }
}

pub async fn openapi_json(Extension(doc): Extension<Arc<Document>>) -> Json<Document> {
    Json((*doc).clone())
}

pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ops-Center API</title><link rel="icon" href="/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/swagger/swagger-ui.css"></head>
<body><div id="docs"></div>
<script src="/swagger/swagger-ui-bundle.js"></script>
<script src="/swagger/init.js"></script>
</body></html>"#;
