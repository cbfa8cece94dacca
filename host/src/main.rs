fn main() {
    eprintln!("sxc: under construction");
    std::process::exit(2);
}
