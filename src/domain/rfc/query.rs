//! What the RFC list is asked for: filters and an order.

/// Filters of the RFC list; `None` means any.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RfcFilter {
    pub state: Option<String>,
    pub template: Option<String>,
    pub department: Option<String>,
    pub requester: Option<String>,
    pub package: Option<String>,
    /// Appointed as tester, in any environment.
    pub tester: Option<String>,
    /// Full-text search over title and answers.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    Updated,
    Title,
    State,
}

impl Sort {
    pub const ALL: &[(Sort, &str)] = &[
        (Sort::Newest, "newest"),
        (Sort::Oldest, "oldest"),
        (Sort::Updated, "updated"),
        (Sort::Title, "title"),
        (Sort::State, "state"),
    ];
}
