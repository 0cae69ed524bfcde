//! The suite's own consistency (no sandbox needed).

use super::*;

/// Every attack file has its test, and every test its file.
#[test]
fn every_attack_file_has_a_test() {
    let files: BTreeSet<String> = std::fs::read_dir(ATTACK_DIR)
        .expect("read the attack dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = ATTACKS.iter().map(|s| (*s).to_owned()).collect();
    let unlisted: Vec<_> = files.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&files).collect();
    assert!(
        unlisted.is_empty(),
        "attack files without an `attacks!` entry in tests/redteam.rs: {unlisted:?}"
    );
    assert!(
        missing.is_empty(),
        "`attacks!` entries without a file: {missing:?}"
    );
    assert!(files.len() >= 45, "only {} attacks", files.len());
}

/// The attacks run alone are exactly those whose headers ask for it, and
/// nextest's configuration runs that module alone.
#[test]
fn exclusive_attacks_are_those_whose_headers_say_so() {
    let mut asked = BTreeSet::new();
    for name in ATTACKS {
        let source =
            std::fs::read_to_string(Path::new(ATTACK_DIR).join(format!("{name}.py"))).unwrap();
        if Header::parse(&source).is_ok_and(|header| header.exclusive()) {
            asked.insert(*name);
        }
    }
    let listed: BTreeSet<&str> = EXCLUSIVE.iter().copied().collect();
    assert_eq!(
        listed, asked,
        "the `exclusive:` list of `attacks!` and the headers disagree"
    );
    let nextest = include_str!("../../.config/nextest.toml");
    assert!(
        nextest.contains("filter = 'test(/^redteam::exclusive::/)'")
            && nextest.contains("threads-required = \"num-test-threads\""),
        ".config/nextest.toml no longer runs the exclusive attacks alone"
    );
}

/// Every header parses and every placeholder is known.
#[test]
fn every_attack_header_is_valid() {
    let values: BTreeMap<&str, String> = PLACEHOLDERS.iter().map(|&p| (p, "x".into())).collect();
    let mut problems = Vec::new();
    for name in ATTACKS {
        let source =
            std::fs::read_to_string(Path::new(ATTACK_DIR).join(format!("{name}.py"))).unwrap();
        match Header::parse(&source) {
            Err(e) => problems.push(format!("{name}.py: {e}")),
            Ok(header) => {
                let texts = std::iter::once(&source).chain(header.values());
                for text in texts {
                    if let Err(e) = fill(text, &values) {
                        problems.push(format!("{name}.py: {e}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every attack is valid Python once filled in. Compiled only, never run, in
/// simple mode (the attack files are data here).
#[tokio::test]
async fn every_attack_compiles() {
    let values: BTreeMap<&str, String> = PLACEHOLDERS
        .iter()
        .map(|&p| {
            let value = match p {
                "TCP_PORT" | "UDP_PORT" | "HOST_PID" | "SENTINEL_PID" => "1".into(),
                "HOST_ENV_NAMES" | "INTERPRETER_PATHS" => "['/x']".into(),
                "HOST_NAMESPACES" => "{'net': 'net:[1]'}".into(),
                _ => format!("/placeholder/{p}"),
            };
            (p, value)
        })
        .collect();
    let files: Vec<(String, Vec<u8>)> = ATTACKS
        .iter()
        .map(|name| {
            let source =
                std::fs::read_to_string(Path::new(ATTACK_DIR).join(format!("{name}.py"))).unwrap();
            let code = fill(&source, &values).unwrap();
            (format!("attacks/{name}.py"), code.into_bytes())
        })
        .collect();
    let code = r#"
import os
names = sorted(os.listdir("attacks"))
for name in names:
    with open(os.path.join("attacks", name), encoding="utf-8") as f:
        try:
            compile(f.read(), name, "exec", dont_inherit=True)
        except SyntaxError as e:
            print("SYNTAX", name, e)
print("compiled", len(names))
"#;
    let result = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Simple,
        ..crate::support::config()
    })
    .unwrap()
    .execute_request(
        ExecutionRequest::new(code)
            .with_mode(ExecutionMode::Simple)
            .with_files(files),
    )
    .await
    .unwrap();
    assert_eq!(result.status, Status::Ok, "{result:?}");
    assert!(!result.stdout.contains("SYNTAX"), "{}", result.stdout);
    assert!(
        result
            .stdout
            .contains(&format!("compiled {}", ATTACKS.len())),
        "{}",
        result.stdout
    );
}

#[test]
fn placeholders_are_filled_and_other_braces_kept() {
    let values = BTreeMap::from([("PORT", "80".to_owned())]);
    assert_eq!(
        fill("f'{x}' {PORT} {'a': 1} {{y}} {P0RT", &values).unwrap(),
        "f'{x}' 80 {'a': 1} {{y}} {P0RT"
    );
    assert!(fill("{NOPE}", &values).unwrap_err().contains("NOPE"));
}
