mod alloc;

#[global_allocator]
static GLOBAL: alloc::SxAlloc = alloc::SxAlloc;

use clap::Parser;

fn main() {
    host::startup::begin();
    let cli = host::cli::Cli::parse();
    host::startup::mark("arguments parsed");
    let code = host::commands::dispatch(cli);
    // Everything the command writes is written by now (stores closed,
    // reports printed); only the standard streams may hold buffered bytes.
    // The process then ends with `_exit`: compiles still queued or running
    // on `sxc-jit` are abandoned instead of waited for (a short program
    // would wait tens of milliseconds for code it will never run), and
    // LLVM's C++ static destructors, which crash a compile still in
    // progress when `exit` runs them (see `vm::jit::shutdown`), never run.
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` ends the process without running any handler; nothing
    // that needs one (files, sockets, the store) is open past this point.
    unsafe { libc::_exit(code) }
}
