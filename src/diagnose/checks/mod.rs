//! The registry of checks: name, category, one line of description and the async
//! function that runs it. Each check is independent, so any subset can run at once.

pub mod function;
pub mod identity;
pub mod network;
pub mod roles;

use super::CheckSpec;

/// Every check, in report order.
pub static ALL: &[CheckSpec] = &[
    CheckSpec {
        name: "credentials",
        category: "identity",
        about: "who the workflow acts as (sts:GetCallerIdentity) vs the role assume_role resolved; credential expiry",
        run: |probe| Box::pin(identity::credentials(probe)),
    },
    CheckSpec {
        name: "lambda_exists",
        category: "function",
        about: "the scope's function exists",
        run: |probe| Box::pin(function::lambda_exists(probe)),
    },
    CheckSpec {
        name: "lambda_active",
        category: "function",
        about: "State is Active and the last update succeeded (with Lambda's reasons when not)",
        run: |probe| Box::pin(function::lambda_active(probe)),
    },
    CheckSpec {
        name: "alias",
        category: "function",
        about: "the main alias exists, points at a published version with sane routing, and serves the deployment",
        run: |probe| Box::pin(function::alias(probe)),
    },
    CheckSpec {
        name: "provisioned_concurrency",
        category: "function",
        about: "provisioned concurrency on the alias is READY (or why not)",
        run: |probe| Box::pin(function::provisioned_concurrency(probe)),
    },
    CheckSpec {
        name: "iam_role_valid",
        category: "permissions",
        about: "the execution role exists and trusts lambda.amazonaws.com",
        run: |probe| Box::pin(roles::iam_role_valid(probe)),
    },
    CheckSpec {
        name: "ecr_pull_policy",
        category: "permissions",
        about: "Image functions: the ECR repository policy lets Lambda pull the image",
        run: |probe| Box::pin(roles::ecr_pull_policy(probe)),
    },
    CheckSpec {
        name: "image_architecture",
        category: "function",
        about: "the function's architecture matches the scope's and, for multi-platform images, the image",
        run: |probe| Box::pin(roles::image_architecture(probe)),
    },
    CheckSpec {
        name: "networking",
        category: "networking",
        about: "API Gateway (public) or ALB (private) may invoke the function and routes to it",
        run: |probe| Box::pin(network::networking(probe)),
    },
    CheckSpec {
        name: "dns",
        category: "networking",
        about: "the scope's domain resolves (when one is set)",
        run: |probe| Box::pin(network::dns(probe)),
    },
];
