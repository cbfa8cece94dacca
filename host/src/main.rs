mod alloc;

#[global_allocator]
static GLOBAL: alloc::SxAlloc = alloc::SxAlloc;

use clap::Parser;

fn main() {
    host::startup::begin();
    let cli = host::cli::Cli::parse();
    host::startup::mark("arguments parsed");
    let code = host::commands::dispatch(cli);
    // No compile may be running while `exit` tears down LLVM's statics.
    vm::jit::shutdown();
    std::process::exit(code);
}
