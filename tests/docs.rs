//! The README documents every environment variable the code reads.

#[test]
fn readme_lists_every_environment_variable() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for (name, description) in sandbox_core::vars::ALL {
        let row = format!("| `{name}` |");
        let line = readme
            .lines()
            .find(|l| l.starts_with(&row))
            .unwrap_or_else(|| panic!("README.md has no table row for `{name}`"));
        assert!(
            line.contains(description),
            "README row for {name} should say: {description}"
        );
    }
}
