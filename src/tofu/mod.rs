//! The scope's OpenTofu: `compose` builds the root module from `tofu/` and decides its
//! variables (`vars`), `imports` adopts what exists in AWS but not in the state,
//! `listener` allocates a private scope's rule priority, `run` is run-tofu (`init`,
//! `apply` / `destroy`, outputs) with `catch_up` (the main alias after an apply) and
//! `version` (the binary's minimum version); `action` and `hcl` are shared by them.

pub mod action;
pub mod catch_up;
pub mod compose;
pub mod hcl;
pub mod imports;
pub mod listener;
pub mod run;
pub mod vars;
pub mod version;
