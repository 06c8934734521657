//! The ready-made analyses in `sql/`, compiled into the binary so `gitfleet run NAME` works
//! from any directory.

/// One analysis: its name (the file name without `.sql`) and its SQL.
#[derive(Debug, Clone, Copy)]
pub struct Analysis {
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! analyses {
    ($($name:literal),* $(,)?) => {
        &[$(Analysis { name: $name, sql: include_str!(concat!("../sql/", $name, ".sql")) }),*]
    };
}

pub const ANALYSES: &[Analysis] = analyses![
    "top_contributors",
    "co_authorship",
    "churn_hotspots",
    "activity_by_weekday_hour",
    "author_first_last",
    "files_by_size_and_age",
    "code_ownership",
    "code_age",
    "bus_factor",
    "ownership_drift",
];

impl Analysis {
    /// The first line of the header comment.
    pub fn description(&self) -> &'static str {
        self.sql
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("--"))
            .map(str::trim)
            .unwrap_or("")
    }
}

pub fn find(name: &str) -> Option<&'static Analysis> {
    let name = name.strip_suffix(".sql").unwrap_or(name);
    ANALYSES.iter().find(|a| a.name == name)
}
