use clap::Parser;

fn main() {
    let cli = host::cli::Cli::parse();
    let code = host::commands::dispatch(cli);
    std::process::exit(code);
}
