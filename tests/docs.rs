//! The docs document every environment variable the code reads: the
//! client's in docs/configuration.md, the server's in docs/server.md.

#[test]
fn the_docs_list_every_environment_variable() {
    let root = env!("CARGO_MANIFEST_DIR");
    let docs: String = ["docs/configuration.md", "docs/server.md"]
        .iter()
        .map(|path| std::fs::read_to_string(format!("{root}/{path}")).unwrap())
        .collect();
    for (name, description) in sandbox_core::vars::ALL {
        let row = format!("| `{name}` |");
        let line = docs
            .lines()
            .find(|l| l.starts_with(&row))
            .unwrap_or_else(|| {
                panic!("docs/configuration.md and docs/server.md have no table row for `{name}`")
            });
        assert!(
            line.contains(description),
            "the docs' row for {name} should say: {description}"
        );
    }
}
