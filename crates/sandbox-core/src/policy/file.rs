//! Policy files (TOML), and printing a policy back as one.
//!
//! ```toml
//! # Start from the built-in secure policy ("default") or from nothing ("none").
//! extends = "default"
//!
//! [modules]
//! allow = ["requests"]    # added to the allow list (and taken off the deny list)
//! deny = ["pickle"]       # added to the deny list (and taken off the allow list)
//! unlisted = "deny"       # modules on neither list: "deny" or "allow"
//!
//! [builtins]
//! forbid = ["open"]       # added to the forbidden built-ins
//! allow = ["input"]       # taken off them
//!
//! [rules]
//! disabled = ["dynamic-attribute"]
//!
//! [runtime]
//! guard = true            # the in-interpreter import and audit hooks
//! ```

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Policy, Rule, Unlisted};
use crate::error::PolicyFileError;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    extends: Extends,
    #[serde(default)]
    modules: ModulesSection,
    #[serde(default)]
    builtins: BuiltinsSection,
    #[serde(default)]
    rules: RulesSection,
    #[serde(default)]
    runtime: RuntimeSection,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum Extends {
    #[default]
    Default,
    None,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ModulesSection {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unlisted: Option<Unlisted>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct BuiltinsSection {
    #[serde(default)]
    forbid: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    allow: Vec<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RulesSection {
    #[serde(default)]
    disabled: Vec<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RuntimeSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    guard: Option<bool>,
}

impl Policy {
    /// Reads a policy file (see the module docs for the format).
    ///
    /// # Errors
    ///
    /// [`PolicyFileError::Read`] when the file cannot be read; otherwise as
    /// [`from_toml`](Self::from_toml).
    pub fn from_file(path: &Path) -> Result<Policy, PolicyFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, Some(path))
    }

    /// Parses a policy from TOML text.
    ///
    /// # Errors
    ///
    /// [`PolicyFileError`] for malformed TOML, unknown keys or rules, or module
    /// entries that are not dotted Python names.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyFileError> {
        Self::parse(text, None)
    }

    fn parse(text: &str, path: Option<&Path>) -> Result<Policy, PolicyFileError> {
        let file: PolicyFile = toml::from_str(text).map_err(|err| PolicyFileError::Syntax {
            path: path.map(Path::to_owned),
            message: err.to_string().trim_end().to_owned(),
        })?;
        let value_error = |message: String| PolicyFileError::Value {
            path: path.map(Path::to_owned),
            message,
        };
        let mut policy = match file.extends {
            Extends::Default => Policy::secure_default().clone(),
            Extends::None => Policy {
                allow_modules: BTreeSet::new(),
                deny_modules: BTreeSet::new(),
                unlisted: Unlisted::Deny,
                forbidden_builtins: BTreeSet::new(),
                disabled_rules: BTreeSet::new(),
                runtime_guard: true,
                installed: None,
            },
        };
        for (list, key) in [
            (&file.modules.allow, "modules.allow"),
            (&file.modules.deny, "modules.deny"),
        ] {
            if let Some(bad) = list.iter().find(|m| !is_module_name(m)) {
                return Err(value_error(format!(
                    "`{bad}` in `{key}` is not a module name (dotted Python identifiers, \
                     e.g. `xml.etree`)"
                )));
            }
        }
        policy = policy
            .allow_modules(file.modules.allow)
            .deny_modules(file.modules.deny);
        if let Some(unlisted) = file.modules.unlisted {
            policy.unlisted = unlisted;
        }
        for name in file.builtins.forbid.iter().chain(&file.builtins.allow) {
            if !is_identifier(name) {
                return Err(value_error(format!("`{name}` in `builtins` is not a name")));
            }
        }
        policy.forbidden_builtins.extend(file.builtins.forbid);
        for name in &file.builtins.allow {
            policy.forbidden_builtins.remove(name);
        }
        for code in &file.rules.disabled {
            let rule: Rule = code.parse().map_err(|message: String| {
                value_error(format!("in `rules.disabled`: {message}"))
            })?;
            policy.disabled_rules.insert(rule);
        }
        if let Some(guard) = file.runtime.guard {
            policy.runtime_guard = guard;
        }
        Ok(policy)
    }

    /// The policy as a complete TOML file (`extends = "none"`, every list
    /// spelled out), which [`Policy::from_toml`] reads back unchanged.
    pub fn to_toml(&self) -> String {
        let file = PolicyFile {
            extends: Extends::None,
            modules: ModulesSection {
                allow: self.allow_modules.iter().cloned().collect(),
                deny: self.deny_modules.iter().cloned().collect(),
                unlisted: Some(self.unlisted),
            },
            builtins: BuiltinsSection {
                forbid: self.forbidden_builtins.iter().cloned().collect(),
                allow: Vec::new(),
            },
            rules: RulesSection {
                disabled: self
                    .disabled_rules
                    .iter()
                    .map(|r| r.code().to_owned())
                    .collect(),
            },
            runtime: RuntimeSection {
                guard: Some(self.runtime_guard),
            },
        };
        toml::to_string_pretty(&file).unwrap_or_else(|err| format!("# cannot render: {err}\n"))
    }
}

/// A dotted Python module name (`xml.etree`).
pub(crate) fn is_module_name(name: &str) -> bool {
    !name.is_empty() && name.split('.').all(is_identifier)
}

pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}
