//! The deployment files in `deploy/`, checked offline: no cluster and no
//! container engine runs here, so each file goes through the validator made
//! for its format, and the properties that tie the files together (ports,
//! users, probes, the security options secure mode needs) are asserted on
//! the parsed files.
//!
//! The validators come from PyPI, installed by `.ci/deploy-tools` into
//! `target/deploy-tools/venv` (see `.ci/deploy-tools.txt`):
//! kubernetes-validate (bundled Kubernetes schemas), check-jsonschema (bundled
//! Compose specification schema), hadolint, and `dockerfile` (BuildKit's
//! parser). A missing validator fails these tests, saying how to install it.
//! Each validator is also shown a broken file, to prove it can fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::tier::{Tier, require};

const INSTALL: &str =
    "install the deployment validators with `bash .ci/setup` (as `cargo xtask test` does)";

/// Kubernetes versions the manifests must be valid for: the oldest this
/// deployment supports (user namespaces on by default) and the newest the
/// validator knows.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.33.0", "1.37.0"];

/// The image's user, which compose and the Deployment must use too.
const UID: u64 = 10001;
/// The port the server listens on in the image.
const PORT: u64 = 8000;
/// The default `SANDBOX_TIMEOUT` the files set, in seconds.
const TIMEOUT_SECS: u64 = 30;
/// How long the server waits, after its shutdown deadline, for the runs it
/// killed (`AFTER_KILL_GRACE` in sandbox-server).
const AFTER_KILL_SECS: u64 = 5;

/// Checks that a stop grace period of `grace` seconds covers the server's
/// whole shutdown, given its `SANDBOX_TIMEOUT_LIMIT` and
/// `SANDBOX_SHUTDOWN_TIMEOUT` settings: no run outlasts the drain, and the
/// drain plus the kill grace ends before the grace period does.
fn assert_drain_fits(grace: u64, timeout_limit: Option<&str>, shutdown: Option<&str>) {
    let seconds = |v: Option<&str>, name: &str| -> u64 {
        v.unwrap_or_else(|| panic!("{name} must be set"))
            .parse()
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let limit = seconds(timeout_limit, "SANDBOX_TIMEOUT_LIMIT");
    let shutdown = seconds(shutdown, "SANDBOX_SHUTDOWN_TIMEOUT");
    assert!(limit >= TIMEOUT_SECS, "timeout limit {limit}s");
    assert!(
        shutdown >= limit,
        "shutdown {shutdown}s < timeout limit {limit}s"
    );
    assert!(
        grace > shutdown + AFTER_KILL_SECS,
        "grace {grace}s does not cover shutdown {shutdown}s + {AFTER_KILL_SECS}s"
    );
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn path(relative: &str) -> PathBuf {
    root().join(relative)
}

/// A program from the validators' venv; panics with the install hint when
/// it is missing.
fn tool(name: &str) -> PathBuf {
    let path = path("target/deploy-tools/venv/bin").join(name);
    assert!(path.is_file(), "`{}` is missing: {INSTALL}", path.display());
    path
}

/// Runs a validator; `Err(output)` when it exits non-zero or prints a
/// warning or error line (kubernetes-validate only warns, exit 0, about a
/// kind or apiVersion it has no schema for).
fn validate(program: &Path, args: &[&str], files: &[PathBuf]) -> Result<String, String> {
    let output = Command::new(program)
        .args(args)
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{}`: {e}; {INSTALL}", program.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let complained = text
        .lines()
        .any(|l| l.starts_with("WARN") || l.starts_with("ERROR"));
    if output.status.success() && !complained {
        Ok(text)
    } else {
        Err(text)
    }
}

fn kubernetes_validate(version: &str, files: &[PathBuf]) -> Result<String, String> {
    validate(
        &tool("kubernetes-validate"),
        &["--strict", "--kubernetes-version", version],
        files,
    )
}

fn compose_validate(files: &[PathBuf]) -> Result<String, String> {
    validate(
        &tool("check-jsonschema"),
        &["--builtin-schema", "vendor.compose-spec"],
        files,
    )
}

/// Runs a Python snippet in the venv and parses what it prints as JSON.
fn python_json(script: &str, file: &Path) -> Value {
    let output = Command::new(tool("python"))
        .args(["-I", "-c", script])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the venv's python: {e}; {INSTALL}"));
    assert!(
        output.status.success(),
        "parsing {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON from python")
}

/// Every YAML document in a file (PyYAML, from the venv).
fn yaml(file: &Path) -> Vec<Value> {
    let docs = python_json(
        "import json, sys, yaml\n\
         json.dump(list(yaml.safe_load_all(open(sys.argv[1]))), sys.stdout)",
        file,
    );
    docs.as_array().expect("a list of documents").clone()
}

/// The single YAML document of a file.
fn yaml_one(relative: &str) -> Value {
    let mut docs = yaml(&path(relative));
    assert_eq!(docs.len(), 1, "{relative} should hold one document");
    docs.remove(0)
}

/// Dockerfile instructions as BuildKit parses them: `cmd`, `flags`,
/// `value`, `json` (exec form) for each.
fn dockerfile(file: &Path) -> Vec<Value> {
    let parsed = python_json(
        "import dockerfile, json, sys\n\
         json.dump([c._asdict() for c in dockerfile.parse_file(sys.argv[1])], sys.stdout)",
        file,
    );
    parsed.as_array().expect("a list of instructions").clone()
}

fn strs(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Copies `relative` into a temp dir with `from` replaced by `to`.
fn broken_copy(dir: &Path, relative: &str, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(path(relative)).unwrap();
    assert!(text.contains(from), "{relative} should contain `{from}`");
    let name = Path::new(relative).file_name().unwrap();
    let copy = dir.join(name);
    std::fs::write(&copy, text.replacen(from, to, 1)).unwrap();
    copy
}

// --- Kubernetes -----------------------------------------------------------

const KUBE_DIR: &str = "deploy/kubernetes";

/// Every manifest in deploy/kubernetes (the kustomization is not one).
fn manifests() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(path(KUBE_DIR))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "yaml" || e == "yml")
                && p.file_name().is_some_and(|n| n != "kustomization.yaml")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn kubernetes_manifests_match_the_kubernetes_schemas() {
    require!(Tier::DeployTools);
    let files = manifests();
    let kinds: BTreeSet<String> = files
        .iter()
        .flat_map(|f| yaml(f))
        .map(|d| d["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    for kind in [
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Secret",
        "Ingress",
    ] {
        assert!(kinds.contains(kind), "no {kind} among {files:?}");
    }
    for version in KUBERNETES_VERSIONS {
        if let Err(output) = kubernetes_validate(version, &files) {
            panic!("manifests invalid for Kubernetes {version}:\n{output}");
        }
    }
}

#[test]
fn kubernetes_validation_rejects_broken_manifests() {
    require!(Tier::DeployTools);
    let dir = tempfile::tempdir().unwrap();
    let deployment = "deploy/kubernetes/deployment.yaml";
    let cases = [
        // A value of the wrong type.
        (
            deployment,
            "readOnlyRootFilesystem: true",
            "readOnlyRootFilesystem: sure",
        ),
        (deployment, "containerPort: 8000", "containerPort: http"),
        // A misspelt field (strict mode rejects unknown properties).
        (
            deployment,
            "procMount: Unmasked",
            "procMount: Unmasked\n            privilegd: false",
        ),
        // A required field left out.
        ("deploy/kubernetes/hpa.yaml", "  maxReplicas: 10\n", ""),
        // An apiVersion with no schema: the validator only warns about it.
        (deployment, "apiVersion: apps/v1", "apiVersion: apps/v2"),
    ];
    for (file, from, to) in cases {
        let copy = broken_copy(dir.path(), file, from, to);
        let result = kubernetes_validate(KUBERNETES_VERSIONS[0], &[copy]);
        assert!(
            result.is_err(),
            "{file}: `{from}` -> `{to}` should be rejected, got: {result:?}"
        );
    }
}

/// Every call of a session reaches the replica that holds it: the
/// `/sessions` Ingress hashes on the header the clients send on each of
/// them (and the server takes as a proposed id at creation).
#[test]
fn the_sessions_ingress_hashes_on_the_session_header() {
    require!(Tier::DeployTools);
    let docs = yaml(&path("deploy/kubernetes/ingress.yaml"));
    let sessions = docs
        .iter()
        .find(|d| d["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/sessions")
        .expect("an Ingress for /sessions");
    assert_eq!(
        sessions["metadata"]["annotations"]["nginx.ingress.kubernetes.io/upstream-hash-by"],
        "$http_x_sandbox_session"
    );
    let rest = docs
        .iter()
        .find(|d| d["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/")
        .expect("an Ingress for the rest");
    assert!(
        rest["metadata"]["annotations"]["nginx.ingress.kubernetes.io/upstream-hash-by"].is_null(),
        "the rest of the API is spread, not hashed"
    );
    // MCP names sessions in its body: one key's calls stay on one replica.
    let mcp = docs
        .iter()
        .find(|d| d["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/mcp")
        .expect("an Ingress for /mcp");
    let by = mcp["metadata"]["annotations"]["nginx.ingress.kubernetes.io/upstream-hash-by"]
        .as_str()
        .unwrap_or_default();
    assert!(
        by.contains("$http_authorization") && by.contains("$http_x_api_key"),
        "{by}"
    );
    // The header the Ingress hashes on is the one client and server use.
    for source in [
        "crates/sandbox-server/src/sessions.rs",
        "crates/sandbox-client/src/remote.rs",
    ] {
        let text = std::fs::read_to_string(path(source)).unwrap();
        assert!(text.contains("\"x-sandbox-session\""), "{source}");
    }
}

#[test]
fn kustomization_deploys_every_manifest_but_the_example_secret() {
    require!(Tier::DeployTools);
    let kustomization = yaml_one("deploy/kubernetes/kustomization.yaml");
    let listed: BTreeSet<&str> = strs(&kustomization["resources"]).into_iter().collect();
    let names: Vec<String> = manifests()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| *n != "secret.example.yaml")
        .collect();
    assert_eq!(listed, expected, "kustomization.yaml resources");
    assert!(
        names.iter().any(|n| n == "secret.example.yaml"),
        "the example Secret should exist (and stay out of the kustomization)"
    );
    assert_eq!(kustomization["namespace"], "python-sandbox");
    assert_eq!(kustomization["images"][0]["name"], "python-sandbox");
}

fn deployment() -> Value {
    yaml_one("deploy/kubernetes/deployment.yaml")
}

fn env_value<'a>(env: &'a Value, name: &str) -> Option<&'a str> {
    env.as_array()?
        .iter()
        .find(|e| e["name"] == name)?
        .get("value")?
        .as_str()
}

#[test]
fn deployment_opens_only_what_secure_mode_needs() {
    require!(Tier::DeployTools);
    let deployment = deployment();
    let pod = &deployment["spec"]["template"]["spec"];
    let pod_sc = &pod["securityContext"];
    assert_eq!(pod["hostUsers"], false, "own user namespace per pod");
    assert_eq!(pod_sc["runAsNonRoot"], true);
    assert_eq!(pod_sc["runAsUser"], UID);
    assert_eq!(pod_sc["runAsGroup"], UID);
    assert_eq!(pod_sc["seccompProfile"]["type"], "Unconfined");
    assert_eq!(pod_sc["appArmorProfile"]["type"], "Unconfined");
    assert_eq!(pod["automountServiceAccountToken"], false);

    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1);
    let container = &containers[0];
    let sc = &container["securityContext"];
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["privileged"], false);
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(strs(&sc["capabilities"]["drop"]), ["ALL"]);
    assert!(sc["capabilities"]["add"].is_null(), "no capability added");
    assert_eq!(sc["procMount"], "Unmasked");
    assert!(sc["seccompProfile"].is_null() && sc["appArmorProfile"].is_null());

    let env = &container["env"];
    assert_eq!(env_value(env, "SANDBOX_MODE"), Some("secure"));
    assert_eq!(env_value(env, "SANDBOX_ISOLATION"), Some("no-cgroups"));
    assert_eq!(
        env_value(env, "SANDBOX_TIMEOUT"),
        Some(TIMEOUT_SECS.to_string().as_str())
    );
    assert_drain_fits(
        pod["terminationGracePeriodSeconds"].as_u64().unwrap(),
        env_value(env, "SANDBOX_TIMEOUT_LIMIT"),
        env_value(env, "SANDBOX_SHUTDOWN_TIMEOUT"),
    );
    // The HPA owns the replica count.
    assert!(deployment["spec"]["replicas"].is_null());

    for kind in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                container["resources"][kind][resource].is_string(),
                "resources.{kind}.{resource}"
            );
        }
    }
}

#[test]
fn deployment_probes_ports_and_volumes_fit_together() {
    require!(Tier::DeployTools);
    let deployment = deployment();
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let port = &container["ports"][0];
    assert_eq!(port["containerPort"], PORT);
    let port_name = port["name"].as_str().unwrap();
    for (probe, endpoint) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        let get = &container[probe]["httpGet"];
        assert_eq!(get["path"], endpoint, "{probe}");
        assert_eq!(get["port"], port_name, "{probe} port");
    }
    let annotations = &deployment["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(annotations["prometheus.io/port"], PORT.to_string());

    // The read-only root needs a writable /tmp for run dirs.
    let mounts = container["volumeMounts"].as_array().unwrap();
    let mount_of = |volume: &str| {
        mounts
            .iter()
            .find(|m| m["name"] == volume)
            .unwrap_or_else(|| panic!("no mount of volume {volume}"))
    };
    assert_eq!(mount_of("tmp")["mountPath"], "/tmp");
    let volumes = pod["volumes"].as_array().unwrap();
    let volume = |name: &str| volumes.iter().find(|v| v["name"] == name).unwrap();
    assert!(volume("tmp")["emptyDir"].is_object());

    // SANDBOX_API_KEYS_FILE is the Secret's key, inside its mount.
    let keys_mount = mount_of("api-keys");
    assert_eq!(keys_mount["readOnly"], true);
    let keys_file = env_value(&container["env"], "SANDBOX_API_KEYS_FILE").unwrap();
    let dir = keys_mount["mountPath"].as_str().unwrap();
    let key = keys_file
        .strip_prefix(dir)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or_else(|| panic!("{keys_file} is not inside {dir}"));
    let secret_name = volume("api-keys")["secret"]["secretName"].as_str().unwrap();
    // Mode 0440: readable by the fsGroup, not by others.
    assert_eq!(volume("api-keys")["secret"]["defaultMode"], 0o440);
    assert_eq!(pod["securityContext"]["fsGroup"], UID);
    let secret = yaml_one("deploy/kubernetes/secret.example.yaml");
    assert_eq!(secret["metadata"]["name"], secret_name);
    assert!(
        secret["stringData"][key].is_string(),
        "the example Secret should hold the key `{key}`"
    );
}

#[test]
fn service_autoscaler_budget_and_policy_target_the_deployment() {
    require!(Tier::DeployTools);
    let deployment = deployment();
    let name = deployment["metadata"]["name"].as_str().unwrap();
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    let selects_pods = |selector: &Value| {
        let selector = selector.as_object().expect("a label selector");
        !selector.is_empty() && selector.iter().all(|(k, v)| &labels[k] == v)
    };
    assert!(selects_pods(&deployment["spec"]["selector"]["matchLabels"]));

    let service = yaml_one("deploy/kubernetes/service.yaml");
    assert!(selects_pods(&service["spec"]["selector"]));
    let port = &service["spec"]["ports"][0];
    assert_eq!(port["port"], PORT);
    assert_eq!(
        port["targetPort"],
        deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["name"]
    );

    let hpa = yaml_one("deploy/kubernetes/hpa.yaml");
    assert_eq!(hpa["apiVersion"], "autoscaling/v2");
    let target = &hpa["spec"]["scaleTargetRef"];
    assert_eq!(target["kind"], "Deployment");
    assert_eq!(target["name"], name);
    let min = hpa["spec"]["minReplicas"].as_u64().unwrap();
    let max = hpa["spec"]["maxReplicas"].as_u64().unwrap();
    assert!(2 <= min && min < max, "replicas {min}..{max}");

    let pdb = yaml_one("deploy/kubernetes/pdb.yaml");
    assert_eq!(pdb["apiVersion"], "policy/v1");
    assert!(selects_pods(&pdb["spec"]["selector"]["matchLabels"]));
    // The budget must leave evictions possible at the minimum scale.
    assert!(pdb["spec"]["minAvailable"].as_u64().unwrap() < min);

    let policy = yaml_one("deploy/kubernetes/networkpolicy.yaml");
    assert!(selects_pods(&policy["spec"]["podSelector"]["matchLabels"]));
    let egress = serde_json::to_string(&policy["spec"]["egress"]).unwrap();
    assert!(
        egress.contains("169.254.0.0/16") && egress.contains("10.0.0.0/8"),
        "egress must exclude cloud metadata and private ranges: {egress}"
    );
}

// --- Docker Compose -------------------------------------------------------

const COMPOSE: &str = "deploy/docker-compose.yml";

#[test]
fn compose_files_match_the_compose_specification() {
    require!(Tier::DeployTools);
    let files = [
        path(COMPOSE),
        path("docker-compose.yml"),
        path("deploy/docker-compose.cgroups-v1.yml"),
    ];
    if let Err(output) = compose_validate(&files) {
        panic!("compose files invalid:\n{output}");
    }
    // The root file is the original's `docker-compose up -d` entry point.
    let root = yaml_one("docker-compose.yml");
    assert_eq!(strs(&root["include"]), [COMPOSE]);
}

#[test]
fn compose_validation_rejects_broken_files() {
    require!(Tier::DeployTools);
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in [
        // A misspelt option.
        ("security_opt:", "security_options:"),
        // A list where the specification wants a mapping.
        (
            "    healthcheck:\n",
            "    healthcheck:\n      - true\n    x-was-healthcheck:\n",
        ),
    ] {
        let copy = broken_copy(dir.path(), COMPOSE, from, to);
        assert!(
            compose_validate(&[copy]).is_err(),
            "`{from}` -> `{to}` should be rejected"
        );
    }
}

#[test]
fn compose_service_runs_secure_mode_unprivileged() {
    require!(Tier::DeployTools);
    let compose = yaml_one(COMPOSE);
    let services = compose["services"].as_object().unwrap();
    assert_eq!(services.len(), 1);
    let service = &services["sandbox"];

    let build = &service["build"];
    let context = path("deploy").join(build["context"].as_str().unwrap());
    assert_eq!(
        context.canonicalize().unwrap(),
        root().canonicalize().unwrap(),
        "the build context is the repository root"
    );
    assert!(
        context
            .join(build["dockerfile"].as_str().unwrap())
            .is_file()
    );
    assert_eq!(service["image"], "python-sandbox:latest");

    let options: BTreeSet<&str> = strs(&service["security_opt"]).into_iter().collect();
    let expected: BTreeSet<&str> = [
        "seccomp=unconfined",
        "apparmor=unconfined",
        "systempaths=unconfined",
        "no-new-privileges:true",
    ]
    .into();
    assert_eq!(options, expected, "security_opt");
    assert_eq!(strs(&service["cap_drop"]), ["ALL"]);
    assert!(service["cap_add"].is_null() && service["privileged"].is_null());
    assert_eq!(service["user"], format!("{UID}:{UID}"));
    assert_eq!(service["read_only"], true);
    assert!(
        strs(&service["tmpfs"])
            .iter()
            .any(|t| t.starts_with("/tmp:")),
        "a writable /tmp beside the read-only root"
    );

    // Published on loopback only, to the server's port.
    assert_eq!(
        strs(&service["ports"]),
        [format!("127.0.0.1:{PORT}:{PORT}")]
    );

    let env = &service["environment"];
    assert_eq!(env["SANDBOX_MODE"], "secure");
    assert_eq!(env["SANDBOX_ISOLATION"], "no-cgroups");
    assert_eq!(env["SANDBOX_TIMEOUT"], TIMEOUT_SECS.to_string());
    // No value: passed on from the caller's environment, never a default key.
    assert!(env.as_object().unwrap().contains_key("SANDBOX_API_KEYS"));
    assert!(env["SANDBOX_API_KEYS"].is_null());

    let limits = &service["deploy"]["resources"]["limits"];
    for limit in ["cpus", "memory", "pids"] {
        assert!(!limits[limit].is_null(), "deploy.resources.limits.{limit}");
    }
    let health = strs(&service["healthcheck"]["test"]).join(" ");
    assert!(
        health.contains(&format!("127.0.0.1:{PORT}/readyz")),
        "{health}"
    );
    let grace = service["stop_grace_period"].as_str().unwrap();
    let grace: u64 = grace.strip_suffix('s').unwrap().parse().unwrap();
    assert_drain_fits(
        grace,
        service["environment"]["SANDBOX_TIMEOUT_LIMIT"].as_str(),
        service["environment"]["SANDBOX_SHUTDOWN_TIMEOUT"].as_str(),
    );
}

// --- Dockerfile -----------------------------------------------------------

const DOCKERFILE: &str = "deploy/Dockerfile";

fn hadolint(file: &Path) -> Result<String, String> {
    validate(&tool("hadolint"), &["--no-color"], &[file.to_owned()])
}

#[test]
fn dockerfile_passes_hadolint() {
    require!(Tier::DeployTools);
    if let Err(output) = hadolint(&path(DOCKERFILE)) {
        panic!("hadolint:\n{output}");
    }
}

#[test]
fn hadolint_rejects_a_dockerfile_that_ends_as_root() {
    require!(Tier::DeployTools);
    let dir = tempfile::tempdir().unwrap();
    let copy = broken_copy(dir.path(), DOCKERFILE, "USER 10001:10001", "USER root");
    let output = hadolint(&copy).expect_err("a final USER root should fail");
    assert!(output.contains("DL3002"), "{output}");
}

/// The instructions of each stage, split at FROM.
fn stages(instructions: &[Value]) -> Vec<Vec<Value>> {
    let mut stages: Vec<Vec<Value>> = Vec::new();
    for instruction in instructions {
        if instruction["cmd"] == "FROM" {
            stages.push(Vec::new());
        }
        if let Some(stage) = stages.last_mut() {
            stage.push(instruction.clone());
        }
    }
    stages
}

fn values(instruction: &Value) -> Vec<&str> {
    strs(&instruction["value"])
}

fn find<'a>(stage: &'a [Value], cmd: &str) -> Vec<&'a Value> {
    stage.iter().filter(|i| i["cmd"] == cmd).collect()
}

#[test]
fn dockerfile_builds_in_stages_and_runs_unprivileged() {
    require!(Tier::DeployTools);
    let instructions = dockerfile(&path(DOCKERFILE));
    let stages = stages(&instructions);
    assert!(
        stages.len() >= 3,
        "chef/planner, builder and runtime stages"
    );
    let named = |stage: &[Value], name: &str| values(&stage[0]).get(2) == Some(&name);

    // The builder: dependencies cooked from the recipe before the sources
    // are copied (the cached layer), then the two release binaries.
    let builder = stages
        .iter()
        .find(|s| named(s, "builder"))
        .expect("a stage named builder");
    let position = |pred: &dyn Fn(&Value) -> bool| {
        builder
            .iter()
            .position(pred)
            .unwrap_or_else(|| panic!("builder stage lacks a step"))
    };
    let run_with = |text: &'static str| {
        move |i: &Value| i["cmd"] == "RUN" && values(i).join(" ").contains(text)
    };
    let cook = position(&run_with("cargo chef cook --release --locked"));
    let copy_sources = position(&|i: &Value| i["cmd"] == "COPY" && values(i) == [".", "."]);
    let build = position(&run_with("cargo build --release --locked"));
    assert!(cook < copy_sources && copy_sources < build);
    let build_line = values(&builder[build]).join(" ");
    for part in [
        "-p sandbox-server",
        "-p sandbox-cli",
        "--bin sandbox-server",
        "--bin sandbox",
    ] {
        assert!(build_line.contains(part), "cargo build lacks `{part}`");
    }
    let chef = &stages[0];
    assert!(
        values(&chef[0])[0].starts_with("rust:"),
        "builds on the Rust image"
    );

    // The runtime: the last stage, Debian slim with python3.
    let runtime = stages.last().unwrap();
    let base = values(&runtime[0])[0];
    assert!(
        base.starts_with("debian:") && base.ends_with("-slim"),
        "{base}"
    );
    let installs = find(runtime, "RUN").iter().any(|i| {
        values(i)
            .join(" ")
            .contains("apt-get install -y --no-install-recommends python3")
    });
    assert!(installs, "the runtime installs python3");
    let copies: Vec<String> = find(runtime, "COPY")
        .iter()
        .flat_map(|i| strs(&i["flags"]))
        .map(str::to_owned)
        .collect();
    assert!(copies.contains(&"--from=builder".to_owned()), "{copies:?}");

    let users = find(runtime, "USER");
    let user = values(users.last().expect("a USER in the runtime stage"))[0];
    assert_eq!(user, format!("{UID}:{UID}"));
    let entrypoint = find(runtime, "ENTRYPOINT");
    assert_eq!(entrypoint.len(), 1);
    assert_eq!(
        entrypoint[0]["json"], true,
        "exec form: the server is PID 1"
    );
    assert_eq!(values(entrypoint[0]), ["/usr/local/bin/sandbox-server"]);
    let expose: Vec<&str> = find(runtime, "EXPOSE")
        .iter()
        .flat_map(|i| values(i))
        .collect();
    assert_eq!(expose, [PORT.to_string()]);
    let health = find(runtime, "HEALTHCHECK");
    assert_eq!(health.len(), 1);
    let check = values(health[0]).join(" ");
    assert!(
        check.starts_with("CMD python3 ") && check.contains("/readyz"),
        "{check}"
    );

    // ENV is parsed as name, value pairs.
    let env: Vec<&str> = find(runtime, "ENV")
        .iter()
        .flat_map(|i| values(i))
        .collect();
    let var = |name: &str| {
        env.chunks(2)
            .find(|pair| pair[0] == name)
            .map(|pair| pair[1])
    };
    assert_eq!(var("SANDBOX_HOST"), Some("0.0.0.0"));
    assert_eq!(var("SANDBOX_PORT"), Some(PORT.to_string().as_str()));
    assert_eq!(var("SANDBOX_ISOLATION"), Some("no-cgroups"));
    assert!(var("SANDBOX_PYTHON").is_some_and(|p| p.starts_with('/')));
}

#[test]
fn dockerignore_leaves_build_output_and_history_out() {
    let text = std::fs::read_to_string(path(".dockerignore")).unwrap();
    let patterns: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for needed in ["target", ".git"] {
        assert!(
            patterns.iter().any(|p| p.trim_matches('/') == needed),
            ".dockerignore should exclude {needed}"
        );
    }
    for kept in [
        "Cargo.toml",
        "Cargo.lock",
        "crates",
        "xtask",
        "tests",
        "examples",
    ] {
        assert!(
            !patterns.iter().any(|p| p.trim_matches('/') == kept),
            ".dockerignore must keep {kept}: the build needs it"
        );
    }
}

// --- Across the files -----------------------------------------------------

/// Variables `sandbox-server` reads beside those in `sandbox_core::vars`.
const SERVER_VARS: &[&str] = &[
    "SANDBOX_HOST",
    "SANDBOX_PORT",
    "SANDBOX_API_KEYS",
    "SANDBOX_API_KEYS_FILE",
];

#[test]
fn every_sandbox_variable_set_is_one_the_programs_read() {
    require!(Tier::DeployTools);
    let mut known: BTreeSet<&str> = sandbox_core::vars::ALL.iter().map(|(n, _)| *n).collect();
    known.insert(sandbox_core::vars::ISOLATION);
    known.extend(SERVER_VARS);

    let mut set: Vec<(String, &str)> = Vec::new();
    let runtime = stages(&dockerfile(&path(DOCKERFILE))).pop().unwrap();
    for env in find(&runtime, "ENV") {
        for pair in values(env).chunks(2) {
            set.push((pair[0].to_owned(), DOCKERFILE));
        }
    }
    let compose = yaml_one(COMPOSE);
    for name in compose["services"]["sandbox"]["environment"]
        .as_object()
        .unwrap()
        .keys()
    {
        set.push((name.clone(), COMPOSE));
    }
    let deployment = deployment();
    for env in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
    {
        set.push((
            env["name"].as_str().unwrap().to_owned(),
            "deploy/kubernetes/deployment.yaml",
        ));
    }
    assert!(set.len() >= 10, "{set:?}");
    for (name, file) in &set {
        if name.starts_with("SANDBOX_") {
            assert!(known.contains(name.as_str()), "{file} sets unknown {name}");
        }
    }
}
