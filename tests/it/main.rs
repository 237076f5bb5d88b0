//! Integration tests: the real binary, real SQLite, real git repositories and
//! the real web app over HTTP. One test binary keeps link time down.

mod access_page;
mod audit_pages;
mod browser;
mod browser_deploy;
mod check;
mod crash;
mod dbcopy;
mod deploy;
mod deploy_all;
mod docs;
mod drift;
mod hardening;
mod i18n;
mod live_drift;
mod notifications;
mod ops;
mod promotion;
mod recipes;
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
mod transport;
mod values;
mod web;
mod workflow;
