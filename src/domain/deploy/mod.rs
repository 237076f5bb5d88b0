//! Deploying into the CRM (DESIGN §14): the configuration, the states of a
//! deployment and what a step is given. Pure: the runner is in `app::deploy`.

pub mod config;
pub mod gate;
pub mod order;
pub mod redact;
pub mod state;
