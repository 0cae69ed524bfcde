//! Rich results: what a run shows as a notebook cell would (the last
//! expression's value, `display(obj)` of each MIME type, matplotlib
//! figures), through the library in both modes, the live stream, Server-Sent
//! Events over real HTTP and MCP; the result cap holds over what is shown,
//! and a program that scribbles on its report pipe only loses its own
//! displays.

use std::time::Duration;

use sandbox_client::{
    ClientConfig, ExecutionEvent, ExecutionMode, ExecutionRequest, MimeBundle, PolicyChoice,
    SandboxClient, Status,
};

use crate::remote::remote;
use crate::serving::{TestServer, http};
use crate::support::{MODES, client};

/// Python that makes a real PNG of `w` x `h` red pixels (zlib and struct
/// only), for objects whose `_repr_png_` returns it.
pub(crate) const PNG_MAKER: &str = r#"
import struct, zlib
def png(w, h):
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * w for _ in range(h))
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
class Red:
    def __init__(self, w, h):
        self.size = (w, h)
    def _repr_png_(self):
        return png(*self.size)
    def __repr__(self):
        return "<Red %dx%d>" % self.size
"#;

/// Width and height of a PNG, from its header; panics on anything else.
pub(crate) fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert_eq!(&png[12..16], b"IHDR", "no IHDR first");
    let number = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (number(16), number(20))
}

fn plain(display: &[MimeBundle]) -> Vec<&str> {
    display.iter().map(|b| b.plain().unwrap_or("?")).collect()
}

#[tokio::test]
async fn the_last_expression_is_shown_as_a_notebook_shows_it() {
    let cases: &[(&str, &[&str], &str)] = &[
        ("x = 40\nx + 2\n", &["42"], ""),
        ("'a' * 2", &["'aa'"], ""),
        ("print(1)\n", &[], "1\n"),
        ("None\n", &[], ""),
        ("1 + 1;\n", &[], ""),
        ("1 + 1;  # quiet\n", &[], ""),
        ("1 + 1  # loud\n", &["2"], ""),
        ("if True:\n    5\n", &[], ""),
        ("(1 +\n 2)\n", &["3"], ""),
        ("x = 'é'\r\nx\r\n", &["'é'"], ""),
        ("def f():\n    return [1, 2]\nf()\n", &["[1, 2]"], ""),
        ("import math\nmath.pi\n", &["3.141592653589793"], ""),
        ("x = 1\n", &[], ""),
        ("", &[], ""),
    ];
    for mode in MODES {
        let client = client(mode);
        for (code, shown, stdout) in cases {
            let result = client.execute(*code).await.unwrap();
            assert_eq!(
                result.status,
                Status::Ok,
                "{mode:?} {code:?}: {}",
                result.stderr
            );
            assert_eq!(plain(&result.display), *shown, "{mode:?} {code:?}");
            assert_eq!(result.stdout, *stdout, "{mode:?} {code:?}");
        }

        // A last expression that raises is the program's error, with the
        // user's line and none of the sandbox's frames.
        let result = client.execute("x = 0\n1 / x\n").await.unwrap();
        assert_eq!(result.status, Status::Error);
        assert!(result.stderr.contains("line 2"), "{}", result.stderr);
        assert!(
            result.stderr.contains("ZeroDivisionError"),
            "{}",
            result.stderr
        );
        assert!(
            !result.stderr.contains("_sandbox_main"),
            "{}",
            result.stderr
        );
        assert!(result.display.is_empty());
        // ...and one that exits ends the program as `sys.exit` does.
        let result = client.execute("import sys\nsys.exit(3)\n").await.unwrap();
        assert_eq!(result.return_code, Some(3), "{}", result.stderr);
        // A syntax error is still one, at its line.
        let result = client.execute("x = 1\n1 +\n").await.unwrap();
        assert_eq!(result.status, Status::SyntaxError);
    }
}

#[tokio::test]
async fn display_shows_each_representation_as_ipython_does() {
    let code = format!(
        "{PNG_MAKER}
class Rich:
    def _repr_html_(self): return '<b>rich</b>'
    def _repr_markdown_(self): return '**rich**'
    def _repr_svg_(self): return '<svg xmlns=\"http://www.w3.org/2000/svg\"/>'
    def _repr_latex_(self): return r'$\\alpha$'
    def _repr_json_(self): return {{'a': [1, 2]}}
    def _repr_jpeg_(self): return b'\\xff\\xd8\\xff\\xe0'
    def __repr__(self): return 'Rich()'
class Bundle:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {{'text/plain': 'from bundle', 'text/html': '<i>b</i>'}}, {{}}
class Broken:
    def _repr_html_(self): raise ValueError('no html today')
    def __repr__(self): return 'Broken()'
class NotJson:
    def _repr_json_(self): return {{1, 2}}
    def __repr__(self): return 'NotJson()'
class Claims:
    def __getattr__(self, name): return lambda *a, **k: '<p>anything</p>'
    def __repr__(self): return 'Claims()'
display(Red(4, 3))
display(Rich(), Bundle())
display(Broken())
display(NotJson())
display(Claims())
display(int)
display({{'text/plain': 'raw', 'image/png': b'\\x89PNG'}}, raw=True)
print('done')
"
    );
    let result = client(ExecutionMode::Secure).execute(code).await.unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
    assert_eq!(result.stdout, "done\n");
    let shown = &result.display;
    assert_eq!(
        plain(shown),
        [
            "<Red 4x3>",
            "Rich()",
            "from bundle",
            "Broken()",
            "NotJson()",
            "Claims()",
            "<class 'int'>",
            "raw"
        ]
    );
    assert_eq!(png_size(&shown[0].png().expect("a PNG")), (4, 3));
    let rich = &shown[1];
    assert_eq!(rich.html(), Some("<b>rich</b>"));
    assert_eq!(rich.get("text/markdown"), Some("**rich**"));
    assert_eq!(rich.get("text/latex"), Some("$\\alpha$"));
    assert!(rich.get("image/svg+xml").unwrap().starts_with("<svg"));
    assert_eq!(rich.0["application/json"], serde_json::json!({"a": [1, 2]}));
    assert_eq!(rich.image("image/jpeg").unwrap(), b"\xff\xd8\xff\xe0");
    assert_eq!(shown[2].html(), Some("<i>b</i>"));
    // A representation that fails is named on stderr and left out.
    assert_eq!(shown[3].0.len(), 1);
    assert!(
        result
            .stderr
            .contains("display: Broken._repr_html_() failed: ValueError: no html today"),
        "{}",
        result.stderr
    );
    assert_eq!(shown[4].0.len(), 1, "{:?}", shown[4]);
    assert!(
        result.stderr.contains("application/json"),
        "{}",
        result.stderr
    );
    // An object that claims every attribute has no representations.
    assert_eq!(shown[5].0.len(), 1, "{:?}", shown[5]);
    assert_eq!(shown[7].png().unwrap(), b"\x89PNG");
}

#[tokio::test]
async fn what_is_shown_counts_against_the_result_cap() {
    let root = tempfile::tempdir().unwrap();
    let client = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Secure,
        work_root: Some(root.path().to_owned()),
        max_result_bytes: Some(1 << 20),
        ..crate::support::config()
    })
    .unwrap();
    // 20 MB shown against a 1 MiB cap: the run is not held up, the result
    // keeps what fits and says how much was left out.
    let started = std::time::Instant::now();
    let result = client
        .execute("for i in range(2000):\n    display('x' * 10000)\nprint('end')\n")
        .await
        .unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
    assert_eq!(result.stdout, "end\n");
    assert!(started.elapsed() < Duration::from_secs(20));
    let json = serde_json::to_vec(&result).unwrap();
    assert!(json.len() <= 1 << 20, "{} bytes", json.len());
    assert!(result.display.len() > 50 && result.display.len() < 2000);
    let message = result.message.unwrap_or_default();
    assert!(
        message.contains(&format!(
            "{} displayed objects were left out",
            2000 - result.display.len()
        )),
        "{message}"
    );
}

#[tokio::test]
async fn a_program_that_scribbles_on_its_report_pipe_loses_only_its_displays() {
    let client = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Simple,
        policy: PolicyChoice::Off,
        ..crate::support::config()
    })
    .unwrap();
    // Every pipe the program holds but stdio gets a frame of garbage.
    let code = "import os, stat\n\
        display('before')\n\
        for fd in range(3, 64):\n\
        \x20   try:\n\
        \x20       if stat.S_ISFIFO(os.fstat(fd).st_mode):\n\
        \x20           os.write(fd, b'\\x00\\x00\\x00\\x05hello')\n\
        \x20   except OSError:\n\
        \x20       pass\n\
        display('after')\n\
        print('still running')\n";
    let result = client.execute(code).await.unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
    assert_eq!(result.stdout, "still running\n");
    assert_eq!(plain(&result.display), ["'before'"]);
    let message = result.message.unwrap_or_default();
    assert!(
        message.contains("later displayed objects were ignored"),
        "{message}"
    );
}

#[tokio::test]
async fn displays_come_as_events_locally_and_over_http() {
    let server = TestServer::start(&[], &[]);
    let code = "print('a')\ndisplay(7)\nprint('b')\n6 * 7\n";
    for (name, client) in [
        ("secure", client(ExecutionMode::Secure)),
        ("simple", client(ExecutionMode::Simple)),
        ("remote", remote(&server, None)),
    ] {
        let mut stream = client.execute_stream(ExecutionRequest::new(code));
        let mut shown = Vec::new();
        let result = loop {
            match stream.next().await.expect("an event").expect("the run") {
                ExecutionEvent::Display { data } => shown.push(data),
                ExecutionEvent::Result(result) => break *result,
                _ => {}
            }
        };
        assert_eq!(result.status, Status::Ok, "{name}: {}", result.stderr);
        assert_eq!(plain(&shown), ["7", "42"], "{name}");
        assert_eq!(shown, result.display, "{name}");
        assert_eq!(result.stdout, "a\nb\n", "{name}");
    }

    // On the wire: an `event: display` whose data is the bundle.
    let body = http()
        .post(server.at("/execute"))
        .header("accept", "text/event-stream")
        .json(&serde_json::json!({"code": "6 * 7"}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("event: display\ndata: {\"text/plain\":\"42\"}\n"),
        "{body}"
    );
    // And in the plain JSON answer, the result's `display`.
    let body = serde_json::json!({"code": format!("{PNG_MAKER}\nRed(2, 5)")});
    let answer: serde_json::Value = crate::serving::execute(&server, &body, None)
        .await
        .json()
        .await
        .unwrap();
    let bundle: MimeBundle = serde_json::from_value(answer["display"][0].clone()).unwrap();
    assert_eq!(png_size(&bundle.png().unwrap()), (2, 5));
    assert_eq!(bundle.plain(), Some("<Red 2x5>"));
}

#[tokio::test]
async fn mcp_returns_shown_images_as_image_content() {
    let server = TestServer::start(&[], &[]);
    let mcp = crate::mcp::connect(&server, None).await.unwrap();
    let code = format!("{PNG_MAKER}\ndisplay(Red(3, 2))\nprint('drawn')\n{{'rows': 2}}\n");
    let result = crate::mcp::call(&mcp, "run_python", serde_json::json!({"code": code})).await;
    assert_eq!(result.is_error, Some(false));
    let text = crate::mcp::text(&result);
    assert!(text.starts_with("drawn\n"), "{text}");
    assert!(
        text.contains("[display 1: image/png image, attached] <Red 3x2>"),
        "{text}"
    );
    assert!(text.contains("[display 2]\n{'rows': 2}\n"), "{text}");
    let images: Vec<_> = result
        .content
        .iter()
        .filter_map(|block| block.as_image())
        .collect();
    assert_eq!(images.len(), 1, "{:?}", result.content);
    assert_eq!(images[0].mime_type, "image/png");
    let png = crate::serving::unb64(&images[0].data);
    assert_eq!(png_size(&png), (3, 2));
    let structured = result.structured_content.as_ref().unwrap();
    assert_eq!(structured["display"][1]["text/plain"], "{'rows': 2}");
    mcp.cancel().await.unwrap();
}
