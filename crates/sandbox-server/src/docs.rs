//! The API's description: `/openapi.json` generated from the handlers and
//! the core's contract types (so it cannot drift from the code), Swagger UI
//! at `/docs` and ReDoc at `/redoc`.
//!
//! Both UIs work without internet access: Swagger UI's files are built into
//! the binary by `utoipa-swagger-ui`'s `vendored` feature, and ReDoc's
//! standalone bundle (`assets/redoc.standalone.js`, MIT, from the `redoc`
//! npm package 2.5.4) is included with `include_str!` and served at
//! `/redoc/redoc.standalone.js`.

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_redoc::{Redoc, Servable as _};
use utoipa_swagger_ui::SwaggerUi;

use crate::routes;
use crate::state::AppState;

/// Where ReDoc's bundle is served.
pub const REDOC_SCRIPT: &str = "/redoc/redoc.standalone.js";
const REDOC_JS: &str = include_str!("../assets/redoc.standalone.js");

/// ReDoc's page, loading the bundle from this server instead of a CDN and
/// without web fonts.
const REDOC_HTML: &str = r#"<!DOCTYPE html>
<html>
  <head>
    <title>sandbox-server API (ReDoc)</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <style>body { margin: 0; padding: 0; }</style>
  </head>
  <body>
    <div id="redoc-container"></div>
    <script src="/redoc/redoc.standalone.js"></script>
    <script>
      Redoc.init($spec, $config, document.getElementById("redoc-container"));
    </script>
  </body>
</html>
"#;

/// The OpenAPI document of the server.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "sandbox-server",
        description = "Runs untrusted Python in a kernel-enforced sandbox and returns its \
            output and files. `POST /execute` takes the execution contract's request and \
            returns its result; errors are `{\"error\": {\"code\", \"message\"}}`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(
        routes::health,
        routes::healthz,
        routes::readyz,
        routes::execute,
        routes::metrics,
        openapi_json
    ),
    components(schemas(
        sandbox_core::ExecutionRequest,
        sandbox_core::ExecutionResult,
        sandbox_core::ApiError,
        sandbox_core::ApiErrorDetail,
    )),
    modifiers(&Security, &Pages),
    tags(
        (name = "execution", description = "Run code"),
        (name = "health", description = "Health, readiness and metrics"),
        (name = "docs", description = "This description and its viewers"),
    )
)]
pub struct ApiDoc;

/// The two ways to present an API key.
#[derive(Debug)]
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("`Authorization: Bearer KEY`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "`X-API-Key: KEY`",
            ))),
        );
    }
}

/// The HTML pages served by the UI routers, so the document lists every
/// endpoint.
#[derive(Debug)]
struct Pages;

impl Modify for Pages {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, summary) in [
            ("/docs", "Swagger UI for this API (works offline)"),
            ("/redoc", "ReDoc for this API (works offline)"),
        ] {
            openapi.paths.add_path_operation(
                path,
                vec![HttpMethod::Get],
                OperationBuilder::new()
                    .tag("docs")
                    .summary(Some(summary))
                    .response(
                        "200",
                        ResponseBuilder::new()
                            .description("An HTML page")
                            .content("text/html", ContentBuilder::new().build())
                            .build(),
                    )
                    .build(),
            );
        }
    }
}

/// This OpenAPI document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "docs",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json", body = Object))
)]
pub async fn openapi_json() -> impl IntoResponse {
    static DOCUMENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|err| format!(r#"{{"error": "{err}"}}"#))
    });
    ([(CONTENT_TYPE, "application/json")], DOCUMENT.as_str())
}

/// The routes of `/openapi.json`, `/docs` and `/redoc`.
pub fn router() -> Router<AppState> {
    let redoc: Router<AppState> = Redoc::with_url("/redoc", ApiDoc::openapi())
        .custom_html(REDOC_HTML)
        .into();
    // Pointed at our own `/openapi.json` route rather than given the
    // document, so it adds no route of its own.
    let swagger: Router<AppState> = SwaggerUi::new("/docs")
        .config(utoipa_swagger_ui::Config::new(["/openapi.json"]))
        .into();
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .merge(swagger)
        .merge(redoc)
        .route(
            REDOC_SCRIPT,
            get(|| async {
                (
                    [
                        (CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (CACHE_CONTROL, "public, max-age=86400"),
                    ],
                    REDOC_JS,
                )
            }),
        )
}
