//! The remote backend: the execution contract over HTTP to a
//! `sandbox-server`.
//!
//! A request is checked here first with the same rules a local run applies
//! (so an invalid request fails the same way in both modes), then posted to
//! `{server_url}/execute` with the configuration's defaults filled in. The
//! API key goes in `Authorization: Bearer`; `api_timeout` bounds the whole
//! HTTP exchange, and the answer is read only up to the most this client
//! accepts (`max_result_bytes`). An error answer keeps its HTTP status and
//! the server's code and message. Dropping the future closes the connection, which makes
//! the server kill the execution.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use sandbox_core::files::validate_file_name;
use sandbox_core::{
    ApiError, ClientConfig, ExecutionEvent, ExecutionRequest, ExecutionResult, Limits, MimeBundle,
    SandboxError, SessionOptions,
};
use sandbox_runner::OutputSink;

use crate::sse;

/// Longest error body kept when the server's answer is not the API's JSON.
const MAX_ERROR_TEXT: usize = 512;

/// The least a client accepts from a server when `max_result_bytes` is not
/// set: a server's operator may allow larger results than this client's
/// own caps would make.
const MIN_ANSWER_BYTES: u64 = 64 << 20;

/// A client of one `sandbox-server`.
#[derive(Debug, Clone)]
pub(crate) struct Remote {
    http: reqwest::Client,
    execute_url: String,
    base_url: String,
    config: ClientConfig,
}

impl Remote {
    /// A client for `config.server_url`.
    pub(crate) fn new(config: ClientConfig, base_url: String) -> Result<Self, SandboxError> {
        config.validate()?;
        let http = reqwest::Client::builder()
            .timeout(config.api_timeout)
            .user_agent(concat!("sandbox-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| SandboxError::Connection {
                url: base_url.clone(),
                reason: format!("cannot set up the HTTP client: {}", chain(&err)),
            })?;
        Ok(Self {
            http,
            execute_url: format!("{}/execute", base_url.trim_end_matches('/')),
            base_url,
            config,
        })
    }

    pub(crate) fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Posts `request` and returns the server's result.
    pub(crate) async fn run(
        &self,
        request: ExecutionRequest,
    ) -> Result<ExecutionResult, SandboxError> {
        self.run_to(request, None).await
    }

    /// Posts `request` asking for its events (Server-Sent Events), sends
    /// the output events to `output` as they arrive, and returns the
    /// result. A server that answers with plain JSON is read as before.
    pub(crate) async fn run_with_output(
        &self,
        request: ExecutionRequest,
        output: OutputSink,
    ) -> Result<ExecutionResult, SandboxError> {
        self.run_to(request, Some(output)).await
    }

    async fn run_to(
        &self,
        mut request: ExecutionRequest,
        output: Option<OutputSink>,
    ) -> Result<ExecutionResult, SandboxError> {
        // The defaults travel with the request, so a remote client behaves
        // like a local one with the same configuration.
        request.mode = Some(request.mode.unwrap_or(self.config.mode));
        request.timeout = Some(request.timeout.unwrap_or(self.config.timeout));
        request.memory_mb = Some(request.memory_mb.unwrap_or(self.config.max_memory_mb));
        request.allow_network = Some(request.allow_network.unwrap_or(self.config.allow_network));
        Limits::resolve(&request, &self.config)?;
        self.post_run(&self.execute_url, None, &request, output)
            .await
    }

    /// Posts `request` to session `id` (its defaults are the session's).
    pub(crate) async fn run_in_session(
        &self,
        id: &str,
        request: &ExecutionRequest,
        output: Option<OutputSink>,
    ) -> Result<ExecutionResult, SandboxError> {
        let url = self.session_url(id, "/execute");
        self.post_run(&url, Some(id), request, output).await
    }

    /// A request to session `id`'s `rest`, naming the session in its header.
    fn to_session(&self, method: reqwest::Method, id: &str, rest: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.session_url(id, rest))
            .header(SESSION_HEADER, id)
    }

    fn session_url(&self, id: &str, rest: &str) -> String {
        format!(
            "{}/sessions/{}{rest}",
            self.base_url.trim_end_matches('/'),
            percent_encoded(id)
        )
    }

    /// Makes a session on the server; its id.
    pub(crate) async fn create_session(
        &self,
        options: &SessionOptions,
    ) -> Result<String, SandboxError> {
        let body = serde_json::to_vec(options)
            .map_err(|err| self.broken(&format!("cannot encode the options: {err}")))?;
        let url = format!("{}/sessions", self.base_url.trim_end_matches('/'));
        // The id is proposed here and sent with every call of the session,
        // so a proxy in front of several replicas can route them all to the
        // one that holds it (see docs/deploy.md).
        let proposed = new_session_id().map_err(|err| {
            self.broken(&format!("cannot read random bytes for a session id: {err}"))
        })?;
        let request = self
            .http
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(SESSION_HEADER, &proposed)
            .body(body);
        let bytes = self.call(request, StatusCode::CREATED).await?;
        #[derive(serde::Deserialize)]
        struct Created {
            session_id: String,
        }
        let created: Created = serde_json::from_slice(&bytes)
            .map_err(|err| self.broken(&format!("the server's answer names no session: {err}")))?;
        Ok(created.session_id)
    }

    /// Interrupts the run in progress in session `id`.
    pub(crate) async fn interrupt(&self, id: &str) -> Result<(), SandboxError> {
        let request = self.to_session(reqwest::Method::POST, id, "/interrupt");
        self.call(request, StatusCode::NO_CONTENT).await.map(drop)
    }

    /// Ends session `id` on the server.
    pub(crate) async fn close_session(&self, id: &str) -> Result<(), SandboxError> {
        let request = self.to_session(reqwest::Method::DELETE, id, "");
        self.call(request, StatusCode::NO_CONTENT).await.map(drop)
    }

    /// Writes `contents` as `name` into session `id`.
    pub(crate) async fn upload(
        &self,
        id: &str,
        name: &str,
        contents: Vec<u8>,
    ) -> Result<(), SandboxError> {
        validate_file_name(name)?;
        let request = self
            .to_session(
                reqwest::Method::PUT,
                id,
                &format!("/files/{}", percent_encoded(name)),
            )
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            )
            .body(contents);
        self.call(request, StatusCode::NO_CONTENT).await.map(drop)
    }

    /// Reads `name` from session `id`; `None` when the server has no such
    /// file.
    pub(crate) async fn download(
        &self,
        id: &str,
        name: &str,
    ) -> Result<Option<Vec<u8>>, SandboxError> {
        validate_file_name(name)?;
        let request = self.to_session(
            reqwest::Method::GET,
            id,
            &format!("/files/{}", percent_encoded(name)),
        );
        match self.call(request, StatusCode::OK).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(SandboxError::Server {
                status: 404,
                message,
                ..
            }) if message.starts_with("no file ") => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// The files of session `id` and their sizes.
    pub(crate) async fn files(&self, id: &str) -> Result<Vec<(String, u64)>, SandboxError> {
        let request = self.to_session(reqwest::Method::GET, id, "/files");
        let bytes = self.call(request, StatusCode::OK).await?;
        #[derive(serde::Deserialize)]
        struct Listed {
            files: Vec<Entry>,
        }
        #[derive(serde::Deserialize)]
        struct Entry {
            name: String,
            size: u64,
        }
        let listed: Listed = serde_json::from_slice(&bytes)
            .map_err(|err| self.broken(&format!("the server's file list is not valid: {err}")))?;
        Ok(listed.files.into_iter().map(|e| (e.name, e.size)).collect())
    }

    /// Sends `request` (with the API key) and reads its answer, an error
    /// unless its status is `expected`.
    async fn call(
        &self,
        mut request: reqwest::RequestBuilder,
        expected: StatusCode,
    ) -> Result<Vec<u8>, SandboxError> {
        if let Some(key) = &self.config.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|err| self.transport(&err))?;
        let status = response.status();
        let retry_after = retry_after(&response);
        let bytes = self.read_answer(response).await?;
        if status == expected {
            return Ok(bytes);
        }
        Err(server_error(status, &bytes, retry_after))
    }

    /// Posts a run's `request` to `url`, asking for events when `output`
    /// wants them.
    async fn post_run(
        &self,
        url: &str,
        session: Option<&str>,
        request: &ExecutionRequest,
        output: Option<OutputSink>,
    ) -> Result<ExecutionResult, SandboxError> {
        let body = serde_json::to_vec(request).map_err(|err| SandboxError::Connection {
            url: self.base_url.clone(),
            reason: format!("cannot encode the request: {err}"),
        })?;
        let mut post = self.http.post(url);
        if let Some(id) = session {
            post = post.header(SESSION_HEADER, id);
        }
        post = post
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(
                ACCEPT,
                HeaderValue::from_static(if output.is_some() {
                    EVENT_STREAM
                } else {
                    "application/json"
                }),
            )
            .body(body);
        if let Some(key) = &self.config.api_key {
            post = post.bearer_auth(key);
        }
        let response = post.send().await.map_err(|err| self.transport(&err))?;
        let status = response.status();
        let retry_after = retry_after(&response);
        let streamed = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(EVENT_STREAM));
        if let (StatusCode::OK, true, Some(output)) = (status, streamed, output) {
            return self.read_events(response, &output).await;
        }
        let bytes = self.read_answer(response).await?;
        if status == StatusCode::OK {
            return self.checked_result(&bytes);
        }
        Err(server_error(status, &bytes, retry_after))
    }

    /// The contract's result in `bytes`, its output file names checked.
    fn checked_result(&self, bytes: &[u8]) -> Result<ExecutionResult, SandboxError> {
        let result: ExecutionResult = serde_json::from_slice(bytes).map_err(|err| {
            self.broken(&format!(
                "the server's result is not the execution contract: {err}"
            ))
        })?;
        // Output names become paths on this machine: check them again.
        for name in result.output_files.keys() {
            validate_file_name(name).map_err(|err| {
                self.broken(&format!(
                    "the server returned an unsafe output file name: {err}"
                ))
            })?;
        }
        Ok(result)
    }

    fn broken(&self, reason: &str) -> SandboxError {
        SandboxError::Connection {
            url: self.base_url.clone(),
            reason: reason.to_owned(),
        }
    }

    /// Reads the server's events: output to `output`, then the result (or
    /// the error that took its place). Each event is bounded by what this
    /// client accepts as an answer.
    async fn read_events(
        &self,
        mut response: reqwest::Response,
        output: &OutputSink,
    ) -> Result<ExecutionResult, SandboxError> {
        let limit = self.answer_limit();
        let mut reader = sse::Reader::new(usize::try_from(limit).unwrap_or(usize::MAX));
        while let Some(chunk) = response.chunk().await.map_err(|err| self.transport(&err))? {
            let events = reader.push(&chunk).map_err(|_| self.too_big(limit))?;
            for event in events {
                match event.name.as_str() {
                    "stdout" | "stderr" => {
                        let text = output_text(&event.data).ok_or_else(|| {
                            self.broken("the server sent a malformed output event")
                        })?;
                        let event = if event.name == "stdout" {
                            ExecutionEvent::Stdout { text }
                        } else {
                            ExecutionEvent::Stderr { text }
                        };
                        // A caller that stopped listening still gets the result.
                        let _ = output.send(event);
                    }
                    "display" => {
                        let data = MimeBundle::from_report(event.data.as_bytes())
                            .map_err(|e| self.broken(&e.to_string()))?;
                        let _ = output.send(ExecutionEvent::Display { data });
                    }
                    "result" => return self.checked_result(event.data.as_bytes()),
                    "error" => {
                        let status = serde_json::from_str::<serde_json::Value>(&event.data)
                            .ok()
                            .and_then(|e| e.get("status")?.as_u64())
                            .and_then(|s| StatusCode::from_u16(u16::try_from(s).ok()?).ok())
                            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                        return Err(server_error(status, event.data.as_bytes(), None));
                    }
                    // Events a later server may add.
                    _ => {}
                }
            }
        }
        Err(self.broken("the server's event stream ended before the result"))
    }

    /// The most bytes this client reads for one answer: its
    /// `max_result_bytes`, or [`MIN_ANSWER_BYTES`] when that is unset and
    /// smaller.
    fn answer_limit(&self) -> u64 {
        match self.config.max_result_bytes {
            Some(set) => set,
            None => self.config.result_cap().max(MIN_ANSWER_BYTES),
        }
    }

    fn too_big(&self, limit: u64) -> SandboxError {
        self.broken(&format!(
            "the server's answer is larger than {limit} bytes, the most this client accepts \
             (max_result_bytes; raise SANDBOX_MAX_RESULT_BYTES to accept it)"
        ))
    }

    /// The answer's body, refused past the most this client accepts (its
    /// `max_result_bytes`, or [`MIN_ANSWER_BYTES`] when that is unset and
    /// smaller), so a broken or hostile server cannot exhaust its memory.
    async fn read_answer(&self, mut response: reqwest::Response) -> Result<Vec<u8>, SandboxError> {
        let limit = self.answer_limit();
        let too_big = || self.too_big(limit);
        if response
            .content_length()
            .is_some_and(|length| length > limit)
        {
            return Err(too_big());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| self.transport(&err))? {
            if bytes.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_big());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// A transport failure: a timeout, or anything else that kept the answer
    /// from arriving.
    fn transport(&self, err: &reqwest::Error) -> SandboxError {
        if err.is_timeout() {
            SandboxError::ApiTimeout {
                url: self.base_url.clone(),
                timeout: self.config.api_timeout,
            }
        } else {
            SandboxError::Connection {
                url: self.base_url.clone(),
                reason: chain(err),
            }
        }
    }
}

/// The media type of Server-Sent Events.
const EVENT_STREAM: &str = "text/event-stream";

/// The text of an output event's data, `{"text": "..."}`.
fn output_text(data: &str) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(data).ok()? {
        serde_json::Value::Object(mut fields) => match fields.remove("text")? {
            serde_json::Value::String(text) => Some(text),
            _ => None,
        },
        _ => None,
    }
}

/// The error of a non-200 answer: the API's JSON error when it is one,
/// else the start of the body.
/// The header naming a session on every call to it (and proposing its id
/// at creation), for proxies that route a session's calls to one replica.
const SESSION_HEADER: &str = "x-sandbox-session";

/// A new session id: 128 random bits, as 32 lowercase hex digits.
fn new_session_id() -> std::io::Result<String> {
    use std::io::Read as _;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The answer's `Retry-After`, in seconds.
fn retry_after(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// `text` as a URL path: every byte but unreserved ones and `/`
/// percent-encoded.
fn percent_encoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn server_error(status: StatusCode, body: &[u8], retry_after: Option<u64>) -> SandboxError {
    let (code, message) = match serde_json::from_slice::<ApiError>(body) {
        Ok(api) => (api.error.code, api.error.message),
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let mut text: String = text.trim().chars().take(MAX_ERROR_TEXT).collect();
            if text.is_empty() {
                text = status
                    .canonical_reason()
                    .unwrap_or("no explanation")
                    .to_owned();
            }
            (format!("http_{}", status.as_u16()), text)
        }
    };
    SandboxError::Server {
        status: status.as_u16(),
        code,
        message,
        retry_after,
    }
}

/// An error with its causes, `: `-separated (reqwest's own message alone
/// often says only "error sending request").
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_keep_status_code_and_message() {
        let body = br#"{"error": {"code": "invalid_request", "message": "`timeout` is 900 s"}}"#;
        let err = server_error(StatusCode::UNPROCESSABLE_ENTITY, body, None);
        assert_eq!(err.http_status(), Some(422));
        assert_eq!(
            err.to_string(),
            "the sandbox server answered 422 `invalid_request`: `timeout` is 900 s"
        );
    }

    #[test]
    fn other_answers_keep_the_start_of_the_body() {
        let err = server_error(StatusCode::BAD_GATEWAY, b"upstream down", Some(3));
        let SandboxError::Server {
            code,
            message,
            retry_after,
            ..
        } = err
        else {
            panic!("not a server error");
        };
        assert_eq!(code, "http_502");
        assert_eq!(message, "upstream down");
        assert_eq!(retry_after, Some(3));
        let err = server_error(StatusCode::BAD_GATEWAY, b"", None);
        assert!(err.to_string().ends_with("Bad Gateway"), "{err}");
    }
}
