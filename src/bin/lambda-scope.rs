//! `lambda-scope`: the one binary holding every step and tool of the scope. Invoked as
//! `lambda-scope <command> [args]` or through a link named after the command (argv[0]);
//! the table is `lambda_scope::commands::COMMANDS` (`lambda-scope --list`).

fn main() -> std::process::ExitCode {
    // The process edge: each operator setting's namespaced and generic names are reconciled
    // into one effective value before clap or any step reads them. It runs here, first,
    // because no other thread exists yet (no runtime has started), so changing the
    // environment cannot race a reader.
    lambda_scope::settings::apply_to_process_env();
    // Likewise single-threaded: the TLS roots are read from one place (see tls_roots).
    lambda_scope::tls_roots::read_the_bundle_once();
    lambda_scope::commands::main(std::env::args_os().collect())
}
