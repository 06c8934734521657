//! The `gitfleet` command: SQL over git repositories from the shell.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
