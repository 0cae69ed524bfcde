//! The runner: one attack, cold or pooled, and the checks of its effects.

use super::*;

/// One run of an attack and what came back.
pub(super) struct Outcome {
    pub(super) result: ExecutionResult,
    pub(super) elapsed: Duration,
    pub(super) values: BTreeMap<&'static str, String>,
}

/// Reads `tests/redteam/<name>.py`, runs it in secure mode as its header
/// says, and fails with every broken expectation and every breach at once.
/// Runs the attack twice: in a sandbox made for the run (cold), then in
/// one a pool prepared before the code was known.
pub(super) async fn run_attack(name: &str) {
    let path = Path::new(ATTACK_DIR).join(format!("{name}.py"));
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let header = Header::parse(&source).unwrap_or_else(|e| panic!("{name}.py: {e}"));
    for tier in header.tiers() {
        require!(tier);
    }
    for pooled in [false, true] {
        attack_round(name, pooled).await;
    }
}

pub(super) async fn attack_round(name: &str, pooled: bool) {
    let path = Path::new(ATTACK_DIR).join(format!("{name}.py"));
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let header = Header::parse(&source).unwrap_or_else(|e| panic!("{name}.py: {e}"));
    let host = host().await;

    let (_shared, _exclusive) = if header.exclusive() {
        (None, Some(TURN.write().await))
    } else {
        (Some(TURN.read().await), None)
    };
    let fixture = Fixture::new(host);
    let tags = [fixture.proc_name.clone(), new_tag()];
    let probe = header.host_responsive.then(Responsiveness::start);
    let outcomes = if header.concurrent == 2 {
        let (a, b) = tokio::join!(
            run_once(
                name, &header, &source, &fixture, host, &tags[0], &tags[1], pooled
            ),
            run_once(
                name, &header, &source, &fixture, host, &tags[1], &tags[0], pooled
            ),
        );
        vec![a, b]
    } else {
        vec![
            run_once(
                name, &header, &source, &fixture, host, &tags[0], &tags[1], pooled,
            )
            .await,
        ]
    };
    let mut failures = probe.map(Responsiveness::finish).unwrap_or_default();
    tokio::time::sleep(header.settle).await;

    for (i, outcome) in outcomes.iter().enumerate() {
        let run = if outcomes.len() > 1 {
            format!("run {}: ", i + 1)
        } else {
            String::new()
        };
        failures.extend(
            what_the_user_sees(&header, outcome, &fixture, host)
                .into_iter()
                .map(|f| format!("{run}{f}")),
        );
    }
    if header.concurrent == 2 {
        failures.extend(overlap(&outcomes));
    }
    let used_tags = if header.concurrent == 2 {
        &tags[..]
    } else {
        &tags[..1]
    };
    failures.extend(fixture.breaches(&header, host, used_tags));

    if std::env::var_os("REDTEAM_VERBOSE").is_some() {
        for outcome in &outcomes {
            println!("attack `{name}`\n{}", dump(outcome));
        }
    }
    if !failures.is_empty() {
        let how = if pooled { "pooled" } else { "cold" };
        let mut report = format!("attack `{name}`, {how} ({})\n", header.about);
        for failure in &failures {
            report.push_str(&format!("  - {failure}\n"));
        }
        for outcome in &outcomes {
            report.push_str(&dump(outcome));
        }
        panic!("{report}");
    }
}

#[allow(clippy::too_many_arguments)] // One run's facts, each its own.
pub(super) async fn run_once(
    name: &str,
    header: &Header,
    source: &str,
    fixture: &Fixture,
    host: &Host,
    self_tag: &str,
    peer_tag: &str,
    pooled: bool,
) -> Outcome {
    let values = fixture.values(host, self_tag, peer_tag);
    let code = fill(source, &values).unwrap_or_else(|e| panic!("{name}.py: {e}"));
    let defaults = ClientConfig::default();
    let client = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Secure,
        isolation: crate::tier::isolation(),
        // The kernel must stop every attack on its own: the policy, which
        // would refuse most of these programs before they run, is off.
        policy: PolicyChoice::Off,
        work_root: Some(fixture.work_root.clone()),
        max_file_bytes: header.max_file_bytes.unwrap_or(defaults.max_file_bytes),
        max_output_bytes: header.max_output_bytes.unwrap_or(defaults.max_output_bytes),
        pool_size: usize::from(pooled),
        // The shape the pool is stocked with at warm-up.
        allow_network: header.network,
        allowed_networks: if header.allow_host_address {
            sandbox_core::network::parse_allowed(&host.address.to_string()).expect("an address")
        } else {
            Vec::new()
        },
        ..defaults
    })
    .expect("valid config");
    if pooled {
        // A sandbox prepared before the code exists, waiting for it.
        client.warm().await.expect("stock the pool");
        let stocked = async {
            while client.pool_stats().is_none_or(|s| s.ready == 0) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(20), stocked)
            .await
            .unwrap_or_else(|_| panic!("attack `{name}`: the pool prepared no sandbox"));
    }
    let mut request = ExecutionRequest::new(code)
        .with_mode(ExecutionMode::Secure)
        .with_timeout(header.timeout)
        .with_network(header.network);
    if let Some(mb) = header.memory_mb {
        request = request.with_memory_mb(mb);
    }
    let start = Instant::now();
    let result = client
        .execute_request(request)
        .await
        .unwrap_or_else(|e| panic!("attack `{name}`: secure mode did not run it: {e}"));
    if pooled {
        let stats = client.pool_stats().expect("a pool");
        assert_eq!(
            stats.hits, 1,
            "attack `{name}`: not run in a pooled sandbox: {stats:?}"
        );
        // The host checks that follow find nothing of the pool's.
        client.close_pool().await;
    }
    Outcome {
        result,
        elapsed: start.elapsed(),
        values,
    }
}

/// The broken expectations of one run: its header, plus what no run may
/// show (the secret, a weaker mode, host paths).
pub(super) fn what_the_user_sees(
    header: &Header,
    outcome: &Outcome,
    fixture: &Fixture,
    host: &Host,
) -> Vec<String> {
    let Outcome {
        result, elapsed, ..
    } = outcome;
    let filled = |text: &String| fill(text, &outcome.values).expect("header placeholders");
    let mut failures = Vec::new();
    if result.mode != ExecutionMode::Secure {
        failures.push(format!("ran in {} mode, not secure", result.mode));
    }
    if result.isolation != Some(crate::tier::isolation()) {
        failures.push(format!(
            "ran with isolation {:?}, not the suite's {}",
            result.isolation,
            crate::tier::isolation()
        ));
    }
    if !header.status.iter().any(|s| s == result.status.as_str()) {
        failures.push(format!(
            "status is `{}`, expected `{}`",
            result.status.as_str(),
            header.status.join(" | ")
        ));
    }
    let message = result.message.clone().unwrap_or_default();
    let nothing = Vec::new();
    let streams = [
        (
            "stdout",
            &result.stdout,
            &header.stdout,
            &header.forbid_stdout,
        ),
        (
            "stderr",
            &result.stderr,
            &header.stderr,
            &header.forbid_stderr,
        ),
        ("message", &message, &header.message, &nothing),
    ];
    for (stream, text, expected, forbidden) in streams {
        for line in expected {
            let line = filled(line);
            if !line.split(" | ").any(|alt| text.contains(alt)) {
                failures.push(format!("{stream} lacks `{line}`"));
            }
        }
        for line in forbidden {
            let line = filled(line);
            if text.contains(&line) {
                failures.push(format!("{stream} shows the forbidden `{line}`"));
            }
        }
    }
    if let Some(limit) = header.max_seconds
        && elapsed.as_secs_f64() > limit
    {
        failures.push(format!("the run took {elapsed:?}, more than {limit} s"));
    }
    let secret = fixture.secret.as_str();
    for (what, text) in [
        ("stdout", &result.stdout),
        ("stderr", &result.stderr),
        ("message", &message),
    ] {
        if text.contains(secret) {
            failures.push(format!("the canary's secret is in {what}"));
        }
    }
    for (file, contents) in &result.output_files {
        if contents
            .windows(secret.len())
            .any(|w| w == secret.as_bytes())
        {
            failures.push(format!(
                "the canary's secret is in the output file `{file}`"
            ));
        }
    }
    if message.len() > MAX_MESSAGE_BYTES {
        failures.push(format!(
            "the message is {} bytes: nothing bounds what the program can put there",
            message.len()
        ));
    }
    if header.check_env {
        failures.extend(host_variables_in(&result.stdout));
    }
    // The repository's path exists only on the host.
    let repo = env!("CARGO_MANIFEST_DIR");
    let interpreter_in_repo = host.interpreter_paths.iter().any(|p| p.starts_with(repo));
    if !interpreter_in_repo && (result.stdout.contains(repo) || result.stderr.contains(repo)) {
        failures.push(format!("the host path {repo} shows in the output"));
    }
    failures
}

/// Host variables among the `ENV name=value` lines of `stdout`: a name the
/// sandbox does not set itself, or one it sets but with the host's value.
/// Names only: a host value may be a secret.
pub(super) fn host_variables_in(stdout: &str) -> Vec<String> {
    let host: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(n, v)| Some((n.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let mut found = BTreeSet::new();
    for line in stdout.lines() {
        let Some((name, value)) = line.strip_prefix("ENV ").and_then(|l| l.split_once('=')) else {
            continue;
        };
        let Some(host_value) = host.get(name) else {
            continue;
        };
        if !sandbox_sets(name) {
            found.insert(format!("the host variable `{name}` is visible"));
        } else if host_value == value && !GENERIC_VALUE_VARS.contains(&name) {
            found.insert(format!("`{name}` has the host's value"));
        }
    }
    found.into_iter().collect()
}

/// The two concurrent runs must have searched at the same time.
pub(super) fn overlap(outcomes: &[Outcome]) -> Vec<String> {
    let windows: Vec<Option<(f64, f64)>> = outcomes
        .iter()
        .map(|o| {
            let line = o.result.stdout.lines().find(|l| l.starts_with("WINDOW "))?;
            let mut parts = line.split_whitespace().skip(1).map(str::parse::<f64>);
            Some((parts.next()?.ok()?, parts.next()?.ok()?))
        })
        .collect();
    match windows[..] {
        [Some((a0, a1)), Some((b0, b1))] => {
            let shared = a1.min(b1) - a0.max(b0);
            if shared < 1.0 {
                vec![format!(
                    "the two runs overlapped {shared:.2} s, less than 1 s: nothing was proven"
                )]
            } else {
                vec![]
            }
        }
        _ => vec!["a concurrent run did not print its `WINDOW start end`".into()],
    }
}

pub(super) fn dump(outcome: &Outcome) -> String {
    let r = &outcome.result;
    let clip = |s: &str| -> String {
        const KEEP: usize = 3000;
        if s.len() <= KEEP {
            return s.to_owned();
        }
        let mut cut = KEEP;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}… ({} bytes in all)", &s[..cut], s.len())
    };
    format!(
        "--- status {} (return code {:?}, isolation {:?}) after {:?}\n--- message: {:?}\n\
         --- output files: {}\n--- stdout:\n{}\n--- stderr:\n{}\n",
        r.status.as_str(),
        r.return_code,
        r.isolation,
        outcome.elapsed,
        r.message.as_deref().map(clip),
        clip(&format!("{:?}", r.output_files.keys().collect::<Vec<_>>())),
        clip(&r.stdout),
        clip(&r.stderr),
    )
}
