//! The local workflow runner: runs the scope's YAML workflows exactly as the nullplatform
//! agent would (reference/engine.md), without the closed-source `np` engine. `document`
//! loads and layers YAML (`overrides`: the other step names an override may use), `spec`
//! types the steps, `run` / `shell` / `executor` run them.

pub mod cli;
pub mod document;
pub mod executor;
pub mod expand;
pub mod overrides;
pub mod run;
pub mod shell;
pub mod spec;

pub use document::{Document, Env};
pub use run::{Carry, Runner};
