//! `schema.graphql` must equal the schema the code builds. Run with
//! `DUBAN_UPDATE_SCHEMA=1 cargo test --test schema_sync` to rewrite it.

#[test]
fn schema_file_is_in_sync() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let built = duban::graphql::sdl();
    if std::env::var_os("DUBAN_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &built).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == built,
        "schema.graphql is stale: run `DUBAN_UPDATE_SCHEMA=1 cargo test --test schema_sync` and commit it"
    );
}
