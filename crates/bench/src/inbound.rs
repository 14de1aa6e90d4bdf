//! `kereru-bench inbound`: how many signed activities per second the inbox
//! accepts (verified, stored, answered 202) and the processor turns into
//! statuses on a tenant.
//!
//! S remote senders (`sender-{j}.test`, each with its own RSA key, actor
//! documents served by a loopback stand-in) and alice on home.test first
//! follow each other (Follow, follow back, Accept); then they post N Create(Note) activities, 64 at a time, to
//! the shared inbox of a real in-process Kererū app, each signed as its
//! sender (signing happens in this process too, as a remote server would
//! do it). Not a test: it prints figures, ending with one machine-readable line.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_core::Scheme;
use kereru_core::keys::generate_rsa_keypair;
use kereru_core::signatures::Signer;
use kereru_delivery::http::{FetchSettings, Fetcher};
use kereru_service::federation::inbound::worker::{InboundSettings, InboundWorker};
use kereru_store::schema::inbound_activities;
use kereru_tests::TestApp;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const IN_FLIGHT: usize = 64;

/// Serves `sender-{j}.test/users/s{j}` actor documents.
async fn senders_server(
    documents: Arc<HashMap<String, String>>,
) -> anyhow::Result<(std::net::SocketAddr, actix_web::dev::ServerHandle)> {
    let server = HttpServer::new(move || {
        let documents = Arc::clone(&documents);
        App::new().default_service(web::to(move |req: HttpRequest| {
            let host = req.connection_info().host().split(':').next().unwrap_or_default().to_string();
            let found = documents.get(&format!("{host}{}", req.path())).cloned();
            async move {
                match found {
                    Some(doc) => HttpResponse::Ok().content_type("application/activity+json").body(doc),
                    None => HttpResponse::NotFound().finish(),
                }
            }
        }))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")?;
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok((addr, handle))
}

async fn count_state(pool: &kereru_store::Pool, state: &str) -> anyhow::Result<i64> {
    let mut conn = pool.get().await?;
    Ok(inbound_activities::table.filter(inbound_activities::state.eq(state)).count().get_result(&mut conn).await?)
}

/// Posts every activity (sender index, body) to `inbox`, `IN_FLIGHT` at a time; returns how many got 202.
async fn post_all(fetcher: &Arc<Fetcher>, inbox: &str, signers: &[Arc<Signer>], bodies: Vec<(usize, String)>) -> usize {
    let mut accepted = 0;
    let mut tasks = tokio::task::JoinSet::new();
    for (sender, body) in bodies {
        while tasks.len() >= IN_FLIGHT {
            if let Some(Ok(true)) = tasks.join_next().await {
                accepted += 1;
            }
        }
        let fetcher = Arc::clone(fetcher);
        let signer = Arc::clone(&signers[sender]);
        let inbox = inbox.to_string();
        tasks.spawn(async move {
            matches!(fetcher.post_activity(&inbox, Arc::from(body.as_str()), signer).await, Ok(p) if p.status == 202)
        });
    }
    while let Some(result) = tasks.join_next().await {
        if let Ok(true) = result {
            accepted += 1;
        }
    }
    accepted
}

pub async fn inbound(n: usize, senders: usize) -> anyhow::Result<()> {
    anyhow::ensure!(n > 0 && senders > 0, "--activities and --senders must be at least 1");
    let db = kereru_tests::fresh_database().await;
    let pool = db.pool();
    crate::home_and_alice(&mut *pool.get().await?).await?;
    println!("generating {senders} sender keys...");
    let mut documents = HashMap::new();
    let mut signers = Vec::with_capacity(senders);
    let mut actors = Vec::with_capacity(senders);
    for j in 0..senders {
        let pair = generate_rsa_keypair(2048)?;
        let host = format!("sender-{j}.test");
        let id = format!("http://{host}/users/s{j}");
        documents.insert(
            format!("{host}/users/s{j}"),
            json!({"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                   "id": id, "type": "Person", "preferredUsername": format!("s{j}"),
                   "inbox": format!("{id}/inbox"), "endpoints": {"sharedInbox": format!("http://{host}/inbox")},
                   "followers": format!("{id}/followers"),
                   "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pair.public_pem}})
            .to_string(),
        );
        signers.push(Arc::new(Signer::from_rsa_pkcs8_der(format!("{id}#main-key"), &pair.private_pkcs8_der)?));
        actors.push(id);
    }
    let (senders_addr, senders_handle) = senders_server(Arc::new(documents)).await?;
    let mut settings = TestApp::settings();
    for j in 0..senders {
        settings.fetch.resolve.insert(format!("sender-{j}.test"), senders_addr);
    }
    let processor_fetcher = Arc::new(Fetcher::new(&settings.fetch)?);
    let app = TestApp::start_with(db, &["home.test"], settings).await;
    let worker = InboundWorker::new(
        pool.clone(),
        processor_fetcher,
        Scheme::Http,
        InboundSettings { batch: 256, ..Default::default() },
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker_task = tokio::spawn(Arc::clone(&worker).run(async move {
        let _ = stopped.await;
    }));
    let mut resolve = HashMap::new();
    resolve.insert("home.test".to_string(), app.addr);
    let client = Arc::new(Fetcher::new(&FetchSettings {
        allow_private_addresses: true,
        system_dns: false,
        resolve,
        ..FetchSettings::default()
    })?);
    let inbox = "http://home.test/inbox";
    let alice = "http://home.test/users/alice";

    // Every sender follows alice, so their posts concern home.test.
    let follows: Vec<(usize, String)> = (0..senders)
        .map(|j| {
            let actor = &actors[j];
            (
                j,
                json!({"id": format!("{actor}#follows/1"), "type": "Follow", "actor": actor, "object": alice})
                    .to_string(),
            )
        })
        .collect();
    let followed = post_all(&client, inbox, &signers, follows).await;
    anyhow::ensure!(followed == senders, "{followed} of {senders} follows accepted");
    let deadline = Instant::now() + Duration::from_secs(120);
    while count_state(&pool, "done").await? < senders as i64 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "follows not processed in 120 s: {} done, {} queued, {} failed, {} ignored",
            count_state(&pool, "done").await?,
            count_state(&pool, "queued").await?,
            count_state(&pool, "failed").await?,
            count_state(&pool, "ignored").await?
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Alice follows them back (through the service layer, as the client API would); they accept.
    {
        let mut conn = pool.get().await?;
        let tenant =
            kereru_store::domains::require_by_host(&mut conn, &kereru_core::HostName::parse("home.test")?).await?;
        let me = kereru_store::accounts::find_local(&mut conn, tenant.id, "alice")
            .await?
            .ok_or_else(|| anyhow::anyhow!("alice is missing"))?;
        let actor = kereru_service::Actor { tenant: &tenant, account: &me, scheme: Scheme::Http };
        for id in &actors {
            let (sender, _) = kereru_service::federation::actors::cached(&mut conn, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{id} is unknown"))?;
            kereru_service::follows::follow(&mut conn, &actor, sender.id, true, false).await?;
        }
    }
    let accepts: Vec<(usize, String)> = (0..senders)
        .map(|j| {
            let actor = &actors[j];
            (
                j,
                json!({"id": format!("{actor}#accepts/1"), "type": "Accept", "actor": actor,
                       "object": {"type": "Follow", "actor": alice, "object": actor}})
                .to_string(),
            )
        })
        .collect();
    let accepted = post_all(&client, inbox, &signers, accepts).await;
    anyhow::ensure!(accepted == senders, "{accepted} of {senders} accepts accepted");
    let deadline = Instant::now() + Duration::from_secs(120);
    while count_state(&pool, "done").await? < 2 * senders as i64 {
        anyhow::ensure!(Instant::now() < deadline, "accepts not processed in 120 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let creates: Vec<(usize, String)> = (0..n)
        .map(|i| {
            let j = i % senders;
            let actor = &actors[j];
            let note = format!("{actor}/statuses/{i}");
            (
                j,
                json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{note}/activity"),
                       "type": "Create", "actor": actor, "to": ["https://www.w3.org/ns/activitystreams#Public"],
                       "cc": [format!("{actor}/followers")],
                       "object": {"id": note, "type": "Note", "attributedTo": actor,
                                  "content": format!("<p>note {i} from <b>s{j}</b></p>"),
                                  "to": ["https://www.w3.org/ns/activitystreams#Public"],
                                  "cc": [format!("{actor}/followers")]}})
                .to_string(),
            )
        })
        .collect();
    let cpu_before = crate::cpu_seconds();
    let started = Instant::now();
    let accepted = post_all(&client, inbox, &signers, creates).await;
    let accepted_in = started.elapsed().as_secs_f64();
    let deadline = Instant::now() + Duration::from_secs(600);
    let target = (2 * senders + n) as i64;
    let mut processed;
    loop {
        processed = count_state(&pool, "done").await?;
        let unfinished = count_state(&pool, "queued").await?;
        if processed >= target || unfinished == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let processed_in = started.elapsed().as_secs_f64();
    let cpu = crate::cpu_seconds() - cpu_before;
    // Counted again: the last rows may have finished between the two counts above,
    // which once made a run report 1998 of 2000 with nothing left unfinished.
    let processed = count_state(&pool, "done").await?.max(processed);
    let processed = (processed - 2 * senders as i64).max(0);
    let failed = count_state(&pool, "failed").await? + count_state(&pool, "ignored").await?;
    // Why any activity did not end done: a figure short of the total should come with its reason.
    let unfinished: Vec<(String, Option<String>)> = {
        let mut conn = pool.get().await?;
        inbound_activities::table
            .filter(inbound_activities::state.ne("done"))
            .select((inbound_activities::state, inbound_activities::outcome))
            .limit(5)
            .load(&mut conn)
            .await?
    };
    let _ = stop.send(());
    let _ = worker_task.await;
    println!("activities         {n} Create(Note) from {senders} senders, {IN_FLIGHT} in flight, to one shared inbox");
    println!(
        "accepted           {accepted} answered 202 in {accepted_in:.3} s ({:.1}/s, verified and stored)",
        accepted as f64 / accepted_in.max(f64::EPSILON)
    );
    println!(
        "processed          {processed} statuses stored by {processed_in:.3} s ({:.1}/s)",
        processed as f64 / processed_in.max(f64::EPSILON)
    );
    println!("not done           {failed} failed or ignored");
    for (state, outcome) in &unfinished {
        println!("  {state}: {}", outcome.as_deref().unwrap_or("(no outcome yet)"));
    }
    println!(
        "CPU per activity   {:.3} ms (whole process: signing as the senders, verifying, storing, processing)",
        cpu * 1000.0 / n as f64
    );
    println!(
        "inbound activities={n} accepted={accepted} processed={processed} accept_s={accepted_in:.3} wall_s={processed_in:.3} per_s={:.1}",
        processed as f64 / processed_in.max(f64::EPSILON)
    );
    app.stop().await;
    senders_handle.stop(true).await;
    Ok(())
}
