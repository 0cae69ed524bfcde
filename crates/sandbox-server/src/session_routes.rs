//! The session endpoints: `POST /sessions`, `GET /sessions`,
//! `POST /sessions/{id}/execute` (JSON or Server-Sent Events, as
//! `/execute`), `GET` and `PUT /sessions/{id}/files/{path}`, and
//! `DELETE /sessions/{id}`. Each is the caller's own: another key's session
//! is not found.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header::CONTENT_TYPE};
use axum::response::{IntoResponse as _, Response};
use sandbox_client::{ExecutionResult, SessionOptions};
use sandbox_core::{ApiError, ExecutionRequest};
use serde::Serialize;

use crate::error::{ApiFailure, Code};
use crate::execution::{Record, admit, conclude, killed_at_shutdown};
use crate::extract::RequestIdText;
use crate::keys::Caller;
use crate::routes::check_caller;
use crate::sessions::{Created, Entry, SessionInfo, failure};
use crate::state::AppState;

/// Makes a session: one secure sandbox kept for the caller, in which
/// variables, imports and files persist from one run to the next.
///
/// The body is optional (`{}` or none takes the server's defaults):
/// `timeout` is each run's default, `memory_mb` and `allow_network` are
/// fixed for the session's life, `idle_timeout` may shorten the server's,
/// `input_files` go into the work dir. The session is the caller's (its API
/// key, or its address without keys): other callers get 404 for it. A
/// client may propose the id in `X-Sandbox-Session` (32 lowercase hex
/// digits) and send that header with every call of the session, so a proxy
/// in front of several replicas can route them all to one by hashing it.
#[utoipa::path(
    post,
    path = "/sessions",
    tag = "sessions",
    request_body(content = Option<SessionOptions>, content_type = "application/json"),
    responses(
        (status = 201, description = "The session is ready", body = Created),
        (status = 400, description = "The body is not valid JSON", body = ApiError),
        (status = 401, description = "Missing or wrong API key", body = ApiError),
        (status = 422, description = "An option is invalid or over the server's limit", body = ApiError),
        (status = 429, description = "This caller holds the most sessions allowed; see `Retry-After`", body = ApiError),
        (status = 503, description = "The server holds its most sessions, is overloaded or shutting down, or offers no sessions; see `Retry-After`", body = ApiError),
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
#[expect(
    clippy::missing_errors_doc,
    reason = "the doc comment is the OpenAPI description; its responses list the errors"
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    RequestIdText(request_id): RequestIdText,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    check_caller(&state, &caller)?;
    let text = body.trim_ascii();
    let options = if text.is_empty() || text == b"null" {
        SessionOptions::default()
    } else {
        require_json(&headers)?;
        decode_options(&body, state.config())?
    };
    let proposed = headers
        .get(crate::sessions::SESSION_HEADER)
        .map(|v| v.to_str().unwrap_or("?"));
    let created = make(&state, &caller, &request_id, proposed, options).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Makes a session for `caller` as every entry point does (`POST
/// /sessions`, the MCP tool): its options within the server's limits, a
/// place among the sessions, an execution slot while its sandbox is made.
///
/// # Errors
///
/// 422 for options past the server's limits, 429/503 past the session
/// limits, 503 when the queue is full or the server drains, and the
/// errors of a sandbox that cannot be made.
pub async fn make(
    state: &AppState,
    caller: &Caller,
    request_id: &str,
    proposed: Option<&str>,
    mut options: SessionOptions,
) -> Result<Created, ApiFailure> {
    let sessions = state.sessions();
    let idle_timeout = sessions.idle_timeout(options.idle_timeout)?;
    options.idle_timeout = Some(idle_timeout);
    let probe = ExecutionRequest {
        code: String::new(),
        mode: None,
        timeout: options.timeout,
        memory_mb: options.memory_mb,
        allow_network: options.allow_network,
        input_files: std::mem::take(&mut options.input_files),
        filename: None,
    };
    crate::limits::check(&probe, state.config())?;
    options.input_files = probe.input_files;
    let reservation = sessions.reserve(state.metrics(), caller, proposed)?;
    let session = {
        let _slot = admit(state).await?;
        state
            .client()
            .create_session(options)
            .await
            .map_err(|err| failure(request_id, err))?
    };
    sessions.insert(
        reservation,
        state.metrics(),
        request_id,
        session,
        idle_timeout,
    )
}

/// The sessions of the server's own callers, as `GET /sessions` answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Listed {
    /// The caller's open sessions, oldest first.
    pub sessions: Vec<SessionInfo>,
}

/// Lists the caller's open sessions.
#[utoipa::path(
    get,
    path = "/sessions",
    tag = "sessions",
    responses(
        (status = 200, description = "The caller's sessions", body = Listed),
        (status = 401, description = "Missing or wrong API key", body = ApiError),
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Json<Listed> {
    Json(Listed {
        sessions: state.sessions().list(&caller),
    })
}

/// Runs code in a session: the execution contract's request (its memory,
/// network and mode must be the session's or absent), the contract's
/// result. With `Accept: text/event-stream`, Server-Sent Events as
/// `POST /execute` sends them. A run past its timeout is interrupted
/// (`KeyboardInterrupt`; the state survives, the status is `timeout`); one
/// that will not stop, or the memory limit, ends the session, which the
/// result's `message` says, and later calls get 404.
#[utoipa::path(
    post,
    path = "/sessions/{id}/execute",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id")),
    request_body(content = ExecutionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The code ran in the session (or was refused before running); see `status`. Server-Sent Events with `Accept: text/event-stream`, as `/execute`", content(
            (ExecutionResult = "application/json"),
            (String = "text/event-stream"),
        )),
        (status = 400, description = "The body is not valid JSON", body = ApiError),
        (status = 401, description = "Missing or wrong API key", body = ApiError),
        (status = 404, description = "No such session for this caller, or it has ended (the message says why)", body = ApiError),
        (status = 415, description = "The body is not declared as JSON", body = ApiError),
        (status = 422, description = "Not a valid request, over the server's limit, or asking for other memory, network or mode than the session's", body = ApiError),
        (status = 503, description = "Overloaded or shutting down; see `Retry-After`", body = ApiError),
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
#[expect(
    clippy::missing_errors_doc,
    reason = "the doc comment is the OpenAPI description; its responses list the errors"
)]
pub async fn execute(
    State(state): State<AppState>,
    caller: Caller,
    RequestIdText(request_id): RequestIdText,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    check_caller(&state, &caller)?;
    require_json(&headers)?;
    let request = crate::request::decode(&body, state.config())?;
    if crate::live::wants_events(&headers) {
        crate::limits::check(&request, state.config())?;
        let entry = state.sessions().get(&id, &caller)?;
        let turn = entry.turn().await;
        let session = entry.session.clone();
        let after = state.clone();
        return crate::live::respond_with(
            state,
            caller,
            request_id,
            request,
            Box::new(move |request| session.run_stream(request)),
            // The session is in use, and its turn held, until the run ends
            // or its stream is dropped.
            Box::new(move |_| {
                ended_in(&after, &entry);
                drop(turn);
            }),
        )
        .await;
    }
    run_in(&state, &caller, &request_id, &id, request, None)
        .await
        .map(|result| Json(result).into_response())
}

/// Runs `request` in session `id` of `caller` as every entry point does
/// (`POST /sessions/{id}/execute`, the MCP tools): the server's limits, a
/// slot, the run, its metrics; a session its run ended is taken away.
///
/// # Errors
///
/// 404 for no such session, 422 past the server's maxima or the session's
/// fixed settings, 503 when the queue is full or the server drains.
pub async fn run_in(
    state: &AppState,
    caller: &Caller,
    request_id: &str,
    id: &str,
    request: ExecutionRequest,
    output: Option<sandbox_client::OutputSink>,
) -> Result<ExecutionResult, ApiFailure> {
    crate::limits::check(&request, state.config())?;
    let entry = state.sessions().get(id, caller)?;
    let turn = entry.turn().await;
    let slot = admit(state).await?;
    let record = Record::start(state.metrics(), request_id);
    let run = async {
        match output {
            Some(output) => {
                entry
                    .session
                    .run_stream(request)
                    .finish(|event| {
                        let _ = output.send(event);
                    })
                    .await
            }
            None => entry.session.run_request(request).await,
        }
    };
    let outcome = tokio::select! {
        outcome = run => outcome,
        () = state.admission().killed() => return Err(killed_at_shutdown()),
    };
    drop(slot);
    if let Err(err) = &outcome {
        state.sessions().ended_by(state.metrics(), id, err);
    }
    ended_in(state, &entry);
    drop((turn, entry));
    conclude(state, caller, request_id, record, outcome)
}

/// Takes a session its run ended away (the session says why).
fn ended_in(state: &AppState, entry: &Entry) {
    if let Some(why) = entry.session.ended() {
        state
            .sessions()
            .ended_in_run(state.metrics(), &entry.id, &why);
    }
}

/// The files of a session's work dir, as `GET /sessions/{id}/files`
/// answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileList {
    /// Each regular file, by path.
    pub files: Vec<FileEntry>,
}

/// One file of a session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileEntry {
    /// Its path in the work dir.
    pub name: String,
    /// Its size, bytes.
    pub size: u64,
}

/// Lists the regular files of a session's work dir.
#[utoipa::path(
    get,
    path = "/sessions/{id}/files",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id")),
    responses(
        (status = 200, description = "The files and their sizes", body = FileList),
        (status = 404, description = "No such session for this caller", body = ApiError),
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
#[expect(
    clippy::missing_errors_doc,
    reason = "the doc comment is the OpenAPI description; its responses list the errors"
)]
pub async fn files(
    State(state): State<AppState>,
    caller: Caller,
    RequestIdText(request_id): RequestIdText,
    Path(id): Path<String>,
) -> Result<Json<FileList>, ApiFailure> {
    let entry = state.sessions().get(&id, &caller)?;
    match entry.session.files().await {
        Ok(files) => Ok(Json(FileList {
            files: files
                .into_iter()
                .map(|(name, size)| FileEntry { name, size })
                .collect(),
        })),
        Err(err) => {
            state.sessions().ended_by(state.metrics(), &id, &err);
            Err(failure(&request_id, err))
        }
    }
}

/// Reads one file of a session's work dir, as bytes.
#[utoipa::path(
    get,
    path = "/sessions/{id}/files/{path}",
    tag = "sessions",
    params(
        ("id" = String, Path, description = "The session's id"),
        ("path" = String, Path, description = "The file's path in the work dir, e.g. `out/chart.png`"),
    ),
    responses(
        (status = 200, description = "The file's contents", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "No such session, or no such file in it", body = ApiError),
        (status = 422, description = "Not a valid file path, or the file is over the output files' size cap", body = ApiError),
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
#[expect(
    clippy::missing_errors_doc,
    reason = "the doc comment is the OpenAPI description; its responses list the errors"
)]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    RequestIdText(request_id): RequestIdText,
    Path((id, path)): Path<(String, String)>,
) -> Result<Response, ApiFailure> {
    let entry = state.sessions().get(&id, &caller)?;
    match entry.session.download(&path).await {
        Ok(Some(bytes)) => {
            Ok(([(CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
        }
        Ok(None) => Err(ApiFailure::new(
            Code::NotFound,
            format!("no file `{}` in this session's work dir", shown(&path)),
        )),
        Err(sandbox_client::SandboxError::Io { source, .. }) => Err(ApiFailure::invalid(format!(
            "`{}` cannot be read: {source}",
            shown(&path)
        ))),
        Err(err) => {
            state.sessions().ended_by(state.metrics(), &id, &err);
            Err(failure(&request_id, err))
        }
    }
}

/// Writes one file into a session's work dir (the body, as bytes),
/// replacing a file of that path.
#[utoipa::path(
    put,
    path = "/sessions/{id}/files/{path}",
    tag = "sessions",
    params(
        ("id" = String, Path, description = "The session's id"),
        ("path" = String, Path, description = "The file's path in the work dir, e.g. `data/input.csv`"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 204, description = "Written"),
        (status = 404, description = "No such session", body = ApiError),
        (status = 413, description = "The body is over the size limit", body = ApiError),
        (status = 422, description = "Not a valid file path, over the input limit, or a directory on the way is not one", body = ApiError),
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
#[expect(
    clippy::missing_errors_doc,
    reason = "the doc comment is the OpenAPI description; its responses list the errors"
)]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    RequestIdText(request_id): RequestIdText,
    Path((id, path)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, ApiFailure> {
    check_caller(&state, &caller)?;
    let most = state.config().limits.input_bytes;
    if body.len() as u64 > most {
        return Err(ApiFailure::invalid(format!(
            "`{}` is {} bytes, this server allows at most {most} bytes of input",
            shown(&path),
            body.len()
        )));
    }
    let entry = state.sessions().get(&id, &caller)?;
    match entry.session.upload(&path, body.to_vec()).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(sandbox_client::SandboxError::Io { source, .. }) => Err(ApiFailure::invalid(format!(
            "`{}` cannot be written: {source}",
            shown(&path)
        ))),
        Err(err) => {
            state.sessions().ended_by(state.metrics(), &id, &err);
            Err(failure(&request_id, err))
        }
    }
}

/// Interrupts the run in progress in a session, as Ctrl-C would: a
/// `KeyboardInterrupt` in the code, whose run ends (its answer says so)
/// while the session and its state stay. Nothing happens between runs.
#[utoipa::path(
    post,
    path = "/sessions/{id}/interrupt",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id")),
    responses(
        (status = 204, description = "Interrupted (or nothing was running)"),
        (status = 404, description = "No such session for this caller", body = ApiError),
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
#[expect(
    clippy::missing_errors_doc,
    reason = "the doc comment is the OpenAPI description; its responses list the errors"
)]
pub async fn interrupt(
    State(state): State<AppState>,
    caller: Caller,
    RequestIdText(request_id): RequestIdText,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiFailure> {
    let entry = state.sessions().get(&id, &caller)?;
    match entry.session.interrupt().await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(err) => Err(failure(&request_id, err)),
    }
}

/// Ends a session: its sandbox is killed and removed before the answer.
#[utoipa::path(
    delete,
    path = "/sessions/{id}",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id")),
    responses(
        (status = 204, description = "The session is gone"),
        (status = 404, description = "No such session for this caller", body = ApiError),
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
#[expect(
    clippy::missing_errors_doc,
    reason = "the doc comment is the OpenAPI description; its responses list the errors"
)]
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiFailure> {
    state
        .sessions()
        .close(state.metrics(), &id, &caller)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A path as it may be shown in a message: at most 200 printable characters.
fn shown(path: &str) -> String {
    path.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(200)
        .collect()
}

fn require_json(headers: &HeaderMap) -> Result<(), ApiFailure> {
    crate::routes::check_content_type(headers)
}

/// The options of `POST /sessions`, checked as the request decoder checks
/// the same fields of `/execute` (ranges, whole numbers, file names), and
/// `idle_timeout`.
fn decode_options(
    body: &[u8],
    config: &crate::config::ServerConfig,
) -> Result<SessionOptions, ApiFailure> {
    const FIELDS: [&str; 5] = [
        "timeout",
        "memory_mb",
        "allow_network",
        "idle_timeout",
        "input_files",
    ];
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|err| {
        ApiFailure::new(
            Code::MalformedJson,
            format!("the body is not valid JSON: {err}"),
        )
    })?;
    let serde_json::Value::Object(mut fields) = value else {
        return Err(ApiFailure::invalid(
            "session options must be a JSON object (or null), such as {\"memory_mb\": 256}",
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ApiFailure::invalid(format!(
            "unknown session option `{}`; the options are {}",
            shown(unknown),
            FIELDS.join(", ")
        )));
    }
    let idle_timeout = match fields.remove("idle_timeout") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => match n.as_f64() {
            Some(secs) if (1.0..=f64::from(u32::MAX)).contains(&secs) => {
                Some(std::time::Duration::try_from_secs_f64(secs).map_err(|_| {
                    ApiFailure::invalid(format!("`idle_timeout` is {secs} s, too large"))
                })?)
            }
            _ => {
                return Err(ApiFailure::invalid(
                    "`idle_timeout` must be a number of seconds, at least 1",
                ));
            }
        },
        Some(_) => {
            return Err(ApiFailure::invalid(
                "`idle_timeout` must be a positive number of seconds",
            ));
        }
    };
    fields.insert("code".into(), serde_json::Value::String(String::new()));
    let request = crate::request::decode(&serde_json::to_vec(&fields).unwrap_or_default(), config)?;
    Ok(SessionOptions {
        timeout: request.timeout,
        memory_mb: request.memory_mb,
        allow_network: request.allow_network,
        idle_timeout,
        input_files: request.input_files,
    })
}
