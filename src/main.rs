use std::process::ExitCode;

fn main() -> ExitCode {
    internetwache::cli::main()
}
