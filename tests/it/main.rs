//! The integration tests: one test binary, so the library and the helpers in `common`
//! and `support` are compiled and linked once. One module per area; run one area with
//! `cargo test --test it <area>::` (e.g. `cargo test --test it deployment::`).

mod common;
mod support;

mod assume_role;
mod bounded_calls;
mod commands;
mod context_steps;
mod context_steps_workflow;
mod credential_refresh;
mod deployment;
mod deployment_provisioned;
mod diagnose;
mod dockerfile;
mod ecr_pull_policy;
mod entrypoint;
mod fetch_scope_config;
mod hostile_input;
mod iam_policy;
mod iam_policy_moto;
mod json_format;
mod overrides;
mod package;
mod placeholder;
mod placeholder_image;
mod runner;
mod runner_e2e;
mod scope_metadata;
mod settings;
mod specs;
mod specs_tofu;
mod telemetry;
mod tofu_domain;
mod tofu_modules;
mod tofu_scope_actions;
mod tofu_step;
mod tofu_workflows;
