//! Validation of file names that cross the sandbox boundary.
//!
//! Input file names come from untrusted callers and become paths inside the
//! work dir; output names come back from a sandbox (or a remote server) and
//! become paths in a user's `--output-dir`. Both directions use
//! [`validate_file_name`], so a name can never climb out of its directory.

use crate::error::RequestError;

/// Longest accepted name, in bytes.
pub const MAX_NAME_BYTES: usize = 1024;
/// Longest accepted path component, in bytes (the usual filesystem limit).
pub const MAX_COMPONENT_BYTES: usize = 255;
/// Deepest accepted nesting (`a/b/c` has depth 3).
pub const MAX_DEPTH: usize = 16;

/// Checks that `name` is a safe relative path such as `data.csv` or
/// `data/2024/x.csv`: not absolute, no `.` or `..` or empty components, no NUL
/// or other control characters, no backslashes, within the length and depth
/// bounds.
///
/// # Errors
///
/// [`RequestError::FileName`] saying which rule the name breaks.
pub fn validate_file_name(name: &str) -> Result<(), RequestError> {
    let reject = |reason| {
        Err(RequestError::FileName {
            name: name.escape_debug().to_string(),
            reason,
        })
    };
    if name.is_empty() {
        return reject("the name is empty");
    }
    if name.len() > MAX_NAME_BYTES {
        return reject("the name is longer than 1024 bytes");
    }
    if name.contains('\0') {
        return reject("the name contains a NUL byte");
    }
    if name.chars().any(char::is_control) {
        return reject("the name contains a control character");
    }
    if name.contains('\\') {
        return reject("backslashes are not allowed; use `/` between directories");
    }
    if name.starts_with('/') {
        return reject("absolute paths are not allowed; give a path relative to the work dir");
    }
    let mut depth = 0;
    for component in name.split('/') {
        depth += 1;
        match component {
            "" => return reject("the name has an empty path component (`//` or a trailing `/`)"),
            "." => return reject("`.` components are not allowed"),
            ".." => return reject("`..` components are not allowed"),
            c if c.len() > MAX_COMPONENT_BYTES => {
                return reject("a path component is longer than 255 bytes");
            }
            _ => {}
        }
    }
    if depth > MAX_DEPTH {
        return reject("the path is nested deeper than 16 directories");
    }
    Ok(())
}

/// Whether `name` may be the name code runs as (`ExecutionRequest::filename`):
/// a plain file name of letters, digits and `_ - . + @`, not starting with
/// `.` or `-`, at most 255 bytes. Narrower than an input file's name: it
/// appears in every traceback, and names such as `<frozen …>` or `<string>`
/// mean code of other origins to the interpreter and to the policy guard.
pub fn is_code_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '+' | '@'))
}

/// Validates a whole set of names: each one, and that no name is also used as
/// a directory of another (`data` and `data/x.csv` cannot both be files).
///
/// # Errors
///
/// [`RequestError::FileName`] for the first name that is invalid or also used
/// as a directory.
pub fn validate_file_set<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<(), RequestError> {
    let names: std::collections::BTreeSet<&str> = names.into_iter().collect();
    for name in &names {
        validate_file_name(name)?;
        let mut prefix_end = 0;
        while let Some(pos) = name[prefix_end..].find('/') {
            let dir = &name[..prefix_end + pos];
            if names.contains(dir) {
                return Err(RequestError::FileName {
                    name: name.escape_debug().to_string(),
                    reason: "a parent directory of this name is also given as a file",
                });
            }
            prefix_end += pos + 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_names_are_plain_file_names() {
        for name in [
            "agent.py",
            "my-script.py",
            "résumé_2.py",
            "a+b@c.py",
            "script",
        ] {
            assert!(is_code_name(name), "{name}");
        }
        for name in [
            "",
            ".hidden.py",
            "-x.py",
            "dir/x.py",
            "<frozen zipimport>",
            "<string>",
            "a b.py",
            "x\0.py",
            "x\n.py",
            "../x.py",
            "a\\b.py",
        ] {
            assert!(!is_code_name(name), "{name:?}");
        }
        assert!(!is_code_name(&"x".repeat(256)));
    }

    #[test]
    fn accepts_ordinary_names() {
        for name in [
            "data.csv",
            "data/x.csv",
            "a/b/c/d.txt",
            "résumé.txt",
            ".hidden",
            "a..b",
        ] {
            assert_eq!(validate_file_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn rejects_hostile_names() {
        let cases = [
            ("", "empty"),
            ("../x", "`..`"),
            ("/etc/x", "absolute"),
            ("a/../../b", "`..`"),
            ("a/..", "`..`"),
            ("./x", "`.`"),
            ("a//b", "empty path component"),
            ("a/", "empty path component"),
            ("x\0y", "NUL"),
            ("x\ny", "control"),
            ("a\\b", "backslash"),
        ];
        for (name, why) in cases {
            let err = validate_file_name(name).expect_err(name).to_string();
            assert!(err.contains(why), "{name:?}: {err}");
        }
    }

    #[test]
    fn rejects_oversized_names() {
        assert!(validate_file_name(&"a".repeat(256)).is_err());
        assert!(validate_file_name(&["a"; 16].join("/")).is_ok());
        assert!(validate_file_name(&["a"; 17].join("/")).is_err());
        assert!(validate_file_name(&["abcdefgh"; 120].join("/")).is_err());
    }

    #[test]
    fn rejects_a_file_that_is_also_a_directory() {
        assert!(validate_file_set(["data/x.csv", "data/y.csv"]).is_ok());
        let err = validate_file_set(["data", "data/x.csv"]).expect_err("conflict");
        assert!(err.to_string().contains("parent directory"), "{err}");
        assert!(validate_file_set(["a/b", "a/b/c/d"]).is_err());
    }
}
