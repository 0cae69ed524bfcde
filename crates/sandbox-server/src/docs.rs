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

use sandbox_client::ExecutionMode;
use sandbox_core::limits::{MAX_CODE_BYTES, MIN_MEMORY_MB};
use serde_json::{Value, json};

use crate::config::ServerConfig;
use crate::request::MIN_TIMEOUT_SECS;
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
        crate::session_routes::create,
        crate::session_routes::list,
        crate::session_routes::execute,
        crate::session_routes::files,
        crate::session_routes::interrupt,
        crate::session_routes::download,
        crate::session_routes::upload,
        crate::session_routes::close,
        routes::metrics,
        openapi_json
    ),
    components(schemas(
        sandbox_core::ExecutionRequest,
        sandbox_core::ExecutionResult,
        sandbox_core::SessionOptions,
        crate::sessions::Created,
        crate::sessions::SessionInfo,
        crate::session_routes::Listed,
        crate::session_routes::FileList,
        sandbox_core::ApiError,
        sandbox_core::ApiErrorDetail,
    )),
    modifiers(&Security, &Pages),
    tags(
        (name = "execution", description = "Run code"),
        (name = "sessions", description = "Kept sandboxes: state persists from one run to the next"),
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
    // Documented here; served by `router` with this server's limits.
}

/// The characters a file name may not hold (`char::is_control`, `/` and
/// `\`), as a regular-expression class body.
const NAME_FORBIDDEN: &str = "\\u0000-\\u001f\\u007f-\\u009f/\\\\";

/// A file name as `sandbox_core::files::validate_file_name` accepts it:
/// up to 16 `/`-separated components, none empty, `.` or `..`.
fn file_name_pattern() -> String {
    let any = format!("[^{NAME_FORBIDDEN}]");
    let no_dot = format!("[^{NAME_FORBIDDEN}.]");
    let component =
        format!("(?:{no_dot}{any}{{0,254}}|\\.{no_dot}{any}{{0,253}}|\\.\\.{any}{{1,253}})");
    format!("^{component}(?:/{component}){{0,15}}$")
}

/// Standard base64 with padding, as input files are sent.
const BASE64_PATTERN: &str = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$";

/// The request schema with this server's limits: what it accepts is what
/// the document says, field by field.
fn request_schema(config: &ServerConfig) -> Value {
    let limits = &config.limits;
    let modes: Vec<Value> = match config.execution.mode {
        ExecutionMode::Secure => vec![json!("secure"), Value::Null],
        ExecutionMode::Simple => vec![json!("secure"), json!("simple"), Value::Null],
    };
    let network = if config.execution.allow_network {
        json!({"type": ["boolean", "null"]})
    } else {
        json!({"enum": [false, null], "description": "This server allows no network access"})
    };
    json!({
        "type": "object",
        "description": "One execution: the code plus optional overrides of this server's defaults.",
        "additionalProperties": false,
        "required": ["code"],
        "properties": {
            "code": {
                "type": "string",
                "description": format!("The Python source to run: at most {} bytes of UTF-8", MAX_CODE_BYTES),
                "maxLength": MAX_CODE_BYTES / 4,
                "example": "print(\"Hello, World!\")"
            },
            "mode": {
                "enum": modes,
                "description": format!("Isolation mode; this server's default is `{}`, and it allows no weaker one", config.execution.mode)
            },
            "timeout": {
                "type": ["number", "null"],
                "minimum": MIN_TIMEOUT_SECS,
                "maximum": limits.timeout.as_secs_f64(),
                "description": format!("Wall-clock limit in seconds (default {})", config.execution.timeout.as_secs_f64()),
                "example": 30
            },
            "memory_mb": {
                "type": ["integer", "null"],
                "minimum": MIN_MEMORY_MB,
                "maximum": limits.memory_mb,
                "description": format!("Memory limit in MiB (default {})", config.execution.max_memory_mb),
                "example": 128
            },
            "allow_network": network,
            "input_files": {
                "type": "object",
                "description": format!(
                    "Files placed in the work dir before the code starts: relative name to base64 contents \
                     (at most {} files and {} bytes decoded; no name may also be another's directory)",
                    limits.input_files, limits.input_bytes
                ),
                "maxProperties": limits.input_files,
                "propertyNames": {"type": "string", "minLength": 1, "maxLength": 1024, "pattern": file_name_pattern()},
                "additionalProperties": {"type": "string", "contentEncoding": "base64", "pattern": BASE64_PATTERN},
                "example": {"data.csv": "aWQsdmFsdWUKMSwxMDAK"}
            }
        }
    })
}

/// A session run's request: the execution request without the settings a
/// session fixes when it is made.
fn session_run_schema(config: &ServerConfig) -> Value {
    let mut schema = request_schema(config);
    schema["description"] = json!(
        "One run in a session: the code, its timeout, input files and file name; memory, \
         network and mode are the session's."
    );
    if let Some(properties) = schema["properties"].as_object_mut() {
        for fixed in ["mode", "memory_mb", "allow_network"] {
            properties.remove(fixed);
        }
    }
    schema
}

/// `POST /sessions`'s options, with this server's limits.
fn session_options_schema(config: &ServerConfig) -> Value {
    let request = request_schema(config);
    let mut properties = serde_json::Map::new();
    for field in ["timeout", "memory_mb", "allow_network", "input_files"] {
        properties.insert(field.into(), request["properties"][field].clone());
    }
    properties.insert(
        "idle_timeout".into(),
        json!({
            "type": ["number", "null"],
            "minimum": 1,
            "maximum": config.sessions.idle_timeout.as_secs_f64(),
            "description": "Seconds the session may sit unused before it is ended (at most this server's)"
        }),
    );
    json!({
        "type": "object",
        "description": "A session's settings: each run's default timeout; memory and network, fixed for its life; its idle timeout; files for its work dir.",
        "additionalProperties": false,
        "properties": properties
    })
}

/// The JSON error answer.
fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}
    })
}

/// A JSON-RPC error answer of `/mcp`.
fn rpc_error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["jsonrpc", "error"],
            "properties": {
                "jsonrpc": {"const": "2.0"},
                "id": {"type": ["string", "integer", "null"]},
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}
                }
            }
        }}}
    })
}

/// `/mcp`, which the MCP SDK serves (no handler to annotate).
fn mcp_path(security: &Value) -> Value {
    let mut responses = json!({
        "200": {
            "description": "The answer to a request (or to each request of a batch), as JSON or as an event stream",
            "content": {
                "application/json": {"schema": {"type": ["object", "array"]}},
                "text/event-stream": {"schema": {"type": "string"}}
            }
        },
        "202": {"description": "A notification or response was accepted"},
        "400": rpc_error_response("Not JSON (-32700), not a JSON-RPC request or notification, or a batch this revision lacks (-32600)"),
        "401": error_response("Missing or wrong API key"),
        "403": error_response("A `Host` or browser `Origin` this server does not answer"),
        "408": error_response("The body did not arrive in time"),
        "413": error_response("The body is over the size limit"),
        "415": rpc_error_response("The body is not declared as JSON"),
        "503": error_response("Overloaded or shutting down; see `Retry-After`")
    });
    add_common_headers(&mut responses);
    json!({
        "post": {
            "tags": ["execution"],
            "summary": "MCP over streamable HTTP (stateless): the `run_python` and `check_python` tools",
            "description": "JSON-RPC 2.0 messages as the MCP transport specification says; batches in revision 2025-03-26 (the default when no `MCP-Protocol-Version` header is sent).",
            "operationId": "mcp",
            "requestBody": {
                "required": true,
                "content": {"application/json": {"schema": {
                    "oneOf": [
                        {
                            "type": "object",
                            "description": "A JSON-RPC request (with `id`) or notification",
                            "required": ["jsonrpc", "method"],
                            "properties": {
                                "jsonrpc": {"const": "2.0"},
                                "id": {
                                    "oneOf": [
                                        {"type": "string"},
                                        {"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX}
                                    ]
                                },
                                "method": {"type": "string"},
                                "params": {"type": "object"}
                            }
                        },
                        {
                            "type": "array",
                            "description": "A batch (revision 2025-03-26); each message is answered on its own, malformed ones with an error",
                            "minItems": 1,
                            "maxItems": crate::mcp::MAX_BATCH,
                            "items": {"type": ["object", "array", "string", "number", "boolean", "null"]}
                        }
                    ]
                }}}
            },
            "responses": responses,
            "security": security
        }
    })
}

/// Every answer carries `x-request-id`; refusals for load carry
/// `Retry-After`.
fn add_common_headers(responses: &mut Value) {
    let Some(responses) = responses.as_object_mut() else {
        return;
    };
    for (status, response) in responses.iter_mut() {
        let Some(response) = response.as_object_mut() else {
            continue;
        };
        let headers = response.entry("headers").or_insert_with(|| json!({}));
        headers["x-request-id"] = json!({
            "description": "This request's id, as the server log has it",
            "required": true,
            "schema": {"type": "string"}
        });
        if matches!(status.as_str(), "429" | "503") {
            headers["retry-after"] = json!({
                "description": "Seconds to wait before retrying",
                "required": true,
                "schema": {"type": "string", "pattern": "^[0-9]+$"}
            });
        }
    }
}

/// The document of a server with `config`: the generated one, with the
/// request schema, security and errors made this server's.
pub fn document(config: &ServerConfig) -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    doc["components"]["schemas"]["ExecutionRequest"] = request_schema(config);
    doc["components"]["schemas"]["SessionOptions"] = session_options_schema(config);
    doc["components"]["schemas"]["SessionRunRequest"] = session_run_schema(config);
    let security = if config.api_keys.is_empty() {
        json!([{}])
    } else {
        json!([{"bearer": []}, {"api_key": []}])
    };
    let execute = &mut doc["paths"]["/execute"]["post"];
    execute["security"] = security.clone();
    let responses = &mut execute["responses"];
    if config.api_keys.is_empty()
        && let Some(responses) = responses.as_object_mut()
    {
        responses.remove("401");
    }
    responses["403"] = error_response("A `Host` or browser `Origin` this server does not answer");
    responses["408"] = error_response("The body did not arrive in time");
    add_common_headers(responses);
    doc["paths"]["/mcp"] = mcp_path(&security);
    session_paths(&mut doc, config, &security);
    // Every other answer has a request id too, and a 403 for a `Host` this
    // server does not answer.
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            if path == "/execute" || path == "/mcp" {
                continue;
            }
            if let Some(operations) = item.as_object_mut() {
                for operation in operations.values_mut() {
                    let responses = &mut operation["responses"];
                    if config.allowed_hosts.names().is_some() {
                        responses["403"] = error_response("A `Host` this server does not answer");
                    }
                    add_common_headers(responses);
                }
            }
        }
    }
    doc
}

/// The session endpoints made this server's: their security, the run's
/// request schema, file paths as the server takes them, an optional body
/// for `POST /sessions`.
fn session_paths(doc: &mut Value, config: &ServerConfig, security: &Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        if !path.starts_with("/sessions") {
            continue;
        }
        let Some(operations) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in operations.iter_mut() {
            operation["security"] = security.clone();
            if config.api_keys.is_empty()
                && let Some(responses) = operation["responses"].as_object_mut()
            {
                responses.remove("401");
            }
            if matches!(method.as_str(), "post" | "put") {
                operation["responses"]["408"] = error_response("The body did not arrive in time");
                operation["responses"]["413"] = error_response("The body is over the size limit");
            }
            if let Some(params) = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
            {
                for param in params {
                    if param["name"] == "path" {
                        param["schema"] = json!({
                            "type": "string", "minLength": 1, "maxLength": 1024,
                            "pattern": file_name_pattern()
                        });
                    }
                }
            }
        }
    }
    if let Some(body) = doc["paths"]["/sessions"]["post"]["requestBody"].as_object_mut() {
        body.insert("required".into(), json!(false));
        body.insert(
            "content".into(),
            json!({"application/json": {"schema": {"oneOf": [
                {"type": "null"},
                {"$ref": "#/components/schemas/SessionOptions"}
            ]}}}),
        );
    }
    let run = &mut doc["paths"]["/sessions/{id}/execute"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    *run = json!({"$ref": "#/components/schemas/SessionRunRequest"});
    // A file's bytes, as a binary string (no JSON array of numbers).
    let file = &mut doc["paths"]["/sessions/{id}/files/{path}"];
    let binary = json!({"type": "string", "contentMediaType": "application/octet-stream"});
    file["get"]["responses"]["200"]["content"]["application/octet-stream"]["schema"] =
        binary.clone();
    file["put"]["requestBody"]["content"]["application/octet-stream"]["schema"] = binary;
}

/// The routes of `/openapi.json`, `/docs` and `/redoc`, describing a
/// server with `config`.
pub fn router(config: &ServerConfig) -> Router<AppState> {
    let document = document(config);
    let json = std::sync::Arc::new(
        serde_json::to_string_pretty(&document)
            .unwrap_or_else(|err| format!(r#"{{"error": "{err}"}}"#)),
    );
    let redoc: Router<AppState> = Redoc::with_url("/redoc", document)
        .custom_html(REDOC_HTML)
        .into();
    // Pointed at our own `/openapi.json` route rather than given the
    // document, so it adds no route of its own.
    let swagger: Router<AppState> = SwaggerUi::new("/docs")
        .config(utoipa_swagger_ui::Config::new(["/openapi.json"]))
        .into();
    Router::new()
        .route(
            "/openapi.json",
            get(move || {
                let json = std::sync::Arc::clone(&json);
                async move {
                    (
                        [(CONTENT_TYPE, "application/json")],
                        json.as_str().to_owned(),
                    )
                }
            }),
        )
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
