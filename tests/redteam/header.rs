//! The header of an attack file: what it expects of its run.

use super::*;

/// What an attack file declares about its run.
#[derive(Debug, Clone)]
pub(super) struct Header {
    pub(super) about: String,
    pub(super) status: Vec<String>,
    pub(super) stdout: Vec<String>,
    pub(super) stderr: Vec<String>,
    pub(super) message: Vec<String>,
    pub(super) forbid_stdout: Vec<String>,
    pub(super) forbid_stderr: Vec<String>,
    pub(super) timeout: Duration,
    pub(super) memory_mb: Option<u64>,
    pub(super) network: bool,
    pub(super) max_seconds: Option<f64>,
    pub(super) settle: Duration,
    pub(super) max_file_bytes: Option<u64>,
    pub(super) max_output_bytes: Option<usize>,
    pub(super) tcp_reached: bool,
    pub(super) allow_host_address: bool,
    pub(super) host_responsive: bool,
    pub(super) concurrent: usize,
    pub(super) check_env: bool,
    /// `# tier: root`: what the attack needs beyond `cargo test`'s machine
    /// (see `tier`); a networked attack needs the network helper too.
    pub(super) tiers: Vec<Tier>,
}

impl Header {
    pub(super) fn parse(source: &str) -> Result<Self, String> {
        let mut lines = source.lines().take_while(|l| l.starts_with('#'));
        let about = lines
            .next()
            .and_then(|l| l.strip_prefix("# "))
            .filter(|l| key_value(l).is_none() && !l.trim().is_empty())
            .ok_or("the first line must be `# <what it attacks>`")?
            .to_owned();
        let mut header = Self {
            about,
            status: vec![],
            stdout: vec![],
            stderr: vec![],
            message: vec![],
            forbid_stdout: vec![],
            forbid_stderr: vec![],
            timeout: Duration::from_secs(10),
            memory_mb: None,
            network: false,
            max_seconds: None,
            settle: Duration::ZERO,
            max_file_bytes: None,
            max_output_bytes: None,
            tcp_reached: false,
            allow_host_address: false,
            host_responsive: false,
            concurrent: 1,
            check_env: false,
            tiers: Vec::new(),
        };
        let seconds = |v: &str| -> Result<f64, String> {
            v.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .ok_or(format!("`{v}` is not a number of seconds"))
        };
        let number = |v: &str| v.parse::<u64>().map_err(|e| format!("`{v}`: {e}"));
        let mut in_description = true;
        for line in lines {
            let Some((key, value)) = line.strip_prefix("# ").and_then(key_value) else {
                if in_description {
                    header.about.push(' ');
                    header.about.push_str(line.trim_start_matches('#').trim());
                }
                continue;
            };
            in_description = false;
            let bad = |expected: &str| format!("`{key}: {value}`: expected {expected}");
            let yes_or_no = || bad("`yes` or `no`");
            match key {
                "expect-status" => {
                    if !header.status.is_empty() {
                        return Err("`expect-status` given twice".into());
                    }
                    for status in value.split(" | ") {
                        if !STATUSES.contains(&status) {
                            return Err(bad(&STATUSES.join(", ")));
                        }
                        header.status.push(status.to_owned());
                    }
                }
                "expect-stdout" => header.stdout.push(value.to_owned()),
                "expect-stderr" => header.stderr.push(value.to_owned()),
                "expect-message" => header.message.push(value.to_owned()),
                "forbid-stdout" => header.forbid_stdout.push(value.to_owned()),
                "forbid-stderr" => header.forbid_stderr.push(value.to_owned()),
                "timeout" => header.timeout = Duration::from_secs_f64(seconds(value)?),
                "memory-mb" => header.memory_mb = Some(number(value)?),
                "network" => {
                    header.network = match value {
                        "on" => true,
                        "off" => false,
                        _ => return Err(bad("`on` or `off`")),
                    }
                }
                "max-seconds" => header.max_seconds = Some(seconds(value)?),
                "tier" => header.tiers.push(match value {
                    "root" => Tier::Root,
                    "cgroups" => Tier::Cgroups,
                    _ => return Err(bad("`root` or `cgroups`")),
                }),
                "settle-seconds" => header.settle = Duration::from_secs_f64(seconds(value)?),
                "max-file-bytes" => header.max_file_bytes = Some(number(value)?),
                "max-output-bytes" => {
                    header.max_output_bytes =
                        Some(usize::try_from(number(value)?).map_err(|_| bad("a smaller number"))?);
                }
                "tcp-canary" => {
                    header.tcp_reached = match value {
                        "reached" => true,
                        "untouched" => false,
                        _ => return Err(bad("`reached` or `untouched`")),
                    }
                }
                "host-responsive" => {
                    header.host_responsive = yes_no(value).ok_or_else(yes_or_no)?;
                }
                "check-env" => header.check_env = yes_no(value).ok_or_else(yes_or_no)?,
                "allow-host-address" => {
                    header.allow_host_address = yes_no(value).ok_or_else(yes_or_no)?;
                }
                "concurrent" => {
                    header.concurrent = match value {
                        "1" => 1,
                        "2" => 2,
                        _ => return Err(bad("`1` or `2`")),
                    }
                }
                _ => return Err(format!("unknown header key `{key}`")),
            }
        }
        if header.status.is_empty() {
            return Err("no `# expect-status:` line".into());
        }
        Ok(header)
    }

    /// Every tier the attack needs.
    pub(super) fn tiers(&self) -> Vec<Tier> {
        let mut tiers = self.tiers.clone();
        if self.network {
            tiers.push(Tier::NetworkHelper);
        }
        tiers
    }

    /// Runs that must not share the machine with other red-team runs.
    pub(super) fn exclusive(&self) -> bool {
        self.max_seconds.is_some() || self.host_responsive || self.concurrent > 1
    }

    /// Every header value that may hold placeholders.
    pub(super) fn values(&self) -> impl Iterator<Item = &String> {
        self.stdout
            .iter()
            .chain(&self.stderr)
            .chain(&self.message)
            .chain(&self.forbid_stdout)
            .chain(&self.forbid_stderr)
    }
}

pub(super) fn yes_no(value: &str) -> Option<bool> {
    match value {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// `key: value` where the key is lower-case words joined by dashes.
pub(super) fn key_value(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(": ")?;
    let is_key = !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    is_key.then(|| (key, value.trim()))
}

/// Replaces every `{NAME}` (upper-case letters, digits, `_`) with its value;
/// an unknown name is an error. Other braces are left alone.
pub(super) fn fill(text: &str, values: &BTreeMap<&str, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
            .count();
        let name = &after[..name_len];
        let is_placeholder = after.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
            && after[name_len..].starts_with('}');
        if is_placeholder {
            let value = values
                .get(name)
                .ok_or_else(|| format!("unknown placeholder `{{{name}}}`"))?;
            out.push_str(value);
            rest = &after[name_len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// A Python list literal of strings (JSON's syntax is Python's here).
pub(super) fn py_list<S: AsRef<str>>(items: &[S]) -> String {
    serde_json::to_string(&items.iter().map(AsRef::as_ref).collect::<Vec<_>>())
        .expect("strings serialize")
}
