//! `sandbox check`: find what would stop the code before running it, and
//! print it the way a linter does.

use std::io::Write as _;
use std::path::Path;

use anyhow::Result;
use sandbox_core::syntax;

use crate::cli::CheckArgs;
use crate::run::read_code;

pub(crate) fn run(args: CheckArgs) -> Result<u8> {
    let code = read_code(&args.file)?;
    let name = if args.file == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        args.file.display().to_string()
    };
    match syntax::check(&code) {
        Ok(()) => Ok(0),
        Err(issue) => {
            let mut out = std::io::stdout().lock();
            let width = issue.line.to_string().len();
            let pad = " ".repeat(width);
            writeln!(
                out,
                "{name}:{}:{}: {} {}",
                issue.line,
                issue.column,
                syntax::RULE,
                issue.message
            )?;
            writeln!(out, "{pad} |")?;
            writeln!(out, "{} | {}", issue.line, issue.source_line)?;
            let caret_at = issue
                .source_line
                .chars()
                .take(issue.column as usize - 1)
                .count();
            writeln!(out, "{pad} | {}^", " ".repeat(caret_at))?;
            writeln!(out, "\nFound 1 error.")?;
            Ok(1)
        }
    }
}
