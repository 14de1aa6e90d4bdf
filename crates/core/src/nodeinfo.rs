//! NodeInfo 2.0 and 2.1 documents (https://nodeinfo.diaspora.software).

use serde_json::{Value, json};

pub const SOFTWARE_NAME: &str = "kereru";
pub const VERSIONS: [&str; 2] = ["2.0", "2.1"];

/// One tenant's figures: NodeInfo describes the tenant a client asked, not the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub users_total: i64,
    pub active_month: i64,
    pub active_halfyear: i64,
    pub local_posts: i64,
}

pub fn schema_url(version: &str) -> String {
    format!("http://nodeinfo.diaspora.software/ns/schema/{version}")
}

/// The document for `version` ("2.0" or "2.1"); `None` for any other version.
pub fn document(
    version: &str,
    software_version: &str,
    node_name: &str,
    open_registrations: bool,
    usage: Usage,
) -> Option<Value> {
    let software = match version {
        "2.0" => json!({ "name": SOFTWARE_NAME, "version": software_version }),
        // 2.1 allows repository and homepage too; Kererū has no public one yet.
        "2.1" => json!({ "name": SOFTWARE_NAME, "version": software_version }),
        _ => return None,
    };
    Some(json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": usage.users_total.max(0),
                "activeMonth": usage.active_month.max(0),
                "activeHalfyear": usage.active_halfyear.max(0),
            },
            "localPosts": usage.local_posts.max(0),
        },
        "metadata": { "nodeName": node_name },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_versions() {
        let usage = Usage { users_total: 2, active_month: 1, active_halfyear: 2, local_posts: 0 };
        assert!(document("2.2", "0.1.0", "n", true, usage).is_none());
        let doc = document("2.0", "0.1.0", "n", false, usage).unwrap();
        assert_eq!(doc["version"], "2.0");
        assert_eq!(doc["usage"]["users"]["total"], 2);
        assert_eq!(doc["openRegistrations"], false);
    }
}
