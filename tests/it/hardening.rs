//! The penetration test's findings (issue 18), each with the test that
//! proves it fixed. Every test runs on SQLite and, on the PostgreSQL pass,
//! on PostgreSQL.

mod advisories;
mod audit;
mod dev_user;
mod input;
mod limits;
mod limits_text;
mod links;
mod metrics;
mod refusals;
pub mod routes;
mod sessions;
