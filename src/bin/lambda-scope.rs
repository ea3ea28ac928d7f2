//! `lambda-scope`: the one binary holding every step and tool of the scope. Invoked as
//! `lambda-scope <command> [args]` or through a link named after the command (argv[0]);
//! the table is `lambda_scope::commands::COMMANDS` (`lambda-scope --list`).

fn main() -> std::process::ExitCode {
    lambda_scope::commands::main(std::env::args_os().collect())
}
