//! `iam-policy`: renders the least-privilege IAM policies for the Lambda scope and lists
//! the AWS actions every step calls (see `lambda_scope::policy`).

fn main() -> std::process::ExitCode {
    lambda_scope::policy::cli::main()
}
