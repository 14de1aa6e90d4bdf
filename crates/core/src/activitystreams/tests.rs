use super::*;
use std::path::{Path, PathBuf};

/// Every JSON document under the shared fixtures (`../shared/fixtures/activitypub`), in path order.
pub(crate) fn fixtures() -> Vec<(PathBuf, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/activitypub");
    let mut found = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).unwrap();
                found.push((path, serde_json::from_str(&text).unwrap()));
            }
        }
    }
    assert!(found.len() >= 100, "fixtures not found under {}", root.display());
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

#[test]
fn every_fixture_from_every_server_parses() {
    let mut ignored = Vec::new();
    for (path, document) in fixtures() {
        match classify(&document) {
            Ok(Classified::Ignored { type_name, .. }) => ignored.push(type_name),
            Ok(Classified::Activity { activity, .. }) => {
                assert!(activity.actor_id().is_some(), "{}: no actor id", path.display());
                assert!(
                    activity.object_ref().and_then(Reference::id).is_some() || activity.object_ref().is_some(),
                    "{}",
                    path.display()
                );
            }
            Ok(Classified::Status(object)) | Ok(Classified::Actor(object)) => {
                assert!(object.id.is_some(), "{}: no id", path.display());
            }
            Ok(_) => {}
            Err(error) => panic!("{}: {error}", path.display()),
        }
    }
    // Lemmy's moderation activities and the like are understood and ignored, not errors.
    assert!(ignored.iter().any(|t| t == "Lock"), "{ignored:?}");
}

#[test]
fn mastodon_documents_read_as_mastodon_means_them() {
    let all = fixtures();
    let find = |suffix: &str| all.iter().find(|(p, _)| p.ends_with(suffix)).map(|(_, d)| d.clone()).unwrap();
    let Classified::Activity { kind, activity } = classify(&find("mastodon/activities/create_note.json")).unwrap()
    else {
        panic!("not an activity")
    };
    assert_eq!(kind, ActivityKind::Create);
    let note = activity.object_ref().and_then(Reference::object).unwrap();
    assert_eq!(note.primary_type(), Some("Note"));
    assert!(note.content_html().is_some());
    assert!(
        activity.addressees().iter().any(|a| a.ends_with("#Public") || a.contains("followers")),
        "{:?}",
        activity.addressees()
    );
    let Classified::Actor(person) = classify(&find("mastodon/objects/person.json")).unwrap() else {
        panic!("not an actor")
    };
    assert!(person.inbox.is_some() && person.public_key.is_some() && person.preferred_username.is_some());
    let Classified::Activity { kind, activity } = classify(&find("mastodon/activities/undo_follow.json")).unwrap()
    else {
        panic!("not an activity")
    };
    assert_eq!(kind, ActivityKind::Undo);
    assert_eq!(activity.object_ref().and_then(Reference::object).and_then(Object::primary_type), Some("Follow"));
}

#[test]
fn shapes_real_servers_send() {
    // One value or many, a link as a string or an object, unknown properties kept.
    let document = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://a.example/1", "type": ["Note", "schema:Thing"],
        "to": "https://www.w3.org/ns/activitystreams#Public",
        "cc": [{"type": "Link", "href": "https://a.example/followers"}],
        "attributedTo": [{"id": "https://a.example/u", "type": "Person"}],
        "somethingNew": {"x": 1},
        "inReplyTo": null,
    });
    let Classified::Status(note) = classify(&document).unwrap() else { panic!("not a status") };
    assert_eq!(note.addressees(), vec!["https://www.w3.org/ns/activitystreams#Public", "https://a.example/followers"]);
    assert_eq!(
        note.attributed_to.as_ref().and_then(|a| a.first()).and_then(Reference::id),
        Some("https://a.example/u")
    );
    assert!(note.extra.contains_key("somethingNew"));
    assert!(note.in_reply_to.is_none());
}

#[test]
fn what_is_not_a_document_is_an_error_and_unknown_types_are_ignored() {
    assert_eq!(classify(&serde_json::json!([1, 2])), Err(ParseError::NotAnObject));
    assert_eq!(classify(&serde_json::json!({"id": "x"})), Err(ParseError::NoType));
    assert!(matches!(classify(&serde_json::json!({"type": "Like"})), Err(ParseError::Malformed(_))));
    assert!(matches!(
        classify(&serde_json::json!({"type": "EmojiReact", "actor": "https://a.example/u"})),
        Ok(Classified::Ignored { .. })
    ));
}
