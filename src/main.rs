//! The `duban` command. All behaviour lives in the library (`duban::cli`).

/// mimalloc instead of the system allocator: a GraphQL response is built from many small
/// allocations, and glibc's malloc showed up as a fifth of the server's CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    duban::cli::main()
}
