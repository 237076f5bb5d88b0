//! The audit chain's anchors in git: every commit dtap makes names the
//! chain's head at that moment in a `Dtap-Audit-Head: <seq>:<hash>`
//! trailer, so the git history (replicated on the git server) witnesses the
//! chain. Checking the table against those anchors finds a truncated table,
//! a rewritten chain, and rows that claim to predate an anchor that does
//! not cover them.

use std::fmt;

use super::stamp::Stamp;

pub const TRAILER: &str = "Dtap-Audit-Head";

/// The hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How long before an anchor commit a row may be dated without being
/// covered by it: the head is read just before the commit is written, and
/// a row recorded meanwhile (by another process) is not in it.
pub const GRACE_SECONDS: i64 = 600;

/// The chain's head: the last row's sequence number and hash (0 and
/// [`GENESIS`] for an empty chain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

impl AuditHead {
    pub fn genesis() -> AuditHead {
        AuditHead {
            seq: 0,
            hash: GENESIS.to_string(),
        }
    }

    /// `12:ab34…` as the trailer writes it.
    pub fn parse(text: &str) -> Option<AuditHead> {
        let (seq, hash) = text.trim().split_once(':')?;
        let ok = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        Some(AuditHead {
            seq: seq.parse().ok().filter(|s: &i64| *s >= 0)?,
            hash: ok.then(|| hash.to_ascii_lowercase())?,
        })
    }

    /// The anchor of a commit message: its last `Dtap-Audit-Head` trailer.
    pub fn in_message(message: &str) -> Option<AuditHead> {
        message
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix(TRAILER)?.strip_prefix(':'))
            .and_then(AuditHead::parse)
    }
}

impl fmt::Display for AuditHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// A commit's anchor, as found in git.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub commit: String,
    pub time: Stamp,
    pub head: AuditHead,
}

/// One row of the table as the check needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRow {
    pub seq: i64,
    pub hash: String,
    pub at: Stamp,
}

/// What an anchor says about the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The commit anchored row `seq`, which the table no longer has.
    Truncated { commit: String, seq: i64, last: i64 },
    /// Row `seq` has another hash than the commit anchored: the chain up to
    /// it was rewritten (or rows were forged into it).
    Rewritten { commit: String, seq: i64 },
    /// Row `seq` is dated before the commit but the commit's anchor (at
    /// `anchored`) does not cover it: added afterwards, backdated.
    Backdated { commit: String, seq: i64, anchored: i64 },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Truncated { commit, seq, last } => write!(
                f,
                "truncated: commit {} anchored event {seq}, but the table ends at event {last}",
                short(commit)
            ),
            Finding::Rewritten { commit, seq } => write!(
                f,
                "rewritten: event {seq} does not have the hash commit {} anchored for it",
                short(commit)
            ),
            Finding::Backdated { commit, seq, anchored } => write!(
                f,
                "forged: event {seq} is dated before commit {}, which anchored the chain at event {anchored}",
                short(commit)
            ),
        }
    }
}

fn short(commit: &str) -> &str {
    &commit[..12.min(commit.len())]
}

/// Checks every anchor against the rows (oldest first, as the table holds
/// them). Each anchored row must be there with the anchored hash; a row
/// dated more than [`GRACE_SECONDS`] before an anchor commit must be covered
/// by that anchor. One finding per anchor at most, in the anchors' order.
pub fn check(rows: &[ChainRow], anchors: &[Anchor]) -> Vec<Finding> {
    let last = rows.last().map_or(0, |r| r.seq);
    let mut findings = Vec::new();
    for a in anchors {
        let commit = a.commit.clone();
        let seq = a.head.seq;
        if seq == 0 {
            if a.head.hash != GENESIS {
                findings.push(Finding::Rewritten { commit, seq });
            }
        } else {
            match rows.iter().find(|r| r.seq == seq) {
                None => {
                    findings.push(Finding::Truncated { commit, seq, last });
                    continue;
                }
                Some(r) if r.hash != a.head.hash => {
                    findings.push(Finding::Rewritten { commit, seq });
                    continue;
                }
                Some(_) => {}
            }
        }
        let cutoff = a.time.datetime() - time::Duration::seconds(GRACE_SECONDS);
        if let Some(r) = rows.iter().find(|r| r.seq > seq && r.at.datetime() < cutoff) {
            findings.push(Finding::Backdated {
                commit: a.commit.clone(),
                seq: r.seq,
                anchored: seq,
            });
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: u32) -> Stamp {
        Stamp::parse(&format!("2026-11-23T10:{minute:02}:00Z")).unwrap()
    }

    fn rows(n: i64) -> Vec<ChainRow> {
        (1..=n)
            .map(|seq| ChainRow {
                seq,
                hash: format!("{seq:064x}"),
                at: at(seq as u32),
            })
            .collect()
    }

    fn anchor(seq: i64, minute: u32) -> Anchor {
        Anchor {
            commit: format!("c{seq}"),
            time: at(minute),
            head: AuditHead {
                seq,
                hash: format!("{seq:064x}"),
            },
        }
    }

    #[test]
    fn the_trailer_reads_back() {
        let h = AuditHead {
            seq: 12,
            hash: "ab".repeat(32),
        };
        let msg = format!("Promote\n\nDtap-Action: promote\n{TRAILER}: {h}\n");
        assert_eq!(AuditHead::in_message(&msg), Some(h));
        assert_eq!(AuditHead::in_message("Promote\n\nDtap-Action: promote\n"), None);
        assert_eq!(AuditHead::parse("x:00"), None);
        assert_eq!(AuditHead::parse(&format!("-1:{GENESIS}")), None);
        assert_eq!(AuditHead::parse(&format!("0:{GENESIS}")), Some(AuditHead::genesis()));
    }

    #[test]
    fn an_intact_table_matches_its_anchors() {
        let anchors = [anchor(0, 0), anchor(2, 3), anchor(5, 6)];
        assert_eq!(check(&rows(7), &anchors), vec![]);
    }

    #[test]
    fn truncation_rewriting_and_backdating_are_found() {
        let anchors = [anchor(2, 3), anchor(5, 6)];
        assert!(matches!(
            check(&rows(4), &anchors)[..],
            [Finding::Truncated { seq: 5, last: 4, .. }]
        ));
        let mut forged = rows(6);
        forged[1].hash = "f".repeat(64);
        assert!(matches!(
            check(&forged, &anchors)[..],
            [Finding::Rewritten { seq: 2, .. }]
        ));
        // Row 6 dated long before the commit that anchored row 5.
        let mut back = rows(6);
        back[5].at = at(5)
            .datetime()
            .checked_sub(time::Duration::minutes(30))
            .map(Stamp::from_datetime)
            .unwrap();
        let found = check(&back, &[anchor(5, 40)]);
        assert!(
            matches!(
                found[..],
                [Finding::Backdated {
                    seq: 6,
                    anchored: 5,
                    ..
                }]
            ),
            "{found:?}"
        );
    }
}
