//! The default lists, and what to tell a user whose import is refused.

/// Allowed by the default policy: the original tool's list, the standard
/// library that everyday data work needs (the kernel layer makes it
/// harmless: `io`, `time` or `pathlib` reach only the sandbox's own files),
/// and popular data libraries when installed.
pub(crate) const DEFAULT_ALLOW: &[&str] = &[
    // The original's allow list.
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
    // Everyday data work.
    "csv",
    "io",
    "typing",
    "dataclasses",
    "enum",
    "textwrap",
    "heapq",
    "bisect",
    "copy",
    "operator",
    "time",
    "calendar",
    "struct",
    "zlib",
    "array",
    "pprint",
    "abc",
    "numbers",
    "cmath",
    "difflib",
    "unicodedata",
    "zoneinfo",
    "pathlib",
    "gzip",
    "bz2",
    "lzma",
    "zipfile",
    "binascii",
    "hmac",
    "html",
    "contextlib",
    "graphlib",
    "__future__",
    // Implementation modules C code imports on a user's call: the guard
    // sees the user's frame as the importer (`datetime.strptime` loads
    // `_strptime`).
    "_strptime",
    // Data libraries, when installed: what a code interpreter's users
    // reach for first (what these import themselves is theirs: the guard
    // judges only the user's own imports).
    "numpy",
    "pandas",
    "matplotlib",
    "scipy",
];

/// Denied by the default policy: the original tool's list, and the modules
/// that run programs, reach the network or the interpreter's internals.
/// Unlisted modules are denied anyway; listing these makes their messages
/// precise and lets the checker spot them as attributes of allowed modules
/// (`typing.sys`).
pub(crate) const DEFAULT_DENY: &[&str] = &[
    // The original's block list.
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
    // Programs, the network and the interpreter's internals.
    "_thread",
    "asyncio",
    "builtins",
    "code",
    "codeop",
    "ctypes",
    "gc",
    "inspect",
    "marshal",
    "pickle",
    "posix",
    "pty",
    "resource",
    "runpy",
    "shutil",
    "signal",
    "ssl",
    "types",
    // Private modules behind the ones above: what starts programs without
    // an audit event (`_posixsubprocess.fork_exec`), the raw `os` of each
    // platform, foreign functions, and sub-interpreters (which start
    // without the in-interpreter guard).
    "_ctypes",
    "_interpreters",
    "_posixsubprocess",
    "_winapi",
    "_xxsubinterpreters",
    "nt",
];

/// Built-ins that run code, import by name, expose namespaces or wait for
/// a terminal; the original's `eval`, `exec`, `compile` among them.
pub(crate) const FORBIDDEN_BUILTINS: &[&str] = &[
    "__build_class__",
    "__import__",
    "breakpoint",
    "compile",
    "eval",
    "exec",
    "globals",
    "help",
    "input",
    "locals",
    "vars",
];

/// What to do instead of importing `module` (its top-level name).
pub(crate) fn import_hint(module: &str) -> &'static str {
    match module.split('.').next().unwrap_or(module) {
        "os" | "shutil" | "posix" | "nt" => {
            "read and write files in the work dir with `open()` or `pathlib.Path`"
        }
        "sys" => "print to stdout and let the program end normally instead of using `sys`",
        "subprocess" | "pty" | "multiprocessing" | "_posixsubprocess" | "_winapi" => {
            "running other programs is not allowed; do the work in Python"
        }
        "socket" | "urllib" | "requests" | "http" | "ftplib" | "smtplib" | "ssl" | "asyncio" => {
            "network access is off in the sandbox; pass data in as input files"
        }
        "threading" | "_thread" => "run the work sequentially; threads are not available",
        "importlib" | "runpy" | "builtins" => "import allowed modules with a plain `import`",
        "pickle" | "marshal" => "serialise data with `json` instead",
        _ => "use an allowed module, or ask the operator to allow this one in the policy",
    }
}

/// What to do instead of using the built-in `name`.
pub(crate) fn builtin_hint(name: &str) -> &'static str {
    match name {
        "eval" | "exec" | "compile" => {
            "write the code directly; parse data with `json.loads`, `int()` or `float()`"
        }
        "__import__" => "use a plain `import` statement of an allowed module",
        "globals" | "locals" | "vars" => "keep values in a dict of your own",
        "input" => "there is no terminal; read data from an input file",
        "help" => "there is no interactive help in the sandbox",
        "breakpoint" => "there is no debugger in the sandbox; print what you need",
        _ => "write the code without it",
    }
}
