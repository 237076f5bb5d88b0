//! Integration tests: the real binary, real SQLite, real git repositories and
//! the real web app over HTTP. One test binary keeps link time down.

mod check;
mod support;
mod web;
mod workflow;
