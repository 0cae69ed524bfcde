//! Files into and out of the work dir, and names that must not pass.

use sandbox_client::{ExecutionRequest, SandboxError, Status};

use crate::support::{isolated_client, leftovers};

#[tokio::test]
async fn hostile_input_names_are_rejected_before_anything_runs() {
    let (root, client) = isolated_client(sandbox_client::ExecutionMode::Secure);
    let marker = root.path().join("ran");
    let code = format!("open({:?}, 'w').write('ran')", marker.display().to_string());
    for name in ["../x", "/etc/x", "a/../../b", "x\0y", "", "a//b", "./x"] {
        let request = ExecutionRequest::new(code.clone()).with_file(name, "payload");
        let err = client.execute_request(request).await.unwrap_err();
        assert!(
            matches!(err, SandboxError::InvalidRequest(_)),
            "{name:?}: {err}"
        );
        let text = err.to_string();
        assert!(text.contains("input file name"), "{name:?}: {text}");
        assert!(
            text.contains(&format!("`{}`", name.escape_debug())),
            "{name:?}: {text}"
        );
    }
    assert!(!marker.exists(), "the code ran despite a rejected name");
    assert_eq!(leftovers(root.path()), Vec::<String>::new());
}

#[tokio::test]
async fn inputs_in_subdirectories_and_outputs_in_subdirectories() {
    let code = r#"
import pathlib
print(open('data/x.csv').read(), end='')
pathlib.Path('out/deep').mkdir(parents=True)
open('out/deep/y.txt', 'w').write('deep')
"#;
    let result = crate::support::default_client()
        .execute_request(ExecutionRequest::new(code).with_file("data/x.csv", "a,b\n"))
        .await
        .unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
    assert_eq!(result.stdout, "a,b\n");
    assert_eq!(result.file_text("out/deep/y.txt"), Some("deep"));
    assert!(
        result.file("data/x.csv").is_none(),
        "unchanged inputs are not outputs"
    );
}

#[tokio::test]
async fn modified_inputs_are_outputs() {
    let result = crate::support::default_client()
        .execute_with_files(
            "open('log.txt', 'a').write('two\\n')",
            [("log.txt", "one\n")],
        )
        .await
        .unwrap();
    assert_eq!(result.file_text("log.txt"), Some("one\ntwo\n"));
}

#[tokio::test]
async fn binary_files_round_trip() {
    let bytes: Vec<u8> = (0..=255).collect();
    let result = crate::support::default_client()
        .execute_with_files(
            "data = open('in.bin', 'rb').read()\nopen('out.bin', 'wb').write(data[::-1])",
            [("in.bin", bytes.clone())],
        )
        .await
        .unwrap();
    let reversed: Vec<u8> = bytes.into_iter().rev().collect();
    assert_eq!(result.file("out.bin"), Some(reversed.as_slice()));
}

/// A symlink the program plants in its work dir is not followed when the
/// outputs are collected: the host file's contents never come back.
#[tokio::test]
async fn symlinks_in_the_work_dir_are_not_followed() {
    let host = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(host.path(), "host secret").unwrap();
    let code = format!(
        "from pathlib import Path\nPath('leak.txt').symlink_to({:?})\nPath('rootfs').symlink_to('/')\nopen('real.txt', 'w').write('ok')",
        host.path().display().to_string()
    );
    let result = crate::support::default_client()
        .execute(code)
        .await
        .unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
    assert_eq!(result.output_files.keys().collect::<Vec<_>>(), ["real.txt"]);
    assert!(result.output_files.values().all(|v| v != b"host secret"));
    assert_eq!(std::fs::read_to_string(host.path()).unwrap(), "host secret");
}

#[tokio::test]
async fn output_file_caps_are_reported() {
    let code = "for i in range(150):\n    open(f'f{i:03}.txt', 'w').write('x')\n";
    let result = crate::support::default_client()
        .execute(code)
        .await
        .unwrap();
    assert_eq!(result.status, Status::Ok);
    assert_eq!(result.output_files.len(), 100);
    assert!(result.output_files_truncated);
    let message = result.message.unwrap();
    assert!(message.contains("50 output file(s) left out"), "{message}");
    assert!(
        result.output_files.contains_key("f000.txt"),
        "name order decides"
    );
}

#[tokio::test]
async fn input_files_can_be_imported_as_modules() {
    let result = crate::support::default_client()
        .execute_with_files(
            "import helper\nprint(helper.double(21))",
            [("helper.py", "def double(x):\n    return 2 * x\n")],
        )
        .await
        .unwrap();
    assert_eq!(result.stdout, "42\n", "{}", result.stderr);
    assert!(
        result.output_files.is_empty(),
        "no __pycache__: {:?}",
        result.output_files.keys()
    );
}
