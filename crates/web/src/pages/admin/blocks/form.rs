//! The domain block form as typed, and what it means.

use kereru_store::domain_blocks::{BlockOptions, DomainBlock, Severity};
use std::collections::BTreeMap;

/// Errors next to their fields: field name → message.
pub type Errors = BTreeMap<&'static str, String>;

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct BlockForm {
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub reject_media: Option<String>,
    #[serde(default)]
    pub reject_reports: Option<String>,
    #[serde(default)]
    pub obfuscate: Option<String>,
    #[serde(default)]
    pub public_comment: String,
    #[serde(default)]
    pub private_comment: String,
}

#[derive(serde::Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    pub show_domain_blocks: String,
}

#[derive(serde::Deserialize)]
pub struct Nothing {}

const COMMENT_LIMIT: usize = 1000;

pub fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Suspend => "Suspend",
        Severity::Silence => "Limit",
        Severity::Noop => "None",
    }
}

impl BlockForm {
    /// The form filled in from an existing block (the edit page).
    pub fn of(block: &DomainBlock) -> BlockForm {
        let on = |b: bool| b.then(|| "on".to_string());
        BlockForm {
            domain: block.host.clone(),
            severity: block.severity().as_str().to_string(),
            reject_media: on(block.reject_media),
            reject_reports: on(block.reject_reports),
            obfuscate: on(block.obfuscate),
            public_comment: block.public_comment.clone(),
            private_comment: block.private_comment.clone(),
        }
    }

    /// The options typed, or the field at fault and why.
    pub fn options(&self) -> Result<BlockOptions, (&'static str, String)> {
        let severity = match self.severity.as_str() {
            "" => Severity::Suspend,
            other => Severity::parse(other).ok_or(("severity", "Choose a severity.".to_string()))?,
        };
        for (field, text) in [("public_comment", &self.public_comment), ("private_comment", &self.private_comment)] {
            if text.chars().count() > COMMENT_LIMIT {
                return Err((field, format!("Keep it under {COMMENT_LIMIT} characters.")));
            }
        }
        Ok(BlockOptions {
            severity,
            reject_media: self.reject_media.is_some(),
            reject_reports: self.reject_reports.is_some(),
            private_comment: self.private_comment.trim().to_string(),
            public_comment: self.public_comment.trim().to_string(),
            obfuscate: self.obfuscate.is_some(),
        })
    }
}
