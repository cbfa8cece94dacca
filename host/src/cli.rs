//! The `sxc` command line (clap).

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// sxc — the SX toolchain: an ahead-of-time and tiered-JIT compiler for SX,
/// a small s-expression language for web applications.
///
/// SX source is read, macro-expanded, lowered to a typed SSA IR and run by
/// the bytecode interpreter tier. `perform` requests (kv, persist streams,
/// blobs, time) are served by the host's resolver over a redb database in the
/// data directory.
#[derive(Parser, Debug)]
#[command(name = "sxc", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run an SX program: exit 0 on success; an uncaught error prints
    /// `error: MESSAGE` and an SX backtrace on stderr and exits 1.
    Run {
        /// The program (`.sx` file).
        file: PathBuf,
        /// Data directory for durable storage (kv, streams, blobs).
        #[arg(long, default_value = "./data", value_name = "DIR")]
        data: PathBuf,
        /// Execution tier. Only the interpreter exists yet; `auto` = `interp`.
        #[arg(long, value_enum, default_value_t = Tier::Auto)]
        tier: Tier,
    },
    /// Print a compilation stage of a program: the read AST, the
    /// macro-expanded core forms, the SSA IR before/after optimisation, or the
    /// register bytecode.
    Inspect {
        /// The program (`.sx` file).
        file: PathBuf,
        /// Which stage to print.
        #[arg(long, value_enum, default_value_t = StageArg::Ir)]
        stage: StageArg,
        /// Only print the function with this name (IR and bytecode stages).
        #[arg(long = "fn", value_name = "NAME")]
        func: Option<String>,
    },
}

/// Execution tiers (`--tier`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Tier {
    /// The bytecode interpreter.
    Interp,
    /// Pick the best available tier (today: the interpreter).
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
}
