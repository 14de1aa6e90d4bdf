//! Mastodon's id-based pagination: `max_id`, `since_id`, `min_id`, `limit`.

/// A page request. Results are newest first; with `min_id` the page starts
/// right after it (the oldest newer items), still returned newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub max_id: Option<i64>,
    pub since_id: Option<i64>,
    pub min_id: Option<i64>,
    pub limit: i64,
}

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 40;

impl Default for Page {
    fn default() -> Self {
        Page { max_id: None, since_id: None, min_id: None, limit: DEFAULT_LIMIT }
    }
}

impl Page {
    /// `limit` clamped to 1..=`max` as Mastodon does (out-of-range values are clamped, not refused).
    pub fn new(max_id: Option<i64>, since_id: Option<i64>, min_id: Option<i64>, limit: Option<i64>, max: i64) -> Self {
        Page { max_id, since_id, min_id, limit: limit.unwrap_or(DEFAULT_LIMIT).clamp(1, max) }
    }

    /// SQL conditions on `column` and the ORDER BY, with parameters starting at `$first`.
    /// Returns (conditions, order, params).
    pub fn sql(&self, column: &str, first: usize) -> (Vec<String>, &'static str, Vec<i64>) {
        let mut conditions = Vec::new();
        let mut params = Vec::new();
        let mut next = first;
        for (value, op) in [(self.max_id, "<"), (self.since_id, ">"), (self.min_id, ">")] {
            if let Some(value) = value {
                conditions.push(format!("{column} {op} ${next}"));
                params.push(value);
                next += 1;
            }
        }
        let order = if self.min_id.is_some() { "ASC" } else { "DESC" };
        (conditions, order, params)
    }

    /// Whether rows came back oldest first and must be reversed.
    pub fn ascending(&self) -> bool {
        self.min_id.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_clamped_and_min_id_pages_ascend() {
        assert_eq!(Page::new(None, None, None, Some(1000), MAX_LIMIT).limit, 40);
        assert_eq!(Page::new(None, None, None, Some(0), MAX_LIMIT).limit, 1);
        let page = Page::new(Some(9), None, Some(3), None, MAX_LIMIT);
        let (conditions, order, params) = page.sql("s.id", 2);
        assert_eq!(conditions, vec!["s.id < $2".to_string(), "s.id > $3".to_string()]);
        assert_eq!(order, "ASC");
        assert_eq!(params, vec![9, 3]);
        assert!(page.ascending());
    }
}
