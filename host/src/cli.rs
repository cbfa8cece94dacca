//! The `sxc` command line (clap).

use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// sxc — the SX toolchain: compiler and runtime for SX, a small
/// s-expression language for web applications.
///
/// SX source is read, macro-expanded, lowered to a typed SSA IR and run by
/// the bytecode interpreter tier; hot functions are compiled to machine code
/// by LLVM (`--jit`). `perform` requests (kv, persist streams, blobs, time)
/// are served by the host's resolver over a redb database in the data
/// directory. `sxc build` compiles an app ahead of time into a bundle
/// (`APP.sxb`) that `run`, `serve` and `inspect` take in place of sources.
#[derive(Parser, Debug)]
#[command(name = "sxc", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run an SX program: exit 0 on success; an uncaught error prints
    /// `error: MESSAGE` and an SX backtrace on stderr and exits 1.
    Run {
        /// The program (`.sx` file, or a bundle made by `sxc build`).
        file: PathBuf,
        /// Data directory for durable storage (kv, streams, blobs).
        #[arg(long, default_value = "./data", value_name = "DIR")]
        data: PathBuf,
        /// Kept for old scripts: `interp` is `--jit off`, `auto` the default.
        #[arg(long, value_enum, hide = true)]
        tier: Option<Tier>,
        #[command(flatten)]
        jit: crate::jit::JitArgs,
        /// Memory the program may allocate (net), in MiB; past it the program
        /// stops with `memory limit exceeded` [default: no limit]. For an
        /// HTTP app: the per-request limit (default 256).
        #[arg(long, value_name = "MB")]
        memory_mb: Option<usize>,
        /// At exit, write the program's call counts and type feedback to FILE
        /// (for `sxc build --profile FILE`).
        #[arg(long, value_name = "FILE")]
        record_profile: Option<PathBuf>,
    },
    /// Serve an SX web app over HTTP: APP is an `.sx` file, or a directory
    /// containing `app.sx`, that calls `(http-listen handler)` at top level.
    /// Every request runs as its own computation on one of N worker isolates;
    /// SIGTERM/SIGINT drain in-flight requests and exit 0.
    Serve {
        /// The app file or directory, or a bundle made by `sxc build`.
        app: PathBuf,
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
        addr: SocketAddr,
        /// Worker isolates (threads), each with its own SX heap [default: cores].
        #[arg(long, value_name = "N")]
        workers: Option<usize>,
        /// Data directory for durable storage (kv, streams, blobs).
        #[arg(long, default_value = "./data", value_name = "DIR")]
        data: PathBuf,
        /// Development mode: send handler errors (message and SX backtrace)
        /// to the client, and reload the app when its `.sx` files change
        /// (requests in flight finish on the old code; code that does not
        /// load keeps the old code serving and is shown to the next request).
        #[arg(long)]
        dev: bool,
        /// Largest accepted request body; larger ones get 413.
        #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
        body_limit: usize,
        /// Time a handler may take (including its IO): then its computation is
        /// stopped with the SX error `handler timeout` and the client gets 504.
        #[arg(long, default_value_t = 30_000, value_name = "MS")]
        handler_timeout: u64,
        /// Memory one request may allocate (net), in MiB: past it the request
        /// is stopped with `memory limit exceeded` and the client gets 500.
        #[arg(long, default_value_t = 256, value_name = "MB")]
        request_memory_mb: usize,
        /// Time to receive a request's head and body before 408.
        #[arg(long, default_value_t = 10_000, value_name = "MS")]
        read_timeout: u64,
        /// When the server stops (SIGTERM/SIGINT), write the app's call counts
        /// and type feedback, merged over the workers, to FILE (for `sxc
        /// build --profile FILE`).
        #[arg(long, value_name = "FILE")]
        record_profile: Option<PathBuf>,
        #[command(flatten)]
        jit: crate::jit::JitArgs,
    },
    /// Compile an app ahead of time into one bundle file: its optimised IR,
    /// every function's machine code (LLVM, this machine's target), its
    /// sources and static files, under a checksummed, versioned manifest.
    /// `sxc run`/`serve` start from the machine code and still tier up.
    Build(BuildArgs),
    /// Print a compilation stage of a program: the read AST, the
    /// macro-expanded core forms, the SSA IR before/after optimisation, or the
    /// register bytecode.
    ///
    /// For a bundle (`APP.sxb`): its manifest and each function's object
    /// code size; `--stage ir-opt|bytecode` print its IR and bytecode.
    Inspect {
        /// The program (`.sx` file, or a bundle).
        file: PathBuf,
        /// Which stage to print [default: ir; for a bundle, the manifest].
        #[arg(long, value_enum)]
        stage: Option<StageArg>,
        /// Only print the function with this name (IR and bytecode stages).
        #[arg(long = "fn", value_name = "NAME")]
        func: Option<String>,
    },
}

/// Arguments of `sxc build`.
#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// The app: an `.sx` file, or a directory with `app.sx` (its `static/`
    /// folder goes into the bundle).
    pub app: PathBuf,
    /// The bundle to write [default: APP.sxb, or DIR.sxb for a directory].
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Functions compiled in parallel [default: cores].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Compile with the type feedback of a profile recorded by `sxc serve
    /// --record-profile` (or `sxc run --record-profile`) of this program.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
}

/// Execution tiers (`--tier`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Tier {
    /// The bytecode interpreter.
    Interp,
    /// The default (`--jit tiered`).
    Auto,
}

/// Stages of `sxc inspect --stage`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum StageArg {
    /// Datums as read (quote sugar spelled out).
    Ast,
    /// Core forms after macro expansion.
    Expanded,
    /// SSA IR as lowered.
    Ir,
    /// SSA IR after the optimisation passes (what the interpreter runs).
    IrOpt,
    /// Register bytecode.
    Bytecode,
    /// LLVM IR as generated from the optimised IR (before LLVM's passes).
    Llvm,
    /// LLVM IR after LLVM's `default<O2>` pipeline.
    LlvmOpt,
    /// Machine code (assembly) for this machine.
    Asm,
}
