//! Every `console` example of the command-line docs (`docs/cli.md`, `docs/output.md`) is run as
//! written, from the repository's root, and its output must be the one the docs show (`[..]`
//! stands for a varying part of a line, `...` for varying lines).

use std::path::PathBuf;

#[test]
fn the_command_line_docs_say_what_the_commands_do() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .ancestors()
        .nth(2)
        .expect("the workspace root")
        .to_owned();
    // This binary holds this one test, so changing its directory affects nothing else.
    std::env::set_current_dir(&root).expect("cd to the workspace root");
    trycmd::TestCases::new()
        .register_bin(
            "powertrack",
            PathBuf::from(env!("CARGO_BIN_EXE_powertrack")),
        )
        .case("docs/cli.md")
        .case("docs/output.md");
}
