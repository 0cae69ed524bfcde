//! An execution result as an MCP tool result: text for the model, the
//! result as structured content, output files as resources or images.

use base64::Engine as _;
use rmcp::model::{CallToolResult, ContentBlock, ResourceContents};
use sandbox_client::ExecutionResult;
use sandbox_client::tool::render_result;
use serde_json::{Value, json};

/// The URI an output file is given: `sandbox://output/<name>`, its name
/// percent-encoded but for `/`.
pub(crate) fn file_uri(name: &str) -> String {
    let mut uri = String::from("sandbox://output/");
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// The media type of an output file, from its extension; text that is not
/// recognised is `text/plain`, bytes `application/octet-stream`.
pub(crate) fn mime_type(name: &str, bytes: &[u8]) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "csv" => "text/csv",
        "json" => "application/json",
        "html" | "htm" => "text/html",
        "md" => "text/markdown",
        "py" => "text/x-python",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        _ if std::str::from_utf8(bytes).is_ok() => "text/plain",
        _ => "application/octet-stream",
    }
}

/// Raster images a model can look at; SVG stays a text resource.
fn is_image(mime: &str) -> bool {
    mime.starts_with("image/") && mime != "image/svg+xml"
}

/// Types sent as text resources (when the bytes are UTF-8).
fn is_text(mime: &str) -> bool {
    mime.starts_with("text/")
        || matches!(
            mime,
            "application/json" | "application/xml" | "image/svg+xml"
        )
}

/// The tool result of a run: `isError` unless the code succeeded.
pub(crate) fn run_result(result: &ExecutionResult) -> CallToolResult {
    let mut content = vec![ContentBlock::text(render_result(result))];
    let b64 = base64::engine::general_purpose::STANDARD;
    for (name, bytes) in &result.output_files {
        let mime = mime_type(name, bytes);
        let uri = file_uri(name);
        let block = if is_image(mime) {
            ContentBlock::image(b64.encode(bytes), mime)
        } else {
            match std::str::from_utf8(bytes) {
                Ok(text) if is_text(mime) => {
                    ContentBlock::resource(ResourceContents::text(text, uri).with_mime_type(mime))
                }
                _ => ContentBlock::resource(
                    ResourceContents::blob(b64.encode(bytes), uri).with_mime_type(mime),
                ),
            }
        };
        content.push(block);
    }
    let mut tool_result = if result.success {
        CallToolResult::success(content)
    } else {
        CallToolResult::error(content)
    };
    tool_result.structured_content = Some(structured(result));
    tool_result
}

/// The execution contract's result, with each output file's contents
/// replaced by where to find it (they travel once, as content blocks, and
/// base64 is no use to a model).
pub(crate) fn structured(result: &ExecutionResult) -> Value {
    let mut value = serde_json::to_value(result).unwrap_or_else(|_| json!({}));
    let files: serde_json::Map<String, Value> = result
        .output_files
        .iter()
        .map(|(name, bytes)| {
            (
                name.clone(),
                json!({
                    "uri": file_uri(name),
                    "mime_type": mime_type(name, bytes),
                    "size": bytes.len(),
                }),
            )
        })
        .collect();
    if let Some(object) = value.as_object_mut() {
        object.insert("output_files".into(), Value::Object(files));
    }
    value
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn uris_and_types() {
        assert_eq!(
            file_uri("out/plot 1.png"),
            "sandbox://output/out/plot%201.png"
        );
        assert_eq!(file_uri("é.txt"), "sandbox://output/%C3%A9.txt");
        assert_eq!(mime_type("a.PNG", b""), "image/png");
        assert_eq!(mime_type("notes", b"hello"), "text/plain");
        assert_eq!(mime_type("blob", &[0xff, 0xfe]), "application/octet-stream");
    }
}
