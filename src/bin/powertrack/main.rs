//! The `powertrack` command-line tool: a thin shell over the library.

fn main() {
    eprintln!("powertrack: under construction");
    std::process::exit(2);
}
