//! Hints for the usual first mistakes: a script that reads a file, or
//! imports a module, that sits next to it on the host but was not passed
//! with `--input` (the sandbox sees only the files it is given).

use std::path::{Path, PathBuf};

use sandbox_client::{ExecutionResult, Status};

/// What to do about `result`, for code read from `script` with `inputs`
/// (the `--input` specs): one sentence each, none when nothing applies.
pub(crate) fn for_result(
    script: &Path,
    inputs: &[String],
    result: &ExecutionResult,
) -> Vec<String> {
    let dir = script_dir(script);
    let given: Vec<String> = inputs
        .iter()
        .filter_map(|spec| crate::run::parse_input(spec).ok().map(|(name, _)| name))
        .collect();
    let mut hints = Vec::new();
    let mut missing = |name: &str, why: &str| {
        // The name comes from the program's output: only a name an input
        // could have (relative, no `..`) is looked up next to the script.
        if sandbox_core::files::validate_file_name(name).is_err()
            || given.iter().any(|given| given == name)
            || hints
                .iter()
                .any(|h: &String| h.contains(&format!("`{name}`")))
        {
            return;
        }
        let Some(host) = dir.as_ref().map(|d| d.join(name)).filter(|p| p.exists()) else {
            return;
        };
        let spec = if name.contains('/') {
            format!("{name}={}", host.display())
        } else {
            shown(&host)
        };
        hints.push(format!(
            "`{name}` {why}, but the sandbox sees only the files passed to it: add `--input {spec}`"
        ));
    };
    match result.status {
        Status::PolicyViolation => {
            for violation in &result.violations {
                if violation.rule != "blocked-import" {
                    continue;
                }
                if let Some(module) = quoted(&violation.message) {
                    let top = module.split('.').next().unwrap_or(module);
                    missing(
                        &format!("{top}.py"),
                        "is next to the script on this machine",
                    );
                }
            }
        }
        Status::Error => {
            if let Some(module) = after(&result.stderr, "ModuleNotFoundError: No module named '") {
                let top = module.split('.').next().unwrap_or(module);
                missing(
                    &format!("{top}.py"),
                    "is next to the script on this machine",
                );
            }
            if let Some(file) = after(
                &result.stderr,
                "FileNotFoundError: [Errno 2] No such file or directory: '",
            ) && !file.starts_with('/')
            {
                missing(file.trim_start_matches("./"), "is on this machine");
            }
        }
        _ => {}
    }
    hints
}

/// The directory files next to the script are looked for in: the
/// script's own, or the current one for code read from standard input.
fn script_dir(script: &Path) -> Option<PathBuf> {
    if script == Path::new("-") {
        return std::env::current_dir().ok();
    }
    match script.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => Some(parent.to_owned()),
        _ => std::env::current_dir().ok(),
    }
}

/// `path` as the user would type it: relative to the current directory
/// when it lies under it.
fn shown(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_owned))
        .unwrap_or_else(|| path.to_owned())
        .display()
        .to_string()
}

/// The first `` `name` `` in a policy message.
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// The text after the last `marker` in `stderr`, up to the closing quote.
fn after<'a>(stderr: &'a str, marker: &str) -> Option<&'a str> {
    let start = stderr.rfind(marker)? + marker.len();
    let len = stderr[start..].find('\'')?;
    let found = &stderr[start..start + len];
    (!found.is_empty() && found.len() <= 255 && !found.contains('\n')).then_some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_outside_the_script_dir_are_not_looked_up() {
        // data.csv in the scripts dir and one level above it.
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("scripts");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("data.csv"), "x").unwrap();
        std::fs::write(root.path().join("data.csv"), "x").unwrap();
        let script = dir.join("job.py");
        let mut result = ExecutionResult::new(Status::Error, sandbox_client::ExecutionMode::Secure);
        for (name, hinted) in [
            ("data.csv", true),
            ("../data.csv", false),
            ("sub/../data.csv", false),
        ] {
            result.stderr =
                format!("FileNotFoundError: [Errno 2] No such file or directory: '{name}'\n");
            assert_eq!(
                !for_result(&script, &[], &result).is_empty(),
                hinted,
                "{name}"
            );
        }
    }

    #[test]
    fn names_are_read_from_messages_and_tracebacks() {
        assert_eq!(
            quoted("import of `helper.sub` is blocked"),
            Some("helper.sub")
        );
        assert_eq!(quoted("no quotes"), None);
        let tb =
            "Traceback...\nFileNotFoundError: [Errno 2] No such file or directory: 'data.csv'\n";
        assert_eq!(
            after(
                tb,
                "FileNotFoundError: [Errno 2] No such file or directory: '"
            ),
            Some("data.csv")
        );
        assert_eq!(
            after(
                "FileNotFoundError: [Errno 2] No such file or directory: '",
                "No such file or directory: '"
            ),
            None
        );
    }
}
