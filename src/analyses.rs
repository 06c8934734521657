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
    "churn_hotspots_source",
    "activity_by_weekday_hour",
    "author_first_last",
    "files_by_size_and_age",
    "code_ownership",
    "code_age",
    "bus_factor",
    "ownership_drift",
    "languages",
    "pr_cycle_time",
    "review_load",
    "ci_health",
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

impl Analysis {
    /// The named parameters (`$owner`) the analysis needs, in order of first use: the GitHub
    /// analyses need the repository they read, which a query cannot leave out.
    pub fn params(&self) -> Vec<&'static str> {
        let mut found: Vec<&'static str> = Vec::new();
        let bytes = self.sql.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'-' if bytes.get(i + 1) == Some(&b'-') => {
                    i = self.sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
                }
                b'\'' => {
                    // A string literal ('' inside it is a quote).
                    i += 1;
                    while i < bytes.len() && !(bytes[i] == b'\'' && bytes.get(i + 1) != Some(&b'\'')) {
                        i += if bytes[i] == b'\'' { 2 } else { 1 };
                    }
                    i += 1;
                }
                b'$' => {
                    let start = i + 1;
                    let len = self.sql[start..]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(self.sql.len() - start);
                    let name = &self.sql[start..start + len];
                    if !name.is_empty() && !found.contains(&name) {
                        found.push(name);
                    }
                    i = start + len;
                }
                _ => i += 1,
            }
        }
        found
    }

    /// `given` (name, value) pairs checked against [`Analysis::params`]: each one given, no
    /// other; the message names what is missing or unknown.
    pub fn bind(&self, given: &[(String, String)]) -> Result<Vec<(String, String)>, String> {
        let wanted = self.params();
        if let Some((unknown, _)) = given.iter().find(|(k, _)| !wanted.contains(&k.as_str())) {
            let takes = match wanted.as_slice() {
                [] => "none".to_string(),
                w => w.join(", "),
            };
            return Err(format!(
                "analysis '{}' has no parameter '{unknown}' (it takes: {takes})",
                self.name
            ));
        }
        let missing: Vec<String> = wanted
            .iter()
            .filter(|w| !given.iter().any(|(k, _)| k == *w))
            .map(|w| format!("--param {w}=VALUE"))
            .collect();
        if !missing.is_empty() {
            return Err(format!("analysis '{}' needs {}", self.name, missing.join(" ")));
        }
        Ok(given.to_vec())
    }
}

pub fn find(name: &str) -> Option<&'static Analysis> {
    let name = name.strip_suffix(".sql").unwrap_or(name);
    ANALYSES.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_the_dollar_names_outside_comments_and_strings() {
        let pr = find("pr_cycle_time").unwrap();
        assert_eq!(pr.params(), ["owner", "repo"]);
        assert!(find("top_contributors").unwrap().params().is_empty());
        let odd = Analysis {
            name: "odd",
            sql: "-- $not_this\nSELECT '$nor_this', 'it''s $still_not', $yes, $yes_2 FROM t WHERE x = $yes",
        };
        assert_eq!(odd.params(), ["yes", "yes_2"]);
        let given = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(pr.bind(&given(&[("owner", "a"), ("repo", "b")])).is_ok());
        assert_eq!(
            pr.bind(&given(&[("owner", "a")])).unwrap_err(),
            "analysis 'pr_cycle_time' needs --param repo=VALUE"
        );
        assert_eq!(
            pr.bind(&given(&[("owner", "a"), ("repo", "b"), ("org", "c")]))
                .unwrap_err(),
            "analysis 'pr_cycle_time' has no parameter 'org' (it takes: owner, repo)"
        );
    }
}
