//! The `gitfleet` command: SQL over git repositories from the shell.

#![warn(unreachable_pub)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
