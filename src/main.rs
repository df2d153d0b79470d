//! The `duban` command. All behaviour lives in the library (`duban::cli`).

fn main() -> std::process::ExitCode {
    duban::cli::main()
}
