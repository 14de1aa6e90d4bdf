use super::*;
use crate::activitystreams::{ActivityKind, Classified, STATUS_TYPES, classify, sanitize_html};
use serde_json::{Value, json};

use crate::activitystreams::tests::fixtures;

fn fixture(suffix: &str) -> Value {
    fixtures().into_iter().find(|(path, _)| path.ends_with(suffix)).map(|(_, document)| document).unwrap()
}

fn type_of(document: &Value) -> &str {
    match &document["type"] {
        Value::String(kind) => kind,
        Value::Array(kinds) => kinds.first().and_then(Value::as_str).unwrap_or(""),
        _ => "",
    }
}

/// The statuses in a document: itself, those embedded in a Create, Update or
/// Announce (at any depth: Lemmy announces Creates), and those in a collection.
fn statuses_in(document: &Value, found: &mut Vec<Value>) {
    let kind = type_of(document);
    if STATUS_TYPES.contains(&kind) {
        found.push(document.clone());
    }
    let mut children = Vec::new();
    if matches!(kind, "Create" | "Update" | "Announce") {
        children.push(&document["object"]);
    }
    children.extend([&document["orderedItems"], &document["items"]]);
    for child in children {
        match child {
            Value::Object(_) => statuses_in(child, found),
            Value::Array(items) => items.iter().for_each(|item| statuses_in(item, found)),
            _ => {}
        }
    }
}

/// The attribute names of every tag in `html`.
fn attribute_names(html: &str) -> Vec<String> {
    let mut names = Vec::new();
    for tag in html.split('<').skip(1) {
        let mut chars = tag.chars().peekable();
        // The tag name.
        while chars.next_if(|c| !c.is_whitespace() && *c != '>').is_some() {}
        loop {
            while chars.next_if(|c| c.is_whitespace() || *c == '/').is_some() {}
            let mut name = String::new();
            while let Some(c) = chars.next_if(|c| !c.is_whitespace() && !"=>/".contains(*c)) {
                name.push(c);
            }
            if name.is_empty() {
                break;
            }
            names.push(name.to_ascii_lowercase());
            if chars.next_if_eq(&'=').is_some() {
                match chars.next_if(|c| *c == '"' || *c == '\'') {
                    Some(quote) => while chars.next().is_some_and(|c| c != quote) {},
                    None => while chars.next_if(|c| !c.is_whitespace() && *c != '>').is_some() {},
                }
            }
        }
    }
    names
}

fn assert_sanitized(html: &str, what: &str) {
    let lower = html.to_ascii_lowercase();
    for banned in ["<script", "<style", "<iframe", "<img", "javascript:"] {
        assert!(!lower.contains(banned), "{what}: {banned} in {html}");
    }
    for name in attribute_names(html) {
        assert!(!name.starts_with("on") && name != "style" && name != "src", "{what}: attribute {name} in {html}");
    }
    assert_eq!(sanitize_html(html), html, "{what}: sanitizing again changes it");
}

#[test]
fn the_attribute_checker_finds_what_it_must() {
    assert_eq!(
        attribute_names(r#"<p><a href="x y" class='a onion' rel=nofollow onclick="z">t</a><br/></p>"#),
        ["href", "class", "rel", "onclick"]
    );
}

#[test]
fn every_status_in_every_fixture_reads_and_is_sanitized() {
    let mut read = 0;
    let mut types = Vec::new();
    for (path, document) in fixtures() {
        let mut statuses = Vec::new();
        statuses_in(&document, &mut statuses);
        for status in statuses {
            let what = format!("{} ({} {})", path.display(), type_of(&status), status["id"]);
            let note = read_note_json(&status).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_sanitized(&note.content_html, &what);
            assert!(!note.content_html.trim().is_empty() || !note.attachments.is_empty(), "{what}: nothing to show");
            assert!(is_http_url(&note.id) && is_http_url(&note.attributed_to), "{what}");
            assert!(note.url.as_deref().is_none_or(is_http_url), "{what}");
            assert!(!note.summary.contains('<'), "{what}: summary {:?}", note.summary);
            assert!(note.attachments.iter().all(|a| is_http_url(&a.url)), "{what}");
            assert!(note.mentions.iter().all(|m| is_http_url(m)), "{what}");
            assert!(note.hashtags.iter().all(|h| !h.starts_with('#') && h.to_lowercase() == *h), "{what}");
            // The reader accepts what classify calls a status, and nothing it calls something else.
            assert!(matches!(classify(&status), Ok(Classified::Status(_))), "{what}");
            types.push(note.type_name);
            read += 1;
        }
    }
    for kind in ["Note", "Article", "Page", "Video", "Event", "ChatMessage"] {
        assert!(types.iter().any(|t| t == kind), "no {kind} among the fixtures' statuses");
    }
    assert!(read >= 50, "only {read} statuses found");
}

#[test]
fn what_is_not_a_status_is_refused() {
    for (path, document) in fixtures() {
        let kind = type_of(&document);
        if !STATUS_TYPES.contains(&kind) {
            assert_eq!(read_note_json(&document), Err(ReadError::NotAStatus(kind.to_string())), "{}", path.display());
        }
    }
}

// Expected values below are copied from the fixture files, not from the reader's output.

#[test]
fn mastodon_create_note_field_by_field() {
    let create = fixture("mastodon/activities/create_note.json");
    let note = read_note_json(&create["object"]).unwrap();
    assert_eq!(note.id, "https://mastodon.madrid/users/felix/statuses/107224289116410645");
    assert_eq!(note.url.as_deref(), Some("https://mastodon.madrid/@felix/107224289116410645"));
    assert_eq!(note.attributed_to, "https://mastodon.madrid/users/felix");
    assert_eq!(note.in_reply_to.as_deref(), Some("https://mamot.fr/users/retiolus/statuses/107224244380204526"));
    assert_eq!(note.published.as_deref(), Some("2021-11-05T11:46:50Z"));
    assert_eq!(note.updated, None);
    assert_eq!(note.summary, "");
    assert!(!note.sensitive);
    assert_eq!(note.language.as_deref(), Some("en"));
    assert_eq!(note.to, ["https://mastodon.madrid/users/felix/followers"]);
    assert_eq!(note.cc, [PUBLIC, "https://mamot.fr/users/retiolus"]);
    assert_eq!(note.mentions, ["https://mamot.fr/users/retiolus"]);
    assert!(note.hashtags.is_empty() && note.attachments.is_empty());
    assert_eq!(note.type_name, "Note");
    assert!(note.content_html.contains("i have never been disappointed by a thinkpad"), "{}", note.content_html);
    assert!(note.content_html.contains(r#"href="https://mamot.fr/@retiolus""#), "{}", note.content_html);
    assert_eq!(
        audience_of(&note.to, &note.cc, Some("https://mastodon.madrid/users/felix/followers")),
        Audience::Unlisted
    );
}

#[test]
fn mastodon_note_with_media_field_by_field() {
    let note = read_note_json(&fixture("mastodon/objects/note_2.json")).unwrap();
    assert_eq!(note.id, "https://floss.social/users/kde/statuses/113306831140126616");
    assert_eq!(note.in_reply_to.as_deref(), Some("https://floss.social/users/kde/statuses/113306824627995724"));
    assert_eq!(note.mentions, ["https://lemmy.kde.social/c/kde"]);
    assert_eq!(
        note.attachments,
        [RemoteAttachment {
            url: "https://cdn.masto.host/floss/media_attachments/files/113/306/826/682/985/891/original/c8d906a2f2ab2334.jpg"
                .into(),
            media_type: Some("image/jpeg".into()),
            description: Some(
                "The KDE dragons Katie and Konqi stand on either side of a pot filling up with gold coins. Donate!".into()
            ),
            blurhash: Some("USQv:h-W-qI-^,W;RPs=^-R%NZxbo#sDobSc".into()),
            width: Some(1500),
            height: Some(1095),
            focus: Some((0.0, 0.0)),
        }]
    );
    assert_eq!(audience_of(&note.to, &note.cc, Some("https://floss.social/users/kde/followers")), Audience::Public);
}

#[test]
fn mastodon_hashtags_and_direct_messages() {
    let featured = fixture("mastodon/collections/featured.json");
    let note = read_note_json(&featured["orderedItems"][0]).unwrap();
    assert_eq!(note.hashtags, ["reddit", "fediverse", "activitypub"]);
    assert!(note.mentions.is_empty());
    assert_eq!(note.in_reply_to, None);

    let message = read_note_json(&fixture("mastodon/activities/private_message.json")).unwrap();
    assert_eq!(message.to, ["https://ds9.lemmy.ml/u/nutomic"]);
    assert!(message.cc.is_empty());
    assert_eq!(message.language.as_deref(), Some("es"));
    assert_eq!(
        audience_of(&message.to, &message.cc, Some("https://mastodon.world/users/nutomic/followers")),
        Audience::Direct
    );
}

#[test]
fn other_servers_statuses_as_mastodon_shows_them() {
    // PeerTube: title, Markdown description as text, link to the watch page; the Person, not the channel, is the author.
    let video = read_note_json(&fixture("peertube/objects/video.json")).unwrap();
    assert_eq!(video.type_name, "Video");
    assert_eq!(video.attributed_to, "https://tilvids.com/accounts/thelinuxexperiment");
    let watch = "https://tilvids.com/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1";
    assert_eq!(video.url.as_deref(), Some(watch));
    assert!(
        video.content_html.starts_with(
            "<p><strong>Mesa, Wayland &amp; X.org in trouble, Debian leaves X, Facebook blocks Linux: Linux &amp; Open Source News</strong></p><p>Head to https://squarespace.com/thelinuxexperiment"
        ),
        "{}",
        video.content_html
    );
    assert!(
        video
            .content_html
            .ends_with(&format!(r#"<p><a href="{watch}" rel="nofollow noopener noreferrer">{watch}</a></p>"#))
    );
    assert_eq!(video.language.as_deref(), Some("en"));
    assert_eq!(video.summary, "");

    // Lemmy: a post without `url` links to its id.
    let page = read_note_json(&fixture("lemmy/objects/page.json")).unwrap();
    assert!(
        page.content_html
            .starts_with("<p><strong>Post title</strong></p><p>This is a post in the /c/tenforward community</p>")
    );
    assert!(page.content_html.contains(r#"href="https://enterprise.lemmy.ml/post/55143""#), "{}", page.content_html);
    assert_eq!(page.language.as_deref(), Some("fr"));
    assert_eq!(page.mentions, ["https://enterprise.lemmy.ml/c/tenforward"]);
    // Its attachment is a Link with only an href: not media, left out.
    assert!(page.attachments.is_empty());

    // Mobilizon: hashtags, a banner, the language from inLanguage.
    let event = read_note_json(&fixture("mobilizon/objects/event.json")).unwrap();
    assert_eq!(event.hashtags, ["dance", "caledonian", "lesson"]);
    assert_eq!(event.attributed_to, "https://rendezvous.nomagic.uk/@devon_caledonian_society");
    assert_eq!(event.language.as_deref(), Some("en"));
    assert_eq!(event.attachments.len(), 1);
    assert_eq!(event.attachments[0].media_type.as_deref(), Some("image/jpeg"));
    assert_eq!(event.attachments[0].description.as_deref(), Some("Banner"));
    assert!(event.content_html.starts_with("<p><strong>Caledonian scottish dance class</strong></p><p>£6 each.</p>"));

    // WordPress: the summary is an excerpt, not a content warning.
    let article = read_note_json(&fixture("wordpress/objects/page.json")).unwrap();
    assert_eq!(article.summary, "");
    assert!(!article.sensitive);
    assert_eq!(article.hashtags, ["3dprinting", "ai", "boardgames", "genai", "lastlight"]);
    assert_eq!(article.attachments.len(), 4);

    // Lotide: a summary on a Note is a content warning, and makes it sensitive.
    let image = read_note_json(&fixture("lotide/activities/create_page_image.json")["object"]).unwrap();
    assert_eq!(image.summary, "image");
    assert!(image.sensitive);
    assert_eq!(image.attachments[0].url, "http://ltthostname.local:3334/api/stable/posts/46/href");
    // A Lotide page whose summary is its title shows the title once.
    let page = read_note_json(&fixture("lotide/objects/page.json")).unwrap();
    assert_eq!(page.content_html.matches("Grillin").count(), 1, "{}", page.content_html);
    assert_eq!(page.url.as_deref(), Some("https://www.youtube.com/watch?v=ZI4LGTXscR4"));

    // Pleroma: an empty summary and a null sensitive.
    let note = read_note_json(&fixture("pleroma/objects/note.json")).unwrap();
    assert_eq!((note.summary.as_str(), note.sensitive), ("", false));
    assert_eq!(note.content_html, "Have what?");
}

fn sample_tags() -> Vec<NoteTag> {
    vec![
        NoteTag { kind: TagKind::Mention, href: "https://r.example/users/bob".into(), name: "@bob@r.example".into() },
        NoteTag { kind: TagKind::Hashtag, href: "https://k.example/tags/rust".into(), name: "#Rust".into() },
    ]
}

fn sample_attachments() -> Vec<NoteAttachment> {
    vec![
        NoteAttachment {
            url: "https://k.example/media/1.png".into(),
            media_type: "image/png".into(),
            description: Some("A kererū & a tūī".into()),
            blurhash: Some("LEHV6nWB2yk8pyo0adR*.7kCMdnj".into()),
            width: Some(640),
            height: Some(480),
            focus: Some((-0.5, 0.25)),
        },
        NoteAttachment {
            url: "https://k.example/media/2.mp4".into(),
            media_type: "video/mp4".into(),
            description: None,
            blurhash: None,
            width: None,
            height: None,
            focus: None,
        },
    ]
}

const CONTENT: &str = r#"<p>Hi <span class="h-card"><a href="https://r.example/@bob" class="u-url mention">@<span>bob</span></a></span> <a href="https://k.example/tags/rust" class="mention hashtag" rel="tag">#<span>Rust</span></a> &amp; more</p><p>second<br>line</p>"#;
const ALICE: &str = "https://k.example/users/alice";
const FOLLOWERS: &str = "https://k.example/users/alice/followers";

#[test]
fn notes_read_back_as_they_were_written() {
    let mentioned = vec!["https://r.example/users/bob".to_string()];
    let (tags, attachments) = (sample_tags(), sample_attachments());
    for audience in Audience::ALL {
        for (summary, language, in_reply_to, updated) in [
            (None, None, None, None),
            (
                Some("spoilers & more"),
                Some("mi"),
                Some("https://r.example/users/bob/statuses/1"),
                Some("2026-11-25T10:00:00Z"),
            ),
        ] {
            let (to, cc) = addressing(audience, FOLLOWERS, &mentioned);
            let input = NoteInput {
                id: "https://k.example/users/alice/statuses/42",
                url: "https://k.example/@alice/42",
                attributed_to: ALICE,
                in_reply_to,
                published: "2026-11-25T09:00:00Z",
                updated,
                summary,
                sensitive: false,
                content_html: CONTENT,
                language,
                to: &to,
                cc: &cc,
                tags: &tags,
                attachments: &attachments,
            };
            let built = note(&input);
            assert!(built.get("@context").is_none());
            let create = create("https://k.example/users/alice/statuses/42/activity", ALICE, built.clone());
            assert_eq!(create["object"], built);
            for document in [&built, &create["object"]] {
                let read = read_note_json(document).unwrap();
                assert_eq!(read.id, input.id);
                assert_eq!(read.url.as_deref(), Some(input.url));
                assert_eq!(read.attributed_to, input.attributed_to);
                assert_eq!(read.in_reply_to.as_deref(), input.in_reply_to);
                assert_eq!(read.published.as_deref(), Some(input.published));
                assert_eq!(read.updated.as_deref(), input.updated);
                assert_eq!(read.summary, input.summary.unwrap_or(""));
                assert_eq!(read.sensitive, input.summary.is_some());
                assert_eq!(read.content_html, sanitize_html(CONTENT));
                assert_eq!(read.language.as_deref(), input.language);
                assert_eq!(read.to, to);
                assert_eq!(read.cc, cc);
                assert_eq!(read.mentions, ["https://r.example/users/bob"]);
                assert_eq!(read.hashtags, ["rust"]);
                assert_eq!(read.type_name, "Note");
                assert_eq!(read.attachments.len(), attachments.len());
                for (read, written) in read.attachments.iter().zip(&attachments) {
                    assert_eq!(read.url, written.url);
                    assert_eq!(read.media_type.as_deref(), Some(written.media_type.as_str()));
                    assert_eq!(read.description, written.description);
                    assert_eq!(read.blurhash, written.blurhash);
                    assert_eq!((read.width, read.height), (written.width, written.height));
                    assert_eq!(read.focus, written.focus);
                }
                assert_eq!(audience_of(&read.to, &read.cc, Some(FOLLOWERS)), audience);
            }
        }
    }
}

#[test]
fn addressing_is_mastodons_and_reads_back() {
    let bob = "https://r.example/users/bob".to_string();
    let carol = "https://s.example/users/carol".to_string();
    let mentioned = vec![bob.clone(), carol.clone(), bob.clone(), FOLLOWERS.to_string(), PUBLIC.to_string()];
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        addressing(Audience::Public, FOLLOWERS, &mentioned),
        (strings(&[PUBLIC]), strings(&[FOLLOWERS, &bob, &carol]))
    );
    assert_eq!(
        addressing(Audience::Unlisted, FOLLOWERS, &mentioned),
        (strings(&[FOLLOWERS]), strings(&[PUBLIC, &bob, &carol]))
    );
    assert_eq!(
        addressing(Audience::FollowersOnly, FOLLOWERS, &mentioned),
        (strings(&[FOLLOWERS]), strings(&[&bob, &carol]))
    );
    assert_eq!(addressing(Audience::Direct, FOLLOWERS, &mentioned), (strings(&[&bob, &carol]), vec![]));
    for audience in Audience::ALL {
        for mentions in [vec![], vec![bob.clone()], mentioned.clone()] {
            let (to, cc) = addressing(audience, FOLLOWERS, &mentions);
            assert_eq!(audience_of(&to, &cc, Some(FOLLOWERS)), audience, "{audience:?} {mentions:?}");
        }
    }
    // The compact forms of Public count; someone else's followers collection does not.
    assert_eq!(audience_of(&strings(&["as:Public"]), &[], None), Audience::Public);
    assert_eq!(audience_of(&[], &strings(&["Public"]), None), Audience::Unlisted);
    assert_eq!(audience_of(&strings(&["https://x.example/followers"]), &[], Some(FOLLOWERS)), Audience::Direct);
    assert_eq!(audience_of(&strings(&[FOLLOWERS]), &[], None), Audience::Direct);
}

#[test]
fn the_note_is_shaped_like_mastodons() {
    let (to, cc) = addressing(Audience::Public, FOLLOWERS, &[]);
    let input = NoteInput {
        id: "https://k.example/users/alice/statuses/1",
        url: "https://k.example/@alice/1",
        attributed_to: ALICE,
        in_reply_to: None,
        published: "2026-11-25T09:00:00Z",
        updated: None,
        summary: Some(""),
        sensitive: false,
        content_html: "<p>hi</p>",
        language: Some("en"),
        to: &to,
        cc: &cc,
        tags: &[],
        attachments: &sample_attachments()[..1],
    };
    let built = note(&input);
    assert_eq!(
        built,
        json!({
            "id": "https://k.example/users/alice/statuses/1",
            "type": "Note",
            "summary": null,
            "inReplyTo": null,
            "published": "2026-11-25T09:00:00Z",
            "url": "https://k.example/@alice/1",
            "attributedTo": ALICE,
            "to": [PUBLIC],
            "cc": [FOLLOWERS],
            "sensitive": false,
            "content": "<p>hi</p>",
            "contentMap": {"en": "<p>hi</p>"},
            "attachment": [{
                "type": "Document",
                "mediaType": "image/png",
                "url": "https://k.example/media/1.png",
                "name": "A kererū & a tūī",
                "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
                "focalPoint": [-0.5, 0.25],
                "width": 640,
                "height": 480,
            }],
            "tag": [],
        })
    );
    let create = create("https://k.example/users/alice/statuses/1/activity", ALICE, built);
    assert_eq!(create["@context"], context());
    assert_eq!(create["type"], "Create");
    assert_eq!(create["actor"], ALICE);
    assert_eq!((&create["to"], &create["cc"]), (&json!([PUBLIC]), &json!([FOLLOWERS])));
    assert_eq!(create["published"], "2026-11-25T09:00:00Z");
    assert!(matches!(classify(&create), Ok(Classified::Activity { kind: ActivityKind::Create, .. })));
}

fn without_context(mut document: Value) -> Value {
    if let Some(map) = document.as_object_mut() {
        map.remove("@context");
    }
    document
}

#[test]
fn follows_likes_and_undos_are_what_mastodon_sent() {
    // Rebuilt from the fixtures' own ids, they equal the fixtures (but for @context).
    let actor = "https://masto.asonix.dog/users/asonix";
    let follow_id = "https://masto.asonix.dog/1ea87517-63c5-4118-8831-460ee641b2cf";
    let followed = follow(follow_id, actor, "https://ds9.lemmy.ml/c/testcom");
    assert_eq!(without_context(followed.clone()), without_context(fixture("mastodon/activities/follow.json")));
    let undone = undo("https://masto.asonix.dog/users/asonix#follows/449/undo", actor, followed);
    assert_eq!(without_context(undone.clone()), without_context(fixture("mastodon/activities/undo_follow.json")));
    assert_eq!(undone["@context"], context());

    let felix = "https://mastodon.madrid/users/felix";
    let liked = like("https://mastodon.madrid/users/felix#likes/212341", felix, "https://ds9.lemmy.ml/post/147");
    let undone = undo("https://mastodon.madrid/users/felix#likes/212341/undo", felix, liked);
    assert_eq!(without_context(undone), without_context(fixture("mastodon/activities/undo_like_page.json")));

    let deleted = delete_note(
        "https://mastodon.madrid/users/felix/statuses/107773559874184870#delete",
        felix,
        "https://mastodon.madrid/users/felix/statuses/107773559874184870",
        &[PUBLIC.to_string()],
        &[],
    );
    let sent = fixture("mastodon/activities/delete.json");
    for key in ["id", "type", "actor", "to"] {
        assert_eq!(deleted[key], sent[key], "{key}");
    }
    assert_eq!(deleted["object"]["id"], sent["object"]["id"]);
    assert_eq!(deleted["object"]["type"], sent["object"]["type"]);

    let flagged = flag(
        "https://mastodon.example/ccb4f39a-506a-490e-9a8c-71831c7713a4",
        "https://mastodon.example/actor",
        &[
            "https://example.com/users/1".into(),
            "https://example.com/posts/380590".into(),
            "https://example.com/posts/380591".into(),
        ],
        "Please take a look at this user and their posts",
    );
    let sent = fixture("mastodon/activities/flag.json");
    for key in ["id", "type", "actor", "content", "object"] {
        assert_eq!(flagged[key], sent[key], "{key}");
    }
}

#[test]
fn accept_embeds_the_follow_and_keeps_its_terms() {
    let received = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1", {"x": "https://x.example/ns#"}],
        "id": "https://r.example/follows/1",
        "type": "Follow",
        "actor": "https://r.example/users/bob",
        "object": ALICE,
    });
    for (kind, activity) in [
        ("Accept", accept("https://k.example/users/alice#accepts/follows/1", ALICE, received.clone())),
        ("Reject", reject("https://k.example/users/alice#rejects/follows/1", ALICE, received.clone())),
    ] {
        assert_eq!(activity["type"], kind);
        assert_eq!(activity["actor"], ALICE);
        assert_eq!(activity["object"], without_context(received.clone()));
        let context = activity["@context"].as_array().unwrap();
        assert_eq!(context[0], "https://www.w3.org/ns/activitystreams");
        assert_eq!(context[1], "https://w3id.org/security/v1");
        assert_eq!(context[2], context_terms());
        assert_eq!(context[3], json!({"x": "https://x.example/ns#"}));
        assert_eq!(context.len(), 4);
        assert!(matches!(classify(&activity), Ok(Classified::Activity { .. })));
    }
}

fn context_terms() -> Value {
    context()[1].clone()
}

#[test]
fn context_has_mastodons_terms() {
    let context = context();
    assert_eq!(context[0], "https://www.w3.org/ns/activitystreams");
    let terms = &context[1];
    assert_eq!(terms["sensitive"], "as:sensitive");
    assert_eq!(terms["Hashtag"], "as:Hashtag");
    assert_eq!(terms["toot"], "http://joinmastodon.org/ns#");
    assert_eq!(terms["blurhash"], "toot:blurhash");
    assert_eq!(terms["votersCount"], "toot:votersCount");
    // As in the Mastodon fixture note_2.json.
    assert_eq!(terms["focalPoint"], json!({"@container": "@list", "@id": "toot:focalPoint"}));
}

#[test]
fn updates_of_notes_and_of_actors() {
    let (to, cc) = addressing(Audience::FollowersOnly, FOLLOWERS, &["https://r.example/users/bob".to_string()]);
    let input = NoteInput {
        id: "https://k.example/users/alice/statuses/1",
        url: "https://k.example/@alice/1",
        attributed_to: ALICE,
        in_reply_to: None,
        published: "2026-11-25T09:00:00Z",
        updated: Some("2026-11-25T09:30:00Z"),
        summary: None,
        sensitive: false,
        content_html: "<p>edited</p>",
        language: None,
        to: &to,
        cc: &cc,
        tags: &[],
        attachments: &[],
    };
    let updated = update("https://k.example/users/alice/statuses/1#updates/1", ALICE, note(&input));
    assert_eq!(updated["to"], json!(to));
    assert_eq!(updated["cc"], json!(cc));
    assert_eq!(updated["published"], "2026-11-25T09:30:00Z");
    assert_eq!(updated["object"]["type"], "Note");

    let urls = crate::TenantUrls::new(crate::Scheme::Https, crate::HostName::parse("k.example").unwrap(), None);
    let person = crate::actor::person(
        &urls,
        &crate::actor::LocalActor {
            username: "alice",
            display_name: "Alice",
            summary: "",
            locked: false,
            discoverable: true,
            published: "2026-11-25T00:00:00Z",
            public_key_pem: "PEM",
            avatar: None,
            header: None,
            fields: &[],
        },
    );
    let updated = update("https://k.example/users/alice#updates/2", ALICE, person.clone());
    assert_eq!(updated["to"], json!([PUBLIC]));
    assert!(updated.get("cc").is_none() && updated.get("published").is_none());
    assert!(updated["object"].get("@context").is_none());
    assert_eq!(updated["object"]["publicKey"], person["publicKey"]);
    // The Person's terms (security, toot:discoverable...) move up to the Update.
    let context = updated["@context"].as_array().unwrap();
    for entry in person["@context"].as_array().unwrap() {
        assert!(context.contains(entry), "{entry} missing from {context:?}");
    }
    assert!(matches!(classify(&updated), Ok(Classified::Activity { kind: ActivityKind::Update, .. })));
}

#[test]
fn the_other_activities() {
    let deleted = delete_actor(ALICE);
    assert_eq!(deleted["id"], "https://k.example/users/alice#delete");
    assert_eq!(
        (&deleted["type"], &deleted["actor"], &deleted["object"]),
        (&json!("Delete"), &json!(ALICE), &json!(ALICE))
    );
    assert_eq!(deleted["to"], json!([PUBLIC]));

    let (to, cc) = addressing(Audience::Public, FOLLOWERS, &[]);
    let boosted = announce(
        "https://k.example/users/alice/statuses/9/activity",
        ALICE,
        "https://r.example/users/bob/statuses/1",
        "2026-11-25T09:00:00Z",
        &to,
        &cc,
    );
    assert_eq!(boosted["type"], "Announce");
    assert_eq!(boosted["object"], "https://r.example/users/bob/statuses/1");
    assert_eq!(boosted["published"], "2026-11-25T09:00:00Z");
    assert_eq!((&boosted["to"], &boosted["cc"]), (&json!(to), &json!(cc)));
    // Undoing a boost keeps the boost's addressing.
    let unboosted = undo("https://k.example/users/alice/statuses/9#undo", ALICE, boosted.clone());
    assert_eq!(unboosted["object"], without_context(boosted));
    assert_eq!(unboosted["to"], json!(to));

    let blocked = block("https://k.example/blocks/1", ALICE, "https://r.example/users/bob");
    assert_eq!((&blocked["type"], &blocked["object"]), (&json!("Block"), &json!("https://r.example/users/bob")));
    let moved = move_actor("https://k.example/users/alice#moves/1", ALICE, "https://n.example/users/alice");
    assert_eq!((&moved["object"], &moved["target"]), (&json!(ALICE), &json!("https://n.example/users/alice")));

    for activity in
        [deleted, blocked, moved, follow("https://k.example/follows/1", ALICE, "https://r.example/users/bob")]
    {
        assert_eq!(activity["@context"], context());
        assert!(matches!(classify(&activity), Ok(Classified::Activity { .. })), "{activity}");
    }
}

#[test]
fn collections_and_pages() {
    let collection = ordered_collection(FOLLOWERS, 3, Some("https://k.example/users/alice/followers?page=1"), None);
    assert_eq!(collection["@context"], context());
    assert_eq!(collection["type"], "OrderedCollection");
    assert_eq!(collection["totalItems"], 3);
    assert_eq!(collection["first"], "https://k.example/users/alice/followers?page=1");
    assert!(collection.get("last").is_none());
    assert!(matches!(classify(&collection), Ok(Classified::Collection(_))));

    let item = create("https://k.example/users/alice/statuses/1/activity", ALICE, json!({"id": "x", "type": "Note"}));
    let page = ordered_collection_page(
        "https://k.example/users/alice/outbox?page=2",
        "https://k.example/users/alice/outbox",
        vec![item.clone(), json!("https://r.example/users/bob")],
        None,
        Some("https://k.example/users/alice/outbox?page=1"),
    );
    assert_eq!(page["@context"], context());
    assert_eq!(page["type"], "OrderedCollectionPage");
    assert_eq!(page["partOf"], "https://k.example/users/alice/outbox");
    assert_eq!(page["orderedItems"], json!([without_context(item), "https://r.example/users/bob"]));
    assert_eq!(page["prev"], "https://k.example/users/alice/outbox?page=1");
    assert!(page.get("next").is_none());
}

#[test]
fn hostile_statuses_are_defused() {
    let read = |document: Value| read_note_json(&document);
    let note = read(json!({
        "id": "https://e.example/1", "type": "Note", "attributedTo": "https://e.example/u",
        "summary": "<script>alert(1)</script><b>cw</b>",
        "content": "<p onclick=\"x()\" style=\"position:fixed\">hi<script>alert(1)</script><a href=\"javascript:alert(1)\">x</a><img src=\"https://e.example/x.png\" onerror=\"y()\"></p>",
    }))
    .unwrap();
    assert_sanitized(&note.content_html, "hostile note");
    assert_eq!(note.summary, "cw");
    assert!(note.sensitive);

    let article = read(json!({
        "id": "https://e.example/2", "type": "Article", "attributedTo": "https://e.example/u",
        "name": "<script>alert(1)</script>\"title\"",
        "url": "https://e.example/2?a=1&b=\"><script>",
        "content": "<iframe src=\"https://e.example\"></iframe>",
    }))
    .unwrap();
    assert_sanitized(&article.content_html, "hostile article");
    assert!(article.content_html.starts_with("<p><strong>&lt;script&gt;alert(1)&lt;/script&gt;\"title\"</strong></p>"));

    let question = read(json!({
        "id": "https://e.example/3", "type": "Question", "attributedTo": "https://e.example/u",
        "content": "<p>Which?</p>",
        "oneOf": [{"type": "Note", "name": "<b onmouseover=\"x()\">A</b>"}, {"type": "Note", "name": "B & C"}],
    }))
    .unwrap();
    assert_sanitized(&question.content_html, "hostile question");
    assert_eq!(
        question.content_html,
        "<p>Which?</p><ul><li>&lt;b onmouseover=\"x()\"&gt;A&lt;/b&gt;</li><li>B &amp; C</li></ul>"
    );
}

#[test]
fn questions_list_their_options() {
    let multiple = read_note_json(&json!({
        "id": "https://e.example/3", "type": "Question", "attributedTo": "https://e.example/u",
        "name": "not a title for a Question", "content": "<p>Pick any</p>",
        "anyOf": [{"type": "Note", "name": "tea", "replies": {"type": "Collection", "totalItems": 3}}, {"type": "Note", "name": "coffee"}],
    }))
    .unwrap();
    assert_eq!(multiple.content_html, "<p>Pick any</p><ul><li>tea</li><li>coffee</li></ul>");
    assert_eq!(multiple.type_name, "Question");
}

#[test]
fn authors_links_and_attachments_in_every_shape() {
    let base = json!({"id": "https://e.example/1", "type": "Video", "name": "v", "content": "c"});
    let with = |extra: Value| {
        let mut document = base.clone();
        document.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        read_note_json(&document)
    };
    // A channel listed before the person: the person is the author.
    let video = with(json!({"attributedTo": [
        {"type": "Group", "id": "https://e.example/c/channel"},
        {"type": "Person", "id": "https://e.example/a/person"},
    ]}))
    .unwrap();
    assert_eq!(video.attributed_to, "https://e.example/a/person");
    // Without a typed author, the first id.
    let video = with(json!({"attributedTo": ["https://e.example/c/channel", "https://e.example/a/person"]})).unwrap();
    assert_eq!(video.attributed_to, "https://e.example/c/channel");
    // Without attributedTo, the actor.
    assert_eq!(with(json!({"actor": "https://e.example/a/p"})).unwrap().attributed_to, "https://e.example/a/p");
    assert_eq!(with(json!({})), Err(ReadError::MissingAuthor));

    let author = json!({"attributedTo": "https://e.example/u"});
    let extra = |more: Value| {
        let mut fields = author.as_object().unwrap().clone();
        fields.extend(more.as_object().unwrap().clone());
        with(Value::Object(fields))
    };
    // url: a string, a Link, an array of Links whose first http(s) one wins.
    assert_eq!(extra(json!({"url": "https://e.example/p/1"})).unwrap().url.as_deref(), Some("https://e.example/p/1"));
    assert_eq!(
        extra(json!({"url": {"type": "Link", "href": "https://e.example/p/2"}})).unwrap().url.as_deref(),
        Some("https://e.example/p/2")
    );
    assert_eq!(
        extra(json!({"url": [{"type": "Link", "href": "magnet:?xt=1"}, {"type": "Link", "href": "https://e.example/p/3"}]}))
            .unwrap()
            .url
            .as_deref(),
        Some("https://e.example/p/3")
    );
    assert_eq!(extra(json!({"url": "ftp://e.example/p"})), Err(ReadError::BadUrl("ftp://e.example/p".into())));
    assert_eq!(
        extra(json!({"inReplyTo": "tag:e.example,2020:1"})),
        Err(ReadError::BadUrl("tag:e.example,2020:1".into()))
    );

    let attachments = extra(json!({"attachment": [
        {"type": "Document", "mediaType": "image/png"},
        {"type": "Document", "url": "javascript:alert(1)"},
        {"type": "Link", "href": "https://e.example/link"},
        {"type": "Document", "url": {"type": "Link", "href": "https://e.example/a.webm", "mediaType": "video/webm"}, "width": 10},
        {"type": "Image", "url": [{"type": "Link", "href": "data:x"}, {"type": "Link", "href": "https://e.example/b.jpg"}]},
        "https://e.example/c.mp3",
    ]}))
    .unwrap()
    .attachments;
    let urls: Vec<&str> = attachments.iter().map(|a| a.url.as_str()).collect();
    assert_eq!(urls, ["https://e.example/a.webm", "https://e.example/b.jpg", "https://e.example/c.mp3"]);
    assert_eq!(attachments[0].media_type.as_deref(), Some("video/webm"));
    assert_eq!(attachments[0].width, Some(10));
}

#[test]
fn ids_and_types_are_checked() {
    let author = "https://e.example/u";
    let read = |document: Value| read_note_json(&document);
    assert_eq!(read(json!({"type": "Note", "attributedTo": author})), Err(ReadError::MissingId));
    assert_eq!(
        read(json!({"id": "tag:e.example,1", "type": "Note", "attributedTo": author})),
        Err(ReadError::BadUrl("tag:e.example,1".into()))
    );
    assert_eq!(
        read(json!({"id": "https://e.example/1", "type": "Note", "attributedTo": "acct:u@e.example"})),
        Err(ReadError::BadUrl("acct:u@e.example".into()))
    );
    assert_eq!(
        read(json!({"id": "https://e.example/1", "type": "Person"})),
        Err(ReadError::NotAStatus("Person".into()))
    );
    assert_eq!(read(json!({"id": "https://e.example/1"})), Err(ReadError::NotAStatus(String::new())));
    assert!(matches!(read(json!([])), Err(ReadError::Malformed(_))));
    // A status type after another one still makes a status.
    let note =
        read(json!({"id": "https://e.example/1", "type": ["schema:Thing", "Note"], "attributedTo": author})).unwrap();
    assert_eq!(note.type_name, "Note");
}
