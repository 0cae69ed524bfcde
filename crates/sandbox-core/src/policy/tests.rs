use std::collections::BTreeSet;

use super::*;

fn decision(policy: &Policy, module: &str) -> ModuleDecision {
    policy.module(module)
}

#[test]
fn submodules_follow_their_package_and_the_most_specific_entry_wins() {
    let policy = Policy::secure_default();
    assert_eq!(
        decision(policy, "os.path"),
        ModuleDecision::Denied("os".into())
    );
    assert_eq!(
        decision(policy, "json.decoder"),
        ModuleDecision::Allowed(Some("json".into()))
    );
    assert_eq!(decision(policy, "osmosis"), ModuleDecision::Unlisted);
    assert_eq!(decision(policy, "xml"), ModuleDecision::Unlisted);

    let policy = Policy::secure_default()
        .clone()
        .deny_modules(["xml"])
        .allow_modules(["xml.etree"]);
    assert!(decision(&policy, "xml.etree.ElementTree").is_allowed());
    assert_eq!(
        decision(&policy, "xml.dom"),
        ModuleDecision::Denied("xml".into())
    );
}

#[test]
fn deny_wins_a_tie_and_unlisted_follows_the_setting() {
    let mut policy = Policy::permissive();
    policy.allow_modules.insert("pickle".into());
    policy.deny_modules.insert("pickle".into());
    assert_eq!(
        decision(&policy, "pickle"),
        ModuleDecision::Denied("pickle".into())
    );
    assert_eq!(decision(&policy, "anything"), ModuleDecision::Allowed(None));
}

#[test]
fn the_default_policy_has_the_originals_lists() {
    let policy = Policy::secure_default();
    for module in [
        "math",
        "random",
        "datetime",
        "json",
        "base64",
        "hashlib",
        "collections",
        "itertools",
        "functools",
        "re",
        "string",
        "decimal",
        "fractions",
        "statistics",
        "uuid",
        "secrets",
    ] {
        assert!(decision(policy, module).is_allowed(), "{module}");
    }
    for module in [
        "os",
        "sys",
        "subprocess",
        "multiprocessing",
        "threading",
        "socket",
        "urllib",
        "requests",
        "http",
        "ftplib",
        "smtplib",
        "importlib",
    ] {
        assert!(!decision(policy, module).is_allowed(), "{module}");
    }
    for builtin in ["eval", "exec", "compile"] {
        assert!(policy.forbids_builtin(builtin));
    }
}

#[test]
fn a_policy_file_extends_the_default_and_round_trips() {
    let policy = Policy::from_toml(
        r#"
[modules]
allow = ["requests", "xml.etree"]
deny = ["pickle", "random"]

[builtins]
allow = ["input"]

[rules]
disabled = ["dynamic-attribute"]

[runtime]
guard = false
"#,
    )
    .unwrap();
    assert!(decision(&policy, "requests.adapters").is_allowed());
    assert!(!decision(&policy, "random").is_allowed());
    assert!(decision(&policy, "math").is_allowed());
    assert!(!policy.forbids_builtin("input"));
    assert!(policy.forbids_builtin("eval"));
    assert!(!policy.enabled(Rule::DynamicAttribute));
    assert!(!policy.runtime_guard);

    let again = Policy::from_toml(&policy.to_toml()).unwrap();
    assert_eq!(again, policy);
    let default_again = Policy::from_toml(&Policy::secure_default().to_toml()).unwrap();
    assert_eq!(&default_again, Policy::secure_default());
}

#[test]
fn extends_none_starts_from_nothing() {
    let policy = Policy::from_toml("extends = \"none\"\n[modules]\nallow = [\"math\"]\n").unwrap();
    assert_eq!(policy.allow_modules, BTreeSet::from(["math".to_owned()]));
    assert!(policy.deny_modules.is_empty());
    assert!(policy.forbidden_builtins.is_empty());
    assert_eq!(policy.unlisted, Unlisted::Deny);
}

#[test]
fn bad_policy_files_are_explained() {
    let cases = [
        ("[modules]\nalow = []\n", "unknown field `alow`"),
        (
            "[modules]\nallow = [\"os;x\"]\n",
            "`os;x` in `modules.allow` is not a module name",
        ),
        ("[rules]\ndisabled = [\"nope\"]\n", "unknown rule `nope`"),
        ("extends = \"strict\"\n", "unknown variant `strict`"),
        (
            "[modules]\nunlisted = \"maybe\"\n",
            "unknown variant `maybe`",
        ),
        ("[modules\n", "invalid policy"),
    ];
    for (text, expected) in cases {
        let err = Policy::from_toml(text).unwrap_err().to_string();
        assert!(err.contains(expected), "{text:?}: {err}");
    }
    let err = Policy::from_file(std::path::Path::new("/nonexistent/policy.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot read the policy file `/nonexistent/policy.toml`"),
        "{err}"
    );
}

#[test]
fn the_guard_spec_carries_the_lists() {
    let policy = Policy::permissive().deny_modules(["os", "sys"]);
    let local = BTreeSet::from(["helper".to_owned()]);
    assert_eq!(
        guard_spec(&policy, &local, false).as_deref(),
        Some("allow=;deny=os,sys;local=helper;unlisted=allow;net=0")
    );
    assert_eq!(
        guard_spec(&policy.with_runtime_guard(false), &local, true),
        None
    );
}

#[test]
fn only_importable_input_files_are_local_modules() {
    let local = check::local_modules([
        "helper.py",
        "pkg/util.py",
        "data.csv",
        "two.parts.py",
        ".py",
        "9lives.py",
        // A valid file name that would rewrite the guard's settings if it
        // reached the guard argument.
        "x;deny=;allow=os.py",
        "a,b.py",
    ]);
    assert_eq!(local, BTreeSet::from(["helper".into(), "pkg".into()]));
}

#[test]
fn rule_codes_parse_back() {
    for rule in Rule::ALL {
        assert_eq!(rule.code().parse::<Rule>(), Ok(rule));
    }
    assert!("blocked".parse::<Rule>().is_err());
}

fn rules_fired(code: &str) -> Vec<(String, u32)> {
    match validate(code, None, Some(Policy::secure_default()), &BTreeSet::new()) {
        Ok(()) => Vec::new(),
        Err(Rejection::Policy(found)) => found
            .into_iter()
            .map(|d| (d.rule.code().to_owned(), d.line))
            .collect(),
        Err(other) => panic!("{other:?}"),
    }
}

#[test]
fn a_functions_own_locals_are_not_the_builtins() {
    let code = "\
def f(items, vars=None, compile=False):
    eval = len(items)
    getattr = None
    return vars, compile, eval, getattr

g = lambda input, help: input + help
print(f([1]), g(1, 2))
";
    assert_eq!(rules_fired(code), []);
}

#[test]
fn module_level_globals_and_comprehension_names_still_reach_the_builtins() {
    let code = "\
if False:
    eval = None
eval('1')
def f():
    global vars
    vars = 1
    return vars()
def g():
    [exec for exec in ()]
    return exec
def h():
    compile = 1
    def inner():
        return compile
    return inner
";
    assert_eq!(
        rules_fired(code),
        [
            ("forbidden-builtin".to_owned(), 3),
            ("forbidden-builtin".to_owned(), 7),
            ("forbidden-builtin".to_owned(), 9),
            ("forbidden-builtin".to_owned(), 10),
        ]
    );
}

#[test]
fn refusals_name_only_allowed_modules_the_interpreter_has() {
    let refusal =
        |policy: &Policy| match validate("import xml\n", None, Some(policy), &BTreeSet::new()) {
            Err(Rejection::Policy(found)) => found[0].message.clone(),
            other => panic!("not refused: {other:?}"),
        };
    let unknown = refusal(Policy::secure_default());
    assert!(unknown.contains("numpy, operator, pandas"), "{unknown}");
    let installed: BTreeSet<String> = ["math", "json", "csv", "__future__"]
        .map(String::from)
        .into();
    let probed = Policy::secure_default()
        .clone()
        .with_installed(std::sync::Arc::new(installed));
    let known = refusal(&probed);
    assert!(
        known.contains("(allowed: __future__, csv, json, math)"),
        "{known}"
    );
    assert!(probed.is_installed("json.decoder") && !probed.is_installed("numpy"));
    // What is allowed does not change.
    assert!(validate("import numpy\n", None, Some(&probed), &BTreeSet::new()).is_ok());
}

#[test]
fn modules_under_other_names_are_judged_by_the_policy_in_effect() {
    let code = "import pathlib\nm = pathlib\nm.os.getcwd()\nm.PurePath('a')\n";
    assert_eq!(rules_fired(code), [("module-internals".to_owned(), 3)]);
    let allowing = Policy::secure_default().clone().allow_modules(["os"]);
    assert_eq!(
        validate(code, None, Some(&allowing), &BTreeSet::new()),
        Ok(())
    );
    let without_rule = Policy::secure_default()
        .clone()
        .with_rule(Rule::ModuleInternals, false);
    assert_eq!(
        validate(code, None, Some(&without_rule), &BTreeSet::new()),
        Ok(())
    );
}

#[test]
fn allowed_packages_own_submodules_are_not_the_denied_modules_of_that_name() {
    assert_eq!(
        rules_fired("import pandas as pd\npd.api.types.is_list_like([])\npd.io.pickle\n"),
        []
    );
    // Only those submodules, and only spelled as their package's path.
    assert_eq!(
        rules_fired("import pandas as pd\npd.core.types\nm = pd.api\nm.types\n"),
        [
            ("module-internals".to_owned(), 2),
            ("module-internals".to_owned(), 4)
        ]
    );
}
