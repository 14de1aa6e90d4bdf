//! Discovery on every tenant: WebFinger, actors, host-meta and NodeInfo,
//! served over real HTTP on loopback, each tenant seeing only itself.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::{World, fixture};
use reqwest::StatusCode;
use serde_json::Value;

const AP_ACCEPT: &str = "application/activity+json";
const LD_ACCEPT: &str = "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

async fn json(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

fn self_link(jrd: &Value) -> String {
    jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .and_then(|l| l["href"].as_str())
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn webfinger_resolves_only_on_its_own_tenant_and_self_dereferences_to_a_keyed_actor() {
    let app = World::new().tenant("a.test").tenant("b.test").user("a.test", "alice").start().await.app;
    let client = app.client();

    let response =
        client.get(app.url("a.test", "/.well-known/webfinger?resource=acct:alice@a.test")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/jrd+json"));
    let jrd = json(response).await;
    assert_eq!(jrd["subject"], "acct:alice@a.test");
    let actor_url = self_link(&jrd);
    assert_eq!(actor_url, "http://a.test/users/alice");

    // The same query on the other tenant knows no alice.
    let response =
        client.get(app.url("b.test", "/.well-known/webfinger?resource=acct:alice@a.test")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(json(response).await["error"].is_string());
    let response =
        client.get(app.url("b.test", "/.well-known/webfinger?resource=acct:alice@b.test")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // The self link dereferences (the client maps a.test to the app) to the actor.
    let response = client.get(&actor_url).header("Accept", AP_ACCEPT).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/activity+json"));
    let actor = json(response).await;
    assert_eq!(actor["id"], actor_url);
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["preferredUsername"], "alice");
    assert_eq!(actor["inbox"], "http://a.test/users/alice/inbox");
    assert_eq!(actor["endpoints"]["sharedInbox"], "http://a.test/inbox");
    assert_eq!(actor["publicKey"]["owner"], actor_url);
    assert!(actor.get("webfinger").is_none());
    let pem = actor["publicKey"]["publicKeyPem"].as_str().unwrap();
    let key = <rsa::RsaPublicKey as rsa::pkcs8::DecodePublicKey>::from_public_key_pem(pem).expect("a valid SPKI PEM");
    assert_eq!(rsa::traits::PublicKeyParts::size(&key), 256, "RSA-2048");

    // alice is not an actor on b.test.
    let response = client.get(app.url("b.test", "/users/alice")).header("Accept", AP_ACCEPT).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn the_same_username_on_two_tenants_is_two_people() {
    let app =
        World::new().tenant("a.test").tenant("b.test").user("a.test", "sam").user("b.test", "Sam").start().await.app;
    let client = app.client();
    let on_a =
        json(client.get(app.url("a.test", "/users/sam")).header("Accept", LD_ACCEPT).send().await.unwrap()).await;
    let on_b =
        json(client.get(app.url("b.test", "/users/sam")).header("Accept", LD_ACCEPT).send().await.unwrap()).await;
    assert_eq!(on_a["id"], "http://a.test/users/sam");
    assert_eq!(on_b["id"], "http://b.test/users/Sam");
    assert_ne!(on_a["publicKey"]["publicKeyPem"], on_b["publicKey"]["publicKeyPem"]);
    app.stop().await;
}

#[tokio::test]
async fn webfinger_accepts_actor_urls_and_refuses_malformed_resources() {
    let app = World::new().tenant("a.test").user("a.test", "alice").start().await.app;
    let client = app.client();
    let get = |query: &str| client.get(app.url("a.test", &format!("/.well-known/webfinger{query}"))).send();

    for query in ["?resource=http://a.test/users/alice", "?resource=acct:ALICE@a.test", "?resource=alice@a.test"] {
        let response = get(query).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        assert_eq!(json(response).await["subject"], "acct:alice@a.test", "{query}");
    }
    for query in
        ["", "?resource=", "?resource=acct:alice", "?resource=acct:al%20ice@a.test", "?resource=mailto:x@a.test"]
    {
        let response = get(query).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(json(response).await["error"].as_str().is_some_and(|e| !e.is_empty()), "{query}");
    }
    assert_eq!(get("?resource=acct:bob@a.test").await.unwrap().status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn a_service_host_carries_the_actors_while_handles_stay_on_the_account_host() {
    let app = World::new()
        .tenant_with_service_host("example.test", "social.example.test")
        .user("example.test", "eve")
        .start()
        .await
        .app;
    let client = app.client();

    for host in ["example.test", "social.example.test"] {
        for resource in ["acct:eve@example.test", "acct:eve@social.example.test"] {
            let response =
                client.get(app.url(host, &format!("/.well-known/webfinger?resource={resource}"))).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{host} {resource}");
            let jrd = json(response).await;
            assert_eq!(jrd["subject"], "acct:eve@example.test");
            assert_eq!(self_link(&jrd), "http://social.example.test/users/eve");
        }
    }
    let actor =
        json(client.get("http://social.example.test/users/eve").header("Accept", AP_ACCEPT).send().await.unwrap())
            .await;
    assert_eq!(actor["id"], "http://social.example.test/users/eve");
    assert_eq!(actor["webfinger"], "eve@example.test");
    assert!(
        actor["@context"].as_array().unwrap().contains(&Value::from("https://purl.archive.org/socialweb/webfinger"))
    );
    app.stop().await;
}

#[tokio::test]
async fn nodeinfo_validates_against_its_schemas_and_counts_only_its_own_tenant() {
    let app = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "one")
        .user("a.test", "two")
        .user("b.test", "three")
        .start()
        .await
        .app;
    let client = app.client();

    for (host, users) in [("a.test", 2), ("b.test", 1)] {
        let links = json(client.get(app.url(host, "/.well-known/nodeinfo")).send().await.unwrap()).await;
        let links = links["links"].as_array().unwrap();
        assert_eq!(links.len(), 2);
        for version in ["2.0", "2.1"] {
            let link = links
                .iter()
                .find(|l| l["rel"] == format!("http://nodeinfo.diaspora.software/ns/schema/{version}"))
                .unwrap();
            let href = link["href"].as_str().unwrap();
            assert_eq!(href, format!("http://{host}/nodeinfo/{version}"));
            let doc = json(client.get(href).send().await.unwrap()).await;
            let schema = fixture(&format!("nodeinfo/{version}/schema.json"));
            let validator = jsonschema::validator_for(&schema).unwrap();
            let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{host} nodeinfo {version}: {errors:?}\n{doc}");
            assert_eq!(doc["usage"]["users"]["total"], users, "{host} {version}");
            assert_eq!(doc["usage"]["users"]["activeMonth"], users, "{host} {version}");
        }
    }
    assert_eq!(client.get(app.url("a.test", "/nodeinfo/9.9")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn host_meta_points_at_webfinger_on_the_host_asked() {
    let app = World::new().tenant_with_service_host("example.test", "social.example.test").start().await.app;
    let client = app.client();
    for host in ["example.test", "social.example.test"] {
        let response = client.get(app.url(host, "/.well-known/host-meta")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/xrd+xml"));
        let body = response.text().await.unwrap();
        let want = format!("template=\"http://{host}/.well-known/webfinger?resource={{uri}}\"");
        assert!(body.contains(&want), "{body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn browsers_get_an_html_profile_and_servers_get_json_from_the_same_url() {
    let app = World::new().tenant("a.test").user("a.test", "alice").start().await.app;
    let client = app.client();
    for path in ["/users/alice", "/@alice"] {
        let response = client.get(app.url("a.test", path)).header("Accept", "text/html").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        // Tera escapes `/` in attributes as `&#x2F;`, which browsers decode.
        let html = response.text().await.unwrap().replace("&#x2F;", "/");
        assert!(html.contains("@alice@a.test"), "{html}");
        assert!(html.contains("href=\"http://a.test/users/alice\""), "{html}");
    }
    let response = client.get(app.url("a.test", "/@nobody")).header("Accept", "text/html").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("<html"));
    app.stop().await;
}
