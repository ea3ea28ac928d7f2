//! Test worlds bigger than one helper: the scope workflows' shared AWS set-up and the
//! OpenTofu binary the tests drive.

pub mod scope_world;
pub mod terraform;
