//! A whole `cargo xtask bench` run's tables, written into
//! docs/benchmarks.md between two markers, with the machine they were
//! measured on: the figures the docs quote come from the bench, not from
//! hand copies.

use std::path::Path;

use anyhow::{Context as _, Result, bail};

const START: &str = "<!-- cargo xtask bench: start -->";
const END: &str = "<!-- cargo xtask bench: end -->";

/// Replaces what lies between the markers with `printed`.
pub(crate) fn write(root: &Path, printed: &str) -> Result<()> {
    let path = root.join("docs/benchmarks.md");
    let doc = std::fs::read_to_string(&path).context("cannot read docs/benchmarks.md")?;
    let (Some(start), Some(end)) = (doc.find(START), doc.find(END)) else {
        bail!("docs/benchmarks.md lacks the markers `{START}` and `{END}`");
    };
    if end < start {
        bail!("docs/benchmarks.md has its bench markers in the wrong order");
    }
    let section = format!(
        "{START}\nThe last whole run, {} on {} ({} CPUs, Linux {}):\n\n```text\n{}```\n",
        today(),
        machine("/etc/hostname").unwrap_or_else(|| "this machine".into()),
        std::thread::available_parallelism().map_or(0, usize::from),
        machine("/proc/sys/kernel/osrelease").unwrap_or_else(|| "?".into()),
        printed.trim_start()
    );
    let updated = format!("{}{section}{}", &doc[..start], &doc[end..]);
    let temporary = path.with_extension("md.new");
    std::fs::write(&temporary, updated).context("cannot write docs/benchmarks.md")?;
    std::fs::rename(&temporary, &path).context("cannot replace docs/benchmarks.md")?;
    eprintln!("bench: the tables are in docs/benchmarks.md");
    Ok(())
}

fn machine(file: &str) -> Option<String> {
    std::fs::read_to_string(file)
        .ok()
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

/// Today's date (UTC), as `date` gives it.
fn today() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%F"])
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| "(date unknown)".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_section_goes_between_the_markers_and_nowhere_else() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("docs")).unwrap();
        let path = root.path().join("docs/benchmarks.md");
        std::fs::write(
            &path,
            format!("before\n{}\nold\n{}\nafter\n", super::START, super::END),
        )
        .unwrap();
        super::write(root.path(), "table 1\n").unwrap();
        let doc = std::fs::read_to_string(&path).unwrap();
        assert!(doc.starts_with("before\n<!-- cargo xtask bench: start -->\nThe last whole run"));
        assert!(doc.contains("```text\ntable 1\n```\n<!-- cargo xtask bench: end -->\nafter\n"));
        assert!(!doc.contains("old"));
    }

    #[test]
    fn today_is_a_date() {
        let today = super::today();
        assert_eq!(today.len(), 10);
        assert!(today.starts_with("20"));
    }
}
