//! The provisioning API (issue 14): keys, the provider host, and a tenant's
//! life through it — create with an owner who activates from the mail,
//! list, show, update, suspend, activate, delete, restore, purge.

#![allow(clippy::unwrap_used)] // tests report failure by panicking

use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use kereru_core::HostName;
use kereru_service::provider::{keys, purge};
use kereru_store::{DomainId, domains, provisioning};
use kereru_tests::{Browser, TestApp, World};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PROVIDER: &str = "provider.test";

fn settings(grace_days: u32) -> kereru_web::WebSettings {
    let mut settings = TestApp::settings();
    settings.provider.host = Some(HostName::parse(PROVIDER).unwrap());
    settings.provider.deletion_grace_days = grace_days;
    settings
}

async fn world() -> World {
    World::new()
        .tenant("a.test")
        .user("a.test", "alice")
        .host(PROVIDER)
        .host("new.test")
        .host("social.new.test")
        .host("two.test")
        .settings(settings(30))
        .start()
        .await
}

async fn key(world: &World, name: &str, read_only: bool) -> String {
    let mut conn = world.pool.get().await.unwrap();
    keys::create(&mut conn, name, read_only).await.unwrap().1
}

/// A provider's HTTP client on one host.
struct Api<'a> {
    world: &'a World,
    host: &'a str,
    key: Option<String>,
}

impl Api<'_> {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let url = format!("http://{}/api/provider/v1{path}", self.host);
        let request = self.world.app.client().request(method, url);
        match &self.key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
}

async fn status_of(world: &World, host: &str, path: &str) -> StatusCode {
    world.app.client().get(format!("http://{host}{path}")).send().await.unwrap().status()
}

#[tokio::test]
async fn keys_are_checked_and_the_api_answers_on_the_provider_host_only() {
    let world = world().await;
    let writer = key(&world, "shop", false).await;
    let reader = key(&world, "billing", true).await;
    let api = |key: Option<&str>| Api { world: &world, host: PROVIDER, key: key.map(str::to_string) };

    let (status, body) = api(None).get("/tenants").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().unwrap().contains("API key"), "{body}");
    assert_eq!(api(Some("kereru_pk_not-a-real-key")).get("/tenants").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(api(Some("garbage")).get("/tenants").await.0, StatusCode::UNAUTHORIZED);
    // A tenant's OAuth token is no provider key.
    let alice = world.login("a.test", "alice").await;
    assert_eq!(api(Some(&alice.token)).get("/tenants").await.0, StatusCode::UNAUTHORIZED);

    let (status, body) = api(Some(&reader)).get("/tenants").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tenants"][0]["account_host"], "a.test");
    let (status, body) = api(Some(&reader)).post("/tenants", json!({ "account_host": "new.test" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a read-only key may not write: {body}");
    assert_eq!(api(Some(&reader)).post("/tenants/a.test/suspend", json!({})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(status_of(&world, "a.test", "/").await, StatusCode::OK, "nothing was suspended");
    assert_eq!(status_of(&world, "new.test", "/").await, StatusCode::NOT_FOUND, "nothing was created");

    // Revoked: 401 from then on.
    let mut conn = world.pool.get().await.unwrap();
    keys::revoke(&mut conn, "billing").await.unwrap();
    drop(conn);
    assert_eq!(api(Some(&reader)).get("/tenants").await.0, StatusCode::UNAUTHORIZED);

    // On a tenant's host the provider API does not exist, with or without a key.
    let on_tenant = Api { world: &world, host: "a.test", key: Some(writer.clone()) };
    assert_eq!(on_tenant.get("/tenants").await.0, StatusCode::NOT_FOUND);
    assert_eq!(on_tenant.get("/openapi.json").await.0, StatusCode::NOT_FOUND);
    assert_eq!(on_tenant.post("/tenants", json!({ "account_host": "new.test" })).await.0, StatusCode::NOT_FOUND);
    assert_eq!(status_of(&world, "new.test", "/").await, StatusCode::NOT_FOUND);
    // The provider host is no tenant: its other paths are nobody's site, and its document needs no key.
    assert_eq!(status_of(&world, PROVIDER, "/api/v1/instance").await, StatusCode::NOT_FOUND);
    let (status, document) = api(None).get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(api(Some(&writer)).get("/no/such/route").await.0, StatusCode::NOT_FOUND);
    world.stop().await;
}

#[tokio::test]
async fn bad_hosts_and_fields_are_refused_naming_the_field() {
    let world = world().await;
    let api = Api { world: &world, host: PROVIDER, key: Some(key(&world, "shop", false).await) };
    for (body, field) in [
        (json!({ "account_host": "192.0.2.7" }), "account_host"),
        (json!({ "account_host": "[::1]" }), "account_host"),
        (json!({ "account_host": "not a host" }), "account_host"),
        (json!({ "account_host": "a.test" }), "account_host"),
        (json!({ "account_host": PROVIDER }), "account_host"),
        (json!({ "account_host": "new.test", "service_host": "a.test" }), "service_host"),
        (json!({ "account_host": "new.test", "service_host": PROVIDER }), "service_host"),
        (json!({ "account_host": "new.test", "service_host": "new.test" }), "service_host"),
        (json!({ "account_host": "new.test", "owner_email": "not-an-address" }), "owner_email"),
        (json!({ "account_host": "new.test", "registrations": "sometimes" }), "registrations"),
        (json!({ "account_host": "new.test", "plan": "" }), "plan"),
        (
            json!({ "account_host": "new.test", "owner_email": "o@mail.test", "owner_username": "no way" }),
            "owner_username",
        ),
    ] {
        let (status, answer) = api.post("/tenants", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
    }
    // Nothing of any of them exists, not even half (the bad owner came after the tenant in the transaction).
    assert_eq!(status_of(&world, "new.test", "/").await, StatusCode::NOT_FOUND);
    let mut conn = world.pool.get().await.unwrap();
    assert!(domains::find_by_host(&mut conn, &HostName::parse("new.test").unwrap()).await.unwrap().is_none());
    drop(conn);
    let (status, answer) = api.post("/tenants", json!({ "account_host": "new.test", "colour": "red" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unknown fields are refused: {answer}");
    let (status, _) = api.call(reqwest::Method::POST, "/tenants", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(api.get("/tenants?state=sleeping").await.1["field"], "state");
    assert_eq!(api.get("/tenants?limit=0").await.1["field"], "limit");
    assert_eq!(api.get("/tenants/nowhere.test").await.0, StatusCode::NOT_FOUND);
    world.stop().await;
}

/// The activation link in the last mail the tenant `domain` queued to `to`.
async fn activation_link(world: &World, domain: DomainId, to: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Mail {
        #[diesel(sql_type = Text)]
        to_address: String,
        #[diesel(sql_type = Text)]
        body_text: String,
    }
    let mut conn = world.pool.get().await.unwrap();
    let mails: Vec<Mail> =
        diesel::sql_query("SELECT to_address, body_text FROM mail_outbox WHERE domain_id = $1 ORDER BY id DESC")
            .bind::<BigInt, _>(domain.0)
            .load(&mut conn)
            .await
            .unwrap();
    let mail = mails.iter().find(|m| m.to_address == to).unwrap_or_else(|| panic!("no mail to {to}"));
    let start = mail.body_text.find("/auth/password/edit?").unwrap_or_else(|| panic!("no link: {}", mail.body_text));
    mail.body_text[start..].split_whitespace().next().unwrap().to_string()
}

#[tokio::test]
async fn a_tenant_is_created_with_its_owner_and_goes_through_its_life() {
    let world = world().await;
    let api = Api { world: &world, host: PROVIDER, key: Some(key(&world, "shop", false).await) };
    // A plan is one the provider made: an unknown name is refused and creates nothing.
    let (status, refused) = api.post("/tenants", json!({ "account_host": "new.test", "plan": "starter" })).await;
    assert_eq!((status, refused["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("plan")), "{refused}");
    let (status, plan) = api.post("/plans", json!({ "name": "starter", "posts_per_day": 100 })).await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let (status, created) = api
        .post(
            "/tenants",
            json!({
                "account_host": "New.Test",
                "service_host": "social.new.test",
                "plan": "starter",
                "owner_email": "owner@mail.test",
                "registrations": "approval",
                "name": "New place",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["account_host"], "new.test");
    assert_eq!(created["service_host"], "social.new.test");
    assert_eq!(created["state"], "active");
    assert_eq!(created["plan"], "starter");
    assert_eq!(created["registrations"], "approval");
    assert_eq!(created["owner"], json!({ "username": "admin", "email": "owner@mail.test", "activated": false }));
    assert_eq!(created["hosts"].as_array().unwrap().len(), 2);
    assert!(created["hosts"][0]["tls"]["status"].is_string(), "{created}");
    assert_eq!(status_of(&world, "social.new.test", "/").await, StatusCode::OK, "serving at once");
    let id = DomainId(created["id"].as_str().unwrap().parse().unwrap());

    // The owner activates from the mail; before that, no password signs them in.
    let owner = Browser::new(&world.app, "social.new.test");
    let link = activation_link(&world, id, "owner@mail.test").await;
    let elsewhere = Browser::new(&world.app, "a.test");
    assert_eq!(elsewhere.get(&link).await.status, StatusCode::NOT_FOUND, "new.test's link is nothing on a.test");
    let token = link.split("reset_password_token=").nth(1).unwrap().to_string();
    let page = owner
        .submit(
            &link,
            "/auth/password/edit",
            &[
                ("reset_password_token", &token),
                ("password", "owner password 1"),
                ("password_confirmation", "owner password 1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let signed_in =
        owner.submit("/auth/sign_in", "/auth/sign_in", &[("login", "admin"), ("password", "owner password 1")]).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.body);
    assert_eq!(owner.get("/admin/settings").await.status, StatusCode::OK, "the owner is the tenant's admin");
    let (_, shown) = api.get("/tenants/new.test").await;
    assert_eq!(shown["owner"]["activated"], true);
    let (status, _) = api.post("/tenants/new.test/owner/resend", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing to resend once activated");

    // List: filters and pages.
    let (status, second) =
        api.post("/tenants", json!({ "account_host": "two.test", "owner_email": "two@mail.test" })).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(api.post("/tenants/two.test/owner/resend", json!({})).await.0, StatusCode::ACCEPTED);
    let two = DomainId(second["id"].as_str().unwrap().parse().unwrap());
    assert!(activation_link(&world, two, "two@mail.test").await.contains("reset_password_token="));
    let response = api.request(reqwest::Method::GET, "/tenants?limit=2").send().await.unwrap();
    let link = response.headers().get("link").unwrap().to_str().unwrap().to_string();
    let page: Value = response.json().await.unwrap();
    let hosts: Vec<&str> =
        page["tenants"].as_array().unwrap().iter().map(|t| t["account_host"].as_str().unwrap()).collect();
    assert_eq!(hosts, ["a.test", "new.test"]);
    assert!(link.contains("rel=\"next\"") && link.contains("cursor=new.test"), "{link}");
    let (_, rest) = api.get(&format!("/tenants?limit=2&cursor={}", page["next_cursor"].as_str().unwrap())).await;
    assert_eq!(rest["tenants"].as_array().unwrap().len(), 1);
    assert_eq!(rest["tenants"][0]["account_host"], "two.test");
    assert_eq!(rest["next_cursor"], Value::Null);
    let (_, prefixed) = api.get("/tenants?host_prefix=ne").await;
    assert_eq!(prefixed["tenants"].as_array().unwrap().len(), 1);

    // Update.
    let (status, updated) = api
        .call(
            reqwest::Method::PATCH,
            "/tenants/new.test",
            Some(json!({ "name": "Renamed", "description": "By the sea", "registrations": "open", "plan": null })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!((updated["name"].as_str(), updated["description"].as_str()), (Some("Renamed"), Some("By the sea")));
    assert_eq!((updated["registrations"].as_str(), updated["plan"].clone()), (Some("open"), Value::Null));
    let (status, answer) =
        api.call(reqwest::Method::PATCH, "/tenants/new.test", Some(json!({ "registrations": "maybe" }))).await;
    assert_eq!((status, answer["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("registrations")));

    // Suspend: both hosts answer 404; activate: back.
    let (status, suspended) = api.post("/tenants/new.test/suspend", json!({})).await;
    assert_eq!((status, suspended["state"].as_str()), (StatusCode::OK, Some("suspended")));
    assert_eq!(status_of(&world, "social.new.test", "/").await, StatusCode::NOT_FOUND);
    assert_eq!(
        status_of(&world, "new.test", "/.well-known/webfinger?resource=acct:admin@new.test").await,
        StatusCode::NOT_FOUND
    );
    let (_, listed) = api.get("/tenants?state=suspended").await;
    assert_eq!(listed["tenants"][0]["account_host"], "new.test");
    assert_eq!(api.post("/tenants/new.test/activate", json!({})).await.0, StatusCode::OK);
    assert_eq!(status_of(&world, "social.new.test", "/").await, StatusCode::OK);

    // Delete: suspended and marked; not purged within the grace period; restored.
    let (status, deleted) = api.call(reqwest::Method::DELETE, "/tenants/new.test", None).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!((deleted["state"].as_str(), deleted["deleted"].as_bool()), (Some("suspended"), Some(true)));
    let purge_after = chrono::DateTime::parse_from_rfc3339(deleted["purge_after"].as_str().unwrap()).unwrap();
    assert!(purge_after > chrono::Utc::now() + chrono::Duration::days(29), "{purge_after}");
    assert_eq!(status_of(&world, "social.new.test", "/").await, StatusCode::NOT_FOUND);
    assert_eq!(
        api.post("/tenants/new.test/activate", json!({})).await.0,
        StatusCode::CONFLICT,
        "restore, not activate"
    );
    let mut conn = world.pool.get().await.unwrap();
    assert!(purge::due(&mut conn, None).await.unwrap().is_empty(), "kept during the grace period");
    drop(conn);
    let (status, restored) = api.post("/tenants/new.test/restore", json!({})).await;
    assert_eq!(
        (status, restored["state"].as_str(), restored["deleted"].as_bool()),
        (StatusCode::OK, Some("active"), Some(false))
    );
    assert_eq!(status_of(&world, "social.new.test", "/").await, StatusCode::OK);
    assert_eq!(api.post("/tenants/new.test/restore", json!({})).await.0, StatusCode::CONFLICT);

    // Deleted again, and the grace period over (set by hand): the purge removes it and all its data.
    assert_eq!(api.call(reqwest::Method::DELETE, "/tenants/new.test", None).await.0, StatusCode::OK);
    let mut conn = world.pool.get().await.unwrap();
    provisioning::mark_deleted(&mut conn, id, chrono::Utc::now() - chrono::Duration::seconds(1), "active")
        .await
        .unwrap();
    let purged = purge::due(&mut conn, None).await.unwrap();
    assert_eq!(purged.iter().map(|p| p.account_host.as_str()).collect::<Vec<_>>(), ["new.test"]);
    assert!(domains::find_by_host(&mut conn, &HostName::parse("social.new.test").unwrap()).await.unwrap().is_none());
    assert!(kereru_store::accounts::find_local(&mut conn, id, "admin").await.unwrap().is_none());
    // Every act is in the host-wide audit log under the key's name.
    let log = kereru_store::admin_actions::list(&mut conn, kereru_store::admin_actions::LogScope::HostWide, None, 50)
        .await
        .unwrap();
    let acts: Vec<(&str, &str)> = log.iter().map(|a| (a.action.as_str(), a.actor_label.as_str())).collect();
    for action in
        ["create_tenant", "update_tenant", "suspend_tenant", "activate_tenant", "delete_tenant", "restore_tenant"]
    {
        assert!(acts.contains(&(action, "provider key shop")), "{action} missing from {acts:?}");
    }
    assert!(acts.contains(&("purge_tenant", "deletion grace period")), "{acts:?}");
    drop(conn);
    assert_eq!(api.get("/tenants/new.test").await.0, StatusCode::NOT_FOUND);
    // The other tenants were not touched.
    assert_eq!(status_of(&world, "a.test", "/").await, StatusCode::OK);
    assert_eq!(api.get("/tenants/two.test").await.1["state"], "active");
    world.stop().await;
}

#[test]
fn every_provider_route_is_in_the_openapi_document_and_nothing_else() {
    let document: Value = serde_json::from_str(kereru_web::provider::openapi::DOCUMENT).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    let routes = kereru_web::provider::all_routes();
    for (method, path) in &routes {
        let operation =
            &paths.get(*path).unwrap_or_else(|| panic!("{path} is not in the document"))[method.to_lowercase()];
        assert!(operation.is_object(), "{method} {path} is not in the document");
        assert!(operation["responses"].is_object(), "{method} {path} has no responses");
    }
    for (path, operations) in paths {
        for method in operations.as_object().unwrap().keys().filter(|k| *k != "parameters") {
            let listed = routes.iter().any(|(m, p)| m.eq_ignore_ascii_case(method) && p == path);
            assert!(listed, "the document has {method} {path}, which no route registers");
        }
    }
}
