//! What a model is told about the tools: the limits it must respect and the
//! JSON Schema of the arguments. Built from the configuration that will
//! really apply, so the description cannot promise more than the sandbox
//! allows.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use sandbox_core::policy::Unlisted;
use serde_json::{Value, json};

use super::arguments::BASE64_PREFIX;
use crate::{ClientConfig, ExecutionMode, Policy};

/// Which policy the description can name.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyView {
    /// This policy applies; its allowed modules are listed.
    Known(Box<Policy>),
    /// No policy applies: any module the interpreter has may be imported.
    Off,
    /// A remote server's policy applies, which this side cannot see.
    Remote,
}

/// The limits and policy the tools run under, as the model is told them.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSettings {
    /// The mode code runs in.
    pub mode: ExecutionMode,
    /// The timeout when a call gives none.
    pub timeout: Duration,
    /// The longest timeout a call may ask for, when it is known.
    pub max_timeout: Option<Duration>,
    /// The memory limit, MiB.
    pub memory_mb: u64,
    /// Whether the code may use the network.
    pub allow_network: bool,
    /// The policy code is checked against.
    pub policy: PolicyView,
}

impl ToolSettings {
    /// The settings of a client with `config`: its defaults and, locally,
    /// its policy (a remote server's policy is not visible from here).
    pub fn from_config(config: &ClientConfig) -> Self {
        let policy = if config.server_url.is_some() {
            PolicyView::Remote
        } else {
            match config.policy_for(config.mode) {
                Some(policy) => PolicyView::Known(Box::new(policy.clone())),
                None => PolicyView::Off,
            }
        };
        Self {
            mode: config.mode,
            timeout: config.timeout,
            max_timeout: None,
            memory_mb: config.max_memory_mb,
            allow_network: config.allow_network,
            policy,
        }
    }

    /// The settings of `config`, told which modules its interpreter has
    /// when it runs code locally (the interpreter is asked once per process;
    /// blocking): descriptions and refusals then leave out allowed modules
    /// that are not installed. Remote, or when the interpreter cannot be
    /// asked, as [`ToolSettings::from_config`].
    pub fn probed(config: &ClientConfig) -> Self {
        let settings = Self::from_config(config);
        if config.server_url.is_some() {
            return settings;
        }
        // An interpreter that cannot be asked fails every run anyway, which
        // says why; the description then names every allowed module.
        match sandbox_runner::interpreter::installed_modules(config.python.as_deref()) {
            Ok(installed) => settings.with_installed(installed),
            Err(_) => settings,
        }
    }

    /// Tells the settings which top-level modules the interpreter has.
    #[must_use]
    pub fn with_installed(mut self, installed: Arc<BTreeSet<String>>) -> Self {
        if let PolicyView::Known(policy) = &mut self.policy {
            policy.installed = Some(installed);
        }
        self
    }

    /// Sets the longest timeout a call may ask for.
    #[must_use]
    pub fn with_max_timeout(mut self, max: Duration) -> Self {
        self.max_timeout = Some(max);
        self
    }

    /// The policy to check code against, when it is known here.
    pub fn policy(&self) -> Option<&Policy> {
        match &self.policy {
            PolicyView::Known(policy) => Some(policy),
            PolicyView::Off | PolicyView::Remote => None,
        }
    }

    /// The description of `run_python`.
    pub fn run_description(&self) -> String {
        let mut text = String::from(
            "Run Python 3 code in an isolated sandbox and get back its output: stdout, stderr, \
             the exit status, the files it writes, and what it shows as a notebook cell would: \
             the value of the last expression, `display(obj)`, and matplotlib charts as images \
             (call plt.show(), or leave figures open). Each run starts from scratch: no state or \
             files persist between runs.\n\nLimits:\n",
        );
        let _ = write!(text, "- time: {} per run", seconds(self.timeout));
        match self.max_timeout {
            Some(max) => {
                let _ = writeln!(text, " (`timeout` may ask for up to {})", seconds(max));
            }
            None => text.push_str(" (`timeout` may change it)\n"),
        }
        let _ = writeln!(text, "- memory: {} MiB", self.memory_mb);
        text.push_str(if self.allow_network {
            "- network: allowed\n"
        } else {
            "- network: none (no sockets, no downloads, no package installs)\n"
        });
        text.push_str(match self.mode {
            ExecutionMode::Secure => {
                "- files: only the work dir (the current directory): `input_files` are placed \
                 there and files written there come back; the host's files are not visible\n\
                 - processes: no shell and no other programs (subprocess, os.system fail)\n"
            }
            ExecutionMode::Simple => {
                "- files: the work dir (the current directory) holds `input_files`, and files \
                 written there come back\n"
            }
        });
        text.push('\n');
        text.push_str(&self.imports_text());
        text
    }

    /// The description of `check_python`.
    pub fn check_description(&self) -> String {
        let mut text = String::from(
            "Check Python 3 code without running it: reports a syntax error with its line, or \
             every use of a module, built-in or attribute the sandbox policy refuses, with the \
             rule and what to use instead. Use it before `run_python` when unsure whether an \
             import is allowed.\n\n",
        );
        text.push_str(&self.imports_text());
        text
    }

    fn imports_text(&self) -> String {
        match &self.policy {
            PolicyView::Known(policy) => match policy.unlisted {
                Unlisted::Deny => format!(
                    "Imports: only these modules (and their submodules) may be imported: {}. \
                     Any other import{} is refused before the code runs, with the rule and the \
                     fix.{}",
                    join(policy, true),
                    builtins(policy),
                    not_installed(policy)
                ),
                Unlisted::Allow if policy.deny_modules.is_empty() => {
                    "Imports: any module installed in the sandbox's Python.".to_owned()
                }
                Unlisted::Allow => format!(
                    "Imports: any module installed in the sandbox's Python except: {}.",
                    policy
                        .deny_modules
                        .iter()
                        .filter(|m| !m.starts_with('_'))
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
            PolicyView::Off => "Imports: any module installed in the sandbox's Python.".to_owned(),
            PolicyView::Remote => "Imports: the sandbox server's policy decides which modules \
                 may be imported; a refused import comes back with the rule and the fix, before \
                 anything runs."
                .to_owned(),
        }
    }

    /// The JSON Schema of `run_python`'s arguments.
    pub fn run_parameters(&self) -> Value {
        let mut timeout = json!({
            "type": "number",
            "exclusiveMinimum": 0,
            "description": match self.max_timeout {
                Some(max) => format!(
                    "Wall-clock limit in seconds; default {}, at most {}.",
                    number(self.timeout),
                    number(max)
                ),
                None => format!("Wall-clock limit in seconds; default {}.", number(self.timeout)),
            },
        });
        if let (Some(max), Some(map)) = (self.max_timeout, timeout.as_object_mut()) {
            map.insert("maximum".into(), json!(max.as_secs_f64()));
        }
        json!({
            "type": "object",
            "properties": {
                "code": code_schema(),
                "input_files": files_schema(),
                "timeout": timeout,
            },
            "required": ["code"],
            "additionalProperties": false,
        })
    }

    /// The JSON Schema of `check_python`'s arguments.
    pub fn check_parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "code": code_schema(),
                "input_files": files_schema(),
            },
            "required": ["code"],
            "additionalProperties": false,
        })
    }
}

fn code_schema() -> Value {
    json!({
        "type": "string",
        "description": "Python 3 source, run as the script main.py in the work dir.",
    })
}

fn files_schema() -> Value {
    json!({
        "type": "object",
        "description": format!(
            "Files placed in the work dir before the code runs: relative path (e.g. \
             `data.csv`, `lib/helpers.py`) to contents. Contents are the file's text; for \
             binary files write `{BASE64_PREFIX}` followed by the base64 encoding."
        ),
        "additionalProperties": { "type": "string" },
    })
}

/// `, and the built-ins eval, exec, …` when the policy forbids some.
fn builtins(policy: &Policy) -> String {
    let names: Vec<&str> = policy
        .forbidden_builtins
        .iter()
        .map(String::as_str)
        .filter(|b| !b.starts_with('_'))
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!(", and the built-ins {},", names.join(", "))
    }
}

/// The allowed modules the interpreter has (`installed`), or those it
/// lacks; implementation modules (`_strptime`) left out.
fn join(policy: &Policy, installed: bool) -> String {
    policy
        .allow_modules
        .iter()
        .filter(|m| !m.starts_with('_'))
        .filter(|m| policy.is_installed(m) == installed)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` Allowed but not installed here: numpy, pandas.` when some are.
fn not_installed(policy: &Policy) -> String {
    let missing = join(policy, false);
    if missing.is_empty() {
        String::new()
    } else {
        format!(" Allowed but not installed in this sandbox's Python: {missing}.")
    }
}

/// `30 s`, `0.5 s`.
fn seconds(duration: Duration) -> String {
    format!("{} s", number(duration))
}

/// Seconds as a JSON-friendly number: whole numbers without a fraction.
fn number(duration: Duration) -> f64 {
    duration.as_secs_f64()
}
