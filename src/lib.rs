//! lambda-scope: the AWS Lambda scope for the nullplatform agent.
//! Every workflow step is an entry in `commands` (one multicall binary, `src/bin/lambda-scope.rs`);
//! the logic lives in these modules, one concern each.

pub mod arn;
pub mod aws;
pub mod commands;
pub mod config;
pub mod context;
pub mod credentials;
pub mod deploy;
pub mod diagnose;
pub mod domain;
pub mod ecr;
pub mod ids;
pub mod np;
pub mod permissions;
pub mod placeholder;
pub mod policy;
pub mod report;
pub mod routing;
pub mod scope_actions;
pub mod scope_config;
pub mod scope_context;
pub mod scope_metadata;
pub mod settings;
pub mod step;
pub mod telemetry;
pub mod tls_roots;
pub mod tofu;
pub mod workflow;

#[cfg(test)]
mod import_graph;
