//! `/metrics` in the Prometheus text format (written by hand: a handful of
//! series needs no crate). The web counts requests; the rest is read here.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{App, Result};
use crate::domain::stamp::Stamp;

/// Upper bounds (seconds) of the deployment duration histogram's buckets.
pub const DURATION_BUCKETS: &[f64] = &[1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0];

/// A label value as the text format quotes it.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

impl App {
    /// Every series: `requests` are the web's counts per (method, status).
    pub async fn metrics_text(&self, requests: &BTreeMap<(String, u16), u64>) -> Result<String> {
        let mut out = String::new();
        head(
            &mut out,
            "dtap_http_requests_total",
            "counter",
            "HTTP requests answered by this instance, by method and status.",
        );
        for ((method, status), n) in requests {
            let _ = writeln!(
                out,
                "dtap_http_requests_total{{method=\"{}\",status=\"{status}\"}} {n}",
                label(method)
            );
        }
        let mails = self.store.mail_counts().await?;
        head(&mut out, "dtap_outbox_mails", "gauge", "Mails in the outbox, by state.");
        for (state, n) in &mails {
            let _ = writeln!(out, "dtap_outbox_mails{{state=\"{}\"}} {n}", label(state));
        }
        let depth: i64 = mails
            .iter()
            .filter(|(s, _)| s == "pending" || s == "sending")
            .map(|(_, n)| n)
            .sum();
        head(&mut out, "dtap_outbox_depth", "gauge", "Mails waiting to be delivered.");
        let _ = writeln!(out, "dtap_outbox_depth {depth}");
        head(
            &mut out,
            "dtap_deployments_total",
            "counter",
            "Deployments, by environment and state.",
        );
        for (env, state, n) in self.store.deployment_counts().await? {
            let _ = writeln!(
                out,
                "dtap_deployments_total{{environment=\"{}\",state=\"{}\"}} {n}",
                label(&env),
                label(&state)
            );
        }
        let mut runs: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (env, started, finished) in self.store.deployment_runs().await? {
            if let (Ok(s), Ok(f)) = (Stamp::parse(&started), Stamp::parse(&finished)) {
                let secs = (f.datetime() - s.datetime()).as_seconds_f64().max(0.0);
                runs.entry(env).or_default().push(secs);
            }
        }
        head(
            &mut out,
            "dtap_deployment_duration_seconds",
            "histogram",
            "How long finished deployments ran, by environment.",
        );
        for (env, secs) in &runs {
            let env = label(env);
            for le in DURATION_BUCKETS {
                let n = secs.iter().filter(|s| **s <= *le).count();
                let _ = writeln!(
                    out,
                    "dtap_deployment_duration_seconds_bucket{{environment=\"{env}\",le=\"{le}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "dtap_deployment_duration_seconds_bucket{{environment=\"{env}\",le=\"+Inf\"}} {}",
                secs.len()
            );
            let _ = writeln!(
                out,
                "dtap_deployment_duration_seconds_sum{{environment=\"{env}\"}} {}",
                secs.iter().sum::<f64>()
            );
            let _ = writeln!(
                out,
                "dtap_deployment_duration_seconds_count{{environment=\"{env}\"}} {}",
                secs.len()
            );
        }
        Ok(out)
    }
}
