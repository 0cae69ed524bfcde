use std::ffi::OsString;
use std::io::Write as _;

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
    pairs.iter().map(|(k, v)| (k.into(), v.into())).collect()
}

fn load(pairs: &[(&str, &str)]) -> Result<ClientConfig, ConfigError> {
    ClientConfig::from_sources(env(pairs), None)
}

#[test]
fn defaults_when_nothing_is_set() {
    let config = load(&[("PATH", "/usr/bin"), ("UNRELATED", "x")]).unwrap();
    assert_eq!(config, ClientConfig::default());
    assert_eq!(config.timeout, Duration::from_secs(30));
    assert_eq!(config.max_memory_mb, 128);
    assert!(!config.allow_network);
    assert_eq!(config.server_url, None);
}

#[test]
fn every_variable_is_read() {
    let config = load(&[
        (vars::MODE, "SIMPLE"),
        (vars::TIMEOUT, "2.5"),
        (vars::ALLOW_NETWORK, "true"),
        (vars::MAX_MEMORY_MB, "256"),
        (vars::SERVER_URL, "http://localhost:8000/"),
        (vars::API_KEY, "secret"),
        (vars::API_TIMEOUT, "90"),
        (vars::PYTHON, "/usr/bin/python3.11"),
        (vars::MAX_OUTPUT_BYTES, "4096"),
        (vars::MAX_RESULT_BYTES, "1000000"),
        (vars::ISOLATION, "no-cgroups"),
    ])
    .unwrap();
    assert_eq!(config.mode, ExecutionMode::Simple);
    assert_eq!(config.timeout, Duration::from_millis(2500));
    assert!(config.allow_network);
    assert_eq!(config.max_memory_mb, 256);
    assert_eq!(config.server_url.as_deref(), Some("http://localhost:8000"));
    assert_eq!(config.api_key.as_deref(), Some("secret"));
    assert_eq!(config.api_timeout, Duration::from_secs(90));
    assert_eq!(config.python, Some(PathBuf::from("/usr/bin/python3.11")));
    assert_eq!(config.max_output_bytes, 4096);
    assert_eq!(config.max_result_bytes, Some(1_000_000));
    assert_eq!(config.result_cap(), 1_000_000);
    assert_eq!(config.isolation, crate::Isolation::NoCgroups);

    let config = load(&[(vars::MODE, "secure"), (vars::ALLOW_NETWORK, "0")]).unwrap();
    assert_eq!(config.mode, ExecutionMode::Secure);
    assert!(!config.allow_network);
}

#[test]
fn invalid_values_name_the_variable_and_the_value() {
    let cases = [
        (vars::MODE, "paranoid"),
        (vars::TIMEOUT, "thirty"),
        (vars::TIMEOUT, "0"),
        (vars::TIMEOUT, "-5"),
        (vars::TIMEOUT, "NaN"),
        (vars::TIMEOUT, "1e9"),
        (vars::TIMEOUT, ""),
        (vars::ALLOW_NETWORK, "maybe"),
        (vars::MAX_MEMORY_MB, "1.5"),
        (vars::MAX_MEMORY_MB, "0"),
        (vars::MAX_MEMORY_MB, "99999999999"),
        (vars::SERVER_URL, "localhost:8000"),
        (vars::API_TIMEOUT, "soon"),
        (vars::MAX_OUTPUT_BYTES, "0"),
        (vars::MAX_RESULT_BYTES, "1000"),
        (vars::MAX_RESULT_BYTES, "99999999999999"),
        (vars::MAX_RESULT_BYTES, "-1"),
        (vars::ISOLATION, "none"),
    ];
    for (name, value) in cases {
        let err = load(&[(name, value)]).unwrap_err().to_string();
        assert!(err.contains(&format!("`{name}`")), "{name}={value}: {err}");
        assert!(err.contains(&format!("`{value}`")), "{name}={value}: {err}");
    }
}

#[test]
fn empty_text_variables_mean_unset() {
    let config = load(&[
        (vars::SERVER_URL, ""),
        (vars::API_KEY, " "),
        (vars::PYTHON, ""),
    ])
    .unwrap();
    assert_eq!(config.server_url, None);
    assert_eq!(config.api_key, None);
    assert_eq!(config.python, None);
}

#[test]
fn dotenv_is_read_and_the_real_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(file, "# the original's example").unwrap();
    writeln!(file, "SANDBOX_MODE=secure").unwrap();
    writeln!(file, "SANDBOX_TIMEOUT=12").unwrap();
    writeln!(file, "SANDBOX_ALLOW_NETWORK=false").unwrap();
    writeln!(file, "SANDBOX_MAX_MEMORY_MB=64").unwrap();
    drop(file);

    let config = ClientConfig::from_sources(env(&[]), Some(&path)).unwrap();
    assert_eq!(config.mode, ExecutionMode::Secure);
    assert_eq!(config.timeout, Duration::from_secs(12));
    assert_eq!(config.max_memory_mb, 64);

    let config = ClientConfig::from_sources(
        env(&[(vars::TIMEOUT, "7"), (vars::MODE, "simple")]),
        Some(&path),
    )
    .unwrap();
    assert_eq!(config.timeout, Duration::from_secs(7), "environment wins");
    assert_eq!(config.mode, ExecutionMode::Simple, "environment wins");
    assert_eq!(config.max_memory_mb, 64, ".env still fills the rest");
}

#[test]
fn dotenv_values_are_validated_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    std::fs::write(&path, "SANDBOX_MAX_MEMORY_MB=lots\n").unwrap();
    let err = ClientConfig::from_sources(env(&[]), Some(&path))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`SANDBOX_MAX_MEMORY_MB` is set to `lots`"),
        "{err}"
    );
}

#[test]
fn missing_dotenv_is_fine_and_malformed_dotenv_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join(".env");
    assert!(ClientConfig::from_sources(env(&[]), Some(&missing)).is_ok());

    std::fs::write(&missing, "SANDBOX_MODE='unterminated\n").unwrap();
    let err = ClientConfig::from_sources(env(&[]), Some(&missing))
        .unwrap_err()
        .to_string();
    assert!(err.contains(".env"), "{err}");
}

#[test]
fn debug_output_redacts_the_api_key() {
    let config = ClientConfig {
        api_key: Some("hunter2".into()),
        ..ClientConfig::default()
    };
    let shown = format!("{config:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("<redacted>"));
}

#[test]
fn validate_rejects_out_of_range_fields() {
    let bad = ClientConfig {
        max_memory_mb: 1,
        ..ClientConfig::default()
    };
    assert!(
        bad.validate()
            .unwrap_err()
            .to_string()
            .contains("max_memory_mb")
    );
    assert!(ClientConfig::default().validate().is_ok());
}

#[test]
fn the_result_cap_is_derived_unless_set_and_checked_when_set() {
    let config = ClientConfig::default();
    assert_eq!(
        config.result_cap(),
        crate::encoded::default_max_result_bytes(1 << 20, 100, 16 << 20)
    );
    let small = ClientConfig {
        max_output_bytes: 1000,
        max_output_files_bytes: 3000,
        max_output_files: 1,
        ..ClientConfig::default()
    };
    assert_eq!(small.result_cap(), crate::encoded::MIN_RESULT_BYTES);
    for bytes in [0, 65_535, (16 << 30) + 1] {
        let bad = ClientConfig {
            max_result_bytes: Some(bytes),
            ..ClientConfig::default()
        };
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.contains("max_result_bytes"), "{err}");
        assert!(err.contains("65536"), "{err}");
    }
}
