//! Integration tests: the real binary, real SQLite, real git repositories and
//! the real web app over HTTP. One test binary keeps link time down.

mod browser;
mod check;
mod crash;
mod dbcopy;
mod deploy;
mod docs;
mod drift;
mod hardening;
mod i18n;
mod ops;
mod promotion;
mod remote;
mod reports;
mod retire;
mod rfcs_api;
mod rfcs_cli;
mod rfcs_web;
mod rounds;
mod scale;
mod signoff;
mod support;
mod tour;
mod web;
mod workflow;
