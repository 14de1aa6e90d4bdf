//! Paging of the public pages: `?max_id=ID`, 20 to a page, and the link to
//! the next (older) page.

use kereru_store::page::Page;

/// Items on one page of a timeline, a profile or a list of notifications.
pub const PER_PAGE: i64 = 20;

/// `?max_id=`: an id that is not a number reads as the first page.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    pub max_id: Option<String>,
}

impl PageQuery {
    pub fn max_id(&self) -> Option<i64> {
        self.max_id.as_deref().and_then(|id| id.parse().ok())
    }

    pub fn is_first(&self) -> bool {
        self.max_id().is_none()
    }

    pub fn page(&self) -> Page {
        Page { max_id: self.max_id(), limit: PER_PAGE, ..Page::default() }
    }
}

/// The next page's path when this page is full: `path?max_id=OLDEST`.
pub fn next_link(path: &str, ids: &[i64]) -> Option<String> {
    if (ids.len() as i64) < PER_PAGE {
        return None;
    }
    ids.last().map(|oldest| format!("{path}?max_id={oldest}"))
}

/// The path and query of the request, for forms to come back to.
pub fn current_path(req: &actix_web::HttpRequest) -> String {
    req.uri().path_and_query().map(|pq| pq.as_str().to_string()).unwrap_or_else(|| "/".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_page_links_to_the_next() {
        let full: Vec<i64> = (0..PER_PAGE).rev().collect();
        assert_eq!(next_link("/public/local", &full).as_deref(), Some("/public/local?max_id=0"));
        assert_eq!(next_link("/public/local", &full[1..]), None);
        assert_eq!(PageQuery { max_id: Some("x".into()) }.max_id(), None);
    }
}
