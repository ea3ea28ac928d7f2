//! `scope-workflow`: the local workflow runner and the entrypoint's router.
//! All logic lives in `lambda_scope::workflow`; see `scope-workflow --help`.

fn main() -> std::process::ExitCode {
    lambda_scope::workflow::cli::main()
}
