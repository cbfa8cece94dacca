// mimalloc: the interpreter allocates many small short-lived objects (list
// cells, strings, closures); see docs/values.md, "Allocation".
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

fn main() {
    let cli = host::cli::Cli::parse();
    let code = host::commands::dispatch(cli);
    std::process::exit(code);
}
