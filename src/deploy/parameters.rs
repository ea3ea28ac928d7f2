//! Where a deployment's parameters go (`PARAMETERS_STRATEGY`): the function's
//! environment variables, or one Secrets Manager secret per deployment, and that
//! secret's name — set by build-deployment-context, written by
//! update-function-configuration, deleted with the deployment's version by update-alias.

/// Where a deployment's parameters go (`PARAMETERS_STRATEGY`): the function's
/// environment variables (the default), or one Secrets Manager secret per deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ParametersStrategy {
    #[default]
    Env,
    Secretsmanager,
}

impl ParametersStrategy {
    /// `env` or `secretsmanager`, exactly; anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        <Self as clap::ValueEnum>::from_str(text, false).ok()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ParametersStrategy::Env => "env",
            ParametersStrategy::Secretsmanager => "secretsmanager",
        }
    }
}

impl std::fmt::Display for ParametersStrategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Secrets Manager secret holding one deployment's parameters.
pub fn secret_name(scope_id: &str, deployment_id: &str) -> String {
    format!("nullplatform/{scope_id}/{deployment_id}/parameters")
}
