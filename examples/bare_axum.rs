#![allow(clippy::disallowed_macros)] // a benchmark baseline, not a dtap command
//! The baseline of benchmark P2 (scripts/bench-rfcs): the fastest page axum
//! can serve on this machine, a fixed HTML string, same runtime settings as dtap.

use axum::Router;
use axum::response::Html;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18090".into());
    let app = Router::new().route(
        "/",
        get(|| async { Html("<!doctype html><title>bare</title><p>hello</p>") }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("bare axum on http://{addr}/");
    axum::serve(listener, app).await
}
