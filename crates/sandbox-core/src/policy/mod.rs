//! The policy layer: which modules, built-ins and attributes untrusted code
//! may use, checked on the syntax tree before anything runs and again by a
//! guard inside the interpreter.
//!
//! This layer is **not** the security boundary: the kernel is (secure mode).
//! Its job is to reject disallowed code early with diagnostics as good as a
//! linter's, and to add defence in depth. A policy that rejects everyday code
//! is a bug as serious as one that lets an escape through, so every rule is
//! written against a false-positive corpus as well as against attacks.
//!
//! A [`Policy`] is plain data: built in code, loaded from TOML
//! ([`Policy::from_toml`]) or taken from the built-in default
//! ([`Policy::secure_default`]).

mod aliases;
mod check;
mod file;
mod guard;
mod modules;
pub(crate) mod render;
mod rules;
mod scope;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};

pub use crate::error::PolicyFileError;
pub use check::{
    Diagnostic, MAX_DIAGNOSTICS, Rejection, local_modules, validate, validate_request,
};
pub use guard::{guard_spec, session_guard_spec};
pub use render::render_diagnostics;

/// What happens to a module that is on neither list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unlisted {
    /// Denied (the secure default: only what is known to be useful and
    /// harmless is allowed).
    #[default]
    Deny,
    /// Allowed (a deny-list policy).
    Allow,
}

/// A policy rule, with a stable code used in diagnostics, in
/// `violations[].rule` and in policy files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// Imports of modules the policy does not allow.
    BlockedImport,
    /// Uses of built-ins that run code or expose namespaces.
    ForbiddenBuiltin,
    /// Dunder and frame attributes that open introspection escapes.
    IntrospectionAttribute,
    /// `getattr`-like access with a computed or dunder name.
    DynamicAttribute,
    /// Format strings that read attributes such as `{0.__class__}`.
    FormatIntrospection,
    /// Reaching a module's internals or a blocked module through an allowed
    /// one (`random._os`, `typing.sys`).
    ModuleInternals,
}

impl Rule {
    /// Every rule, in code order.
    pub const ALL: [Rule; 6] = [
        Rule::BlockedImport,
        Rule::DynamicAttribute,
        Rule::ForbiddenBuiltin,
        Rule::FormatIntrospection,
        Rule::IntrospectionAttribute,
        Rule::ModuleInternals,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Rule::BlockedImport => "blocked-import",
            Rule::ForbiddenBuiltin => "forbidden-builtin",
            Rule::IntrospectionAttribute => "introspection-attribute",
            Rule::DynamicAttribute => "dynamic-attribute",
            Rule::FormatIntrospection => "format-introspection",
            Rule::ModuleInternals => "module-internals",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Rule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::ALL
            .into_iter()
            .find(|rule| rule.code() == s)
            .ok_or_else(|| {
                let codes: Vec<_> = Rule::ALL.iter().map(|r| r.code()).collect();
                format!("unknown rule `{s}`, expected one of {}", codes.join(", "))
            })
    }
}

/// Why a module is allowed or denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleDecision {
    /// Allowed by the allow-list entry named, or because unlisted modules
    /// are allowed (`None`).
    Allowed(Option<String>),
    /// Denied by the deny-list entry named.
    Denied(String),
    /// On neither list, and unlisted modules are denied.
    Unlisted,
}

impl ModuleDecision {
    /// Whether the import may go ahead.
    pub fn is_allowed(&self) -> bool {
        matches!(self, ModuleDecision::Allowed(_))
    }
}

/// What untrusted code may use. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Modules (and their submodules) that may be imported.
    pub allow_modules: BTreeSet<String>,
    /// Modules (and their submodules) that may not; the more specific entry
    /// wins, and on a tie the deny list does.
    pub deny_modules: BTreeSet<String>,
    /// What happens to modules on neither list.
    pub unlisted: Unlisted,
    /// Built-in names that may not be used (called or referenced).
    pub forbidden_builtins: BTreeSet<String>,
    /// Rules switched off.
    pub disabled_rules: BTreeSet<Rule>,
    /// Whether the in-interpreter guard (import hook and audit hook) runs.
    pub runtime_guard: bool,
    /// The top-level modules the interpreter has, when it was asked (see
    /// [`Policy::with_installed`]). Changes nothing that is allowed; only
    /// what refusals name as the alternatives.
    pub installed: Option<Arc<BTreeSet<String>>>,
}

static SECURE_DEFAULT: LazyLock<Policy> = LazyLock::new(|| Policy {
    allow_modules: modules::DEFAULT_ALLOW
        .iter()
        .map(std::string::ToString::to_string)
        .collect(),
    deny_modules: modules::DEFAULT_DENY
        .iter()
        .map(std::string::ToString::to_string)
        .collect(),
    unlisted: Unlisted::Deny,
    forbidden_builtins: modules::FORBIDDEN_BUILTINS
        .iter()
        .map(std::string::ToString::to_string)
        .collect(),
    disabled_rules: BTreeSet::new(),
    runtime_guard: true,
    installed: None,
});

impl Default for Policy {
    fn default() -> Self {
        Self::secure_default().clone()
    }
}

impl Policy {
    /// The default policy of secure mode: the original tool's lists, widened
    /// with the standard-library modules everyday data work needs (which the
    /// kernel layer makes harmless) and popular data libraries; every other
    /// module is denied.
    pub fn secure_default() -> &'static Policy {
        &SECURE_DEFAULT
    }

    /// A policy that allows every module and checks nothing but the
    /// built-ins and attributes rules, as a starting point for deny lists.
    pub fn permissive() -> Policy {
        Policy {
            allow_modules: BTreeSet::new(),
            deny_modules: BTreeSet::new(),
            unlisted: Unlisted::Allow,
            ..Self::secure_default().clone()
        }
    }

    /// Allows `modules` (and their submodules), taking them off the deny
    /// list.
    pub fn allow_modules<I, S>(mut self, modules: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for module in modules {
            let module = module.into();
            self.deny_modules.remove(&module);
            self.allow_modules.insert(module);
        }
        self
    }

    /// Denies `modules` (and their submodules), taking them off the allow
    /// list.
    pub fn deny_modules<I, S>(mut self, modules: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for module in modules {
            let module = module.into();
            self.allow_modules.remove(&module);
            self.deny_modules.insert(module);
        }
        self
    }

    /// Switches `rule` on or off.
    pub fn with_rule(mut self, rule: Rule, enabled: bool) -> Self {
        if enabled {
            self.disabled_rules.remove(&rule);
        } else {
            self.disabled_rules.insert(rule);
        }
        self
    }

    /// Records the top-level modules the interpreter has, so that a refused
    /// import lists only allowed modules that really can be imported (the
    /// default list names data libraries that may not be installed).
    #[must_use]
    pub fn with_installed(mut self, installed: Arc<BTreeSet<String>>) -> Self {
        self.installed = Some(installed);
        self
    }

    /// Whether `module`'s top-level package is installed, as far as is known
    /// (`true` when the interpreter was not asked).
    pub fn is_installed(&self, module: &str) -> bool {
        let top = module.split('.').next().unwrap_or(module);
        self.installed.as_ref().is_none_or(|set| set.contains(top))
    }

    /// Switches the in-interpreter guard on or off.
    pub fn with_runtime_guard(mut self, enabled: bool) -> Self {
        self.runtime_guard = enabled;
        self
    }

    /// Whether `rule` is checked.
    pub fn enabled(&self, rule: Rule) -> bool {
        !self.disabled_rules.contains(&rule)
    }

    /// Whether `module` (dotted) may be imported, and why. The most specific
    /// list entry decides: `os.path` matches an `os` entry; an allowed
    /// `xml.etree` under a denied `xml` is allowed.
    pub fn module(&self, module: &str) -> ModuleDecision {
        // The module itself, then each parent package, longest first: the
        // first one on a list decides, and on a tie (a name on both lists)
        // the deny list wins.
        let prefixes = std::iter::once(module).chain(
            module
                .char_indices()
                .rev()
                .filter(|&(_, c)| c == '.')
                .map(|(at, _)| &module[..at]),
        );
        for prefix in prefixes {
            if self.deny_modules.contains(prefix) {
                return ModuleDecision::Denied(prefix.to_owned());
            }
            if self.allow_modules.contains(prefix) {
                return ModuleDecision::Allowed(Some(prefix.to_owned()));
            }
        }
        match self.unlisted {
            Unlisted::Allow => ModuleDecision::Allowed(None),
            Unlisted::Deny => ModuleDecision::Unlisted,
        }
    }

    /// Checks that every module entry is a dotted Python name (entries are
    /// passed to the in-interpreter guard, whose separators they must not
    /// contain); the offending entry otherwise.
    ///
    /// # Errors
    ///
    /// The first entry that is not a dotted Python name, for the caller's
    /// message.
    pub fn validate(&self) -> Result<(), String> {
        match self
            .allow_modules
            .iter()
            .chain(&self.deny_modules)
            .find(|m| !file::is_module_name(m))
        {
            Some(bad) => Err(format!("`{bad}`")),
            None => Ok(()),
        }
    }

    /// Whether `name` is a forbidden built-in.
    pub fn forbids_builtin(&self, name: &str) -> bool {
        self.forbidden_builtins.contains(name)
    }
}

#[cfg(test)]
mod tests;
