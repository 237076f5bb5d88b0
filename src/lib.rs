//! dtap: a DTAP (OTAP) release and change-request tool for teams that run a CRM.
//!
//! Layers (see docs/architecture.md): `domain` holds the pure rules; `app`
//! the use cases; `store`, `gitrepo` and (later) `mail` the outside world;
//! `web` and `cli` only parse, call a use case and render.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod gitrepo;
pub mod locale;
pub mod mail;
pub mod random;
pub mod store;
pub mod web;
pub mod workspace;
