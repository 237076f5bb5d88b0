//! What every test file shares: start the app, act as a user, read mail,
//! follow a link. Tests drive dtap only the ways its users do (the binary,
//! HTTP, mail, git); they never reach into `App`'s fields.
//!
//! - [`workspace`]: [`TestWorkspace`], an isolated workspace (own temp
//!   folder, HOME, git config, database); its files and dtap.toml.
//! - [`cli`]: `ws.as_user(FA, &[...])` runs the real binary as someone;
//!   `ok`, `json_of`, `code`, `stderr` read what it said; the everyday steps
//!   (`approved_rfc`, `appoint`, `put_package`, `promote`, `flush`).
//! - [`git`]: the config repo read with plain git (`head`, `tree_of`,
//!   `packages_in`); [`GitDaemon`], a real git daemon on loopback.
//! - [`https_git`], [`sshd`]: the git servers teams use, on loopback: nginx
//!   with TLS and tokens in front of `git http-backend`, and OpenSSH's sshd
//!   (plus an ssh-agent); [`programs`] finds them or skips (CI requires them).
//! - [`server`]: [`TestApp`], the web app in-process on a passed listener:
//!   pages, forms with their CSRF token, `follow` a mailed link, `approve` /
//!   `reject` through a sign-off link, `sign_in` by the mailed login link;
//!   [`Serve`], `dtap serve` as a child process.
//! - [`mail`]: [`Smtp`], a real aiosmtpd on loopback; `ws.mailbox()`, the
//!   `.eml` files of the file transport; [`Mail`], decoded, with its links.
//! - [`db`]: the backends, and raw SQL for the few places that must tamper,
//!   read what no command shows, or move time (each says why).
//! - [`browser`]: chromium and chromedriver, or a skip (or, when required, a failure).

pub mod browser;
pub mod cli;
pub mod db;
pub mod docs;
pub mod git;
pub mod https_git;
pub mod inetd;
pub mod mail;
pub mod programs;
pub mod server;
pub mod sshd;
pub mod workspace;

pub use cli::*;
pub use db::*;
pub use git::GitDaemon;
pub use mail::{Mail, ReservedPort, Smtp};
pub use server::*;
pub use workspace::{TestWorkspace, manifest};

/// The people of the default access.yaml.
pub const RM: &str = "rm@example.org"; // release manager: promote.*
pub const USER: &str = RM; // whom `ws.dtap(...)` runs as
pub const ADMIN: &str = "admin@example.org"; // release manager too, and more
pub const FA: &str = "fa@example.org"; // functional admin: rfc.edit
pub const CM: &str = "cm@example.org"; // change manager: rfc.assess
pub const SALES: &str = "sales@example.org"; // a requester
/// Key users: no role, appointing them as testers is enough.
pub const KIM: &str = "kim@example.org";
pub const LEE: &str = "lee@example.org";
pub const PAT: &str = "pat@example.org";
