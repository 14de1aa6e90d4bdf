//! Mastodon's entities for server-level blocks: Admin::DomainBlock,
//! Admin::DomainAllow, Admin::EmailDomainBlock, Admin::IpBlock and the public DomainBlock.

use crate::api::render::timestamp;
use kereru_core::blocks::{digest, obfuscated};
use kereru_store::domain_allows::DomainAllow;
use kereru_store::domain_blocks::DomainBlock;
use kereru_store::email_domain_blocks::EmailDomainBlock;
use kereru_store::ip_blocks::IpBlock;
use serde_json::{Value, json};

fn text_or_null(text: &str) -> Value {
    if text.is_empty() { Value::Null } else { Value::String(text.to_string()) }
}

pub fn domain_block(block: &DomainBlock) -> Value {
    json!({
        "id": block.id.to_string(),
        "domain": block.host,
        "digest": digest(&block.host),
        "created_at": timestamp(block.created_at),
        "severity": block.severity().as_str(),
        "reject_media": block.reject_media,
        "reject_reports": block.reject_reports,
        "private_comment": text_or_null(&block.private_comment),
        "public_comment": text_or_null(&block.public_comment),
        "obfuscate": block.obfuscate,
    })
}

/// The public entry: the host (starred when obfuscated), its digest, the
/// severity (a `noop` block listed for its options shows as `noop`, as
/// Mastodon's) and the public reason.
pub fn public_block(block: &DomainBlock) -> Value {
    let domain = if block.obfuscate { obfuscated(&block.host) } else { block.host.clone() };
    json!({
        "domain": domain,
        "digest": digest(&block.host),
        "severity": block.severity().as_str(),
        "comment": text_or_null(&block.public_comment),
    })
}

pub fn domain_allow(allow: &DomainAllow) -> Value {
    json!({ "id": allow.id.to_string(), "domain": allow.host, "created_at": timestamp(allow.created_at) })
}

pub fn email_domain_block(block: &EmailDomainBlock) -> Value {
    json!({
        "id": block.id.to_string(),
        "domain": block.email_domain,
        "created_at": timestamp(block.created_at),
        "history": [],
    })
}

pub fn ip_block(block: &IpBlock) -> Value {
    json!({
        "id": block.id.to_string(),
        "ip": block.ip,
        "severity": block.severity,
        "comment": block.comment,
        "created_at": timestamp(block.created_at),
        "expires_at": block.expires_at.map(timestamp),
    })
}
