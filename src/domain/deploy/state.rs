//! A deployment's states: `queued → running → succeeded | failed |
//! timed_out | interrupted | cancelled`.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployState {
    Queued,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Interrupted,
    Cancelled,
}

impl DeployState {
    pub const ALL: &[DeployState] = &[
        DeployState::Queued,
        DeployState::Running,
        DeployState::Succeeded,
        DeployState::Failed,
        DeployState::TimedOut,
        DeployState::Interrupted,
        DeployState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeployState::Queued => "queued",
            DeployState::Running => "running",
            DeployState::Succeeded => "succeeded",
            DeployState::Failed => "failed",
            DeployState::TimedOut => "timed_out",
            DeployState::Interrupted => "interrupted",
            DeployState::Cancelled => "cancelled",
        }
    }

    /// Still to finish: blocks the environment.
    pub fn is_open(self) -> bool {
        matches!(self, DeployState::Queued | DeployState::Running)
    }

    /// Ended without success: the environment is not what its folder says.
    pub fn is_bad(self) -> bool {
        matches!(
            self,
            DeployState::Failed | DeployState::TimedOut | DeployState::Interrupted | DeployState::Cancelled
        )
    }
}

impl fmt::Display for DeployState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DeployState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        DeployState::ALL
            .iter()
            .copied()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| format!("unknown deployment state `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_classify() {
        for s in DeployState::ALL {
            assert_eq!(s.as_str().parse::<DeployState>(), Ok(*s));
            assert!(!(s.is_open() && s.is_bad()));
        }
        assert!(DeployState::Running.is_open());
        assert!(DeployState::TimedOut.is_bad());
        assert!(!DeployState::Succeeded.is_open() && !DeployState::Succeeded.is_bad());
        assert!("done".parse::<DeployState>().is_err());
    }
}
