//! An execution result as an MCP tool result: text for the model, the
//! result as structured content, output files as resources or images.

use base64::Engine as _;
use rmcp::model::{CallToolResult, ContentBlock, ResourceContents};
use sandbox_client::ExecutionResult;
use sandbox_client::tool::{MAX_STDERR_CHARS, MAX_STDOUT_CHARS, render_result, truncate_middle};
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
    content.extend(display_blocks(result));
    let mut tool_result = if result.success {
        CallToolResult::success(content)
    } else {
        CallToolResult::error(content)
    };
    tool_result.structured_content = Some(structured(result));
    tool_result
}

/// What the run showed, beside the text (which has each object's text):
/// raster images as image content a model can look at, SVG as a text
/// resource (`sandbox://display/N.svg`).
fn display_blocks(result: &ExecutionResult) -> Vec<ContentBlock> {
    let mut blocks = Vec::new();
    for (n, bundle) in result.display.iter().enumerate() {
        for (mime, value) in &bundle.0 {
            let Some(data) = value.as_str() else { continue };
            if is_image(mime) {
                let compact: String = data.split_ascii_whitespace().collect();
                blocks.push(ContentBlock::image(compact, mime.clone()));
            } else if mime == "image/svg+xml" {
                let uri = format!("sandbox://display/{}.svg", n + 1);
                blocks.push(ContentBlock::resource(
                    ResourceContents::text(data, uri).with_mime_type(mime.clone()),
                ));
            }
        }
    }
    blocks
}

/// Most bytes of output files carried in the structured result (they all
/// travel as content blocks too); past it, files are left out of it and
/// named in its `message`.
pub const MAX_STRUCTURED_FILE_BYTES: usize = 1 << 20;

/// The execution contract's result, bounded like the text a model reads:
/// stdout and stderr cut in the middle to the same sizes (marked
/// truncated), and output files (base64, as the contract carries them) up
/// to [`MAX_STRUCTURED_FILE_BYTES`].
pub(crate) fn structured(result: &ExecutionResult) -> Value {
    let mut bounded = result.clone();
    bounded.stdout = truncate_middle(&result.stdout, MAX_STDOUT_CHARS);
    bounded.stdout_truncated |= bounded.stdout != result.stdout;
    bounded.stderr = truncate_middle(&result.stderr, MAX_STDERR_CHARS);
    bounded.stderr_truncated |= bounded.stderr != result.stderr;
    let mut budget = MAX_STRUCTURED_FILE_BYTES;
    let mut left_out = Vec::new();
    bounded.output_files.retain(|name, bytes| {
        if bytes.len() <= budget {
            budget -= bytes.len();
            true
        } else {
            left_out.push(name.clone());
            false
        }
    });
    // Images shown share the room; past it they are left out of the
    // structured result (they come as image blocks).
    let mut images_left_out = 0;
    for bundle in &mut bounded.display {
        bundle.0.retain(|mime, value| {
            let len = value.as_str().map_or(0, str::len);
            if !mime.starts_with("image/") {
                true
            } else if len <= budget {
                budget -= len;
                true
            } else {
                images_left_out += 1;
                false
            }
        });
    }
    if images_left_out > 0 {
        let note = format!(
            "{images_left_out} displayed image(s) are not in the structured result (over {} \
             bytes in all) but come as content blocks",
            MAX_STRUCTURED_FILE_BYTES
        );
        bounded.message = Some(match bounded.message.take() {
            Some(message) => format!("{message}; {note}"),
            None => note,
        });
    }
    if !left_out.is_empty() {
        bounded.output_files_truncated = true;
        let note = format!(
            "{} output file(s) are not in the structured result (over {} bytes in all) \
             but come as content blocks: {}",
            left_out.len(),
            MAX_STRUCTURED_FILE_BYTES,
            left_out.join(", ")
        );
        bounded.message = Some(match bounded.message.take() {
            Some(message) => format!("{message}; {note}"),
            None => note,
        });
    }
    serde_json::to_value(&bounded).unwrap_or_else(|_| json!({}))
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
