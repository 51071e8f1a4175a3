//! `osez serve`: listen at once (so that `/healthz` can say "starting"),
//! prepare the store and the index, then announce the address.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use osez_core::Geography;
use osez_mail::{MailConfig, Mailer};
use osez_web::{AppState, Directory, Secrets, WebConfig};
use osez_web::{hex, unhex};

use crate::DataArgs;
use crate::directory::{open_library, open_versioned_engine, prepare_store};

pub struct ServeConfig {
    pub data: DataArgs,
    pub addr: SocketAddr,
    pub load_demo: bool,
    pub web: WebConfig,
    pub contact: crate::ContactArgs,
    /// How often to look for directory changes made by another process (an
    /// import, another node); `None` never looks.
    pub reload_every: Option<Duration>,
    /// Audit entries older than this many days are deleted.
    pub audit_retention_days: u32,
    /// The assistant's local embedding model, if any.
    pub embeddings_model: Option<std::path::PathBuf>,
}

pub async fn run(config: ServeConfig) -> anyhow::Result<()> {
    let started = Instant::now();
    // Bad mail settings stop the start, before anything listens. Mail
    // carries links (password reset, data requests) that must be absolute,
    // and the site never takes its own address from a request.
    if config.contact.smtp_url.is_some() && config.web.public_url.is_none() {
        anyhow::bail!(
            "--smtp-url demande --public-url : les liens envoyés par e-mail doivent porter l'adresse publique \
             du site (par exemple --public-url https://osez.exemple.fr)"
        );
    }
    let mailer = Mailer::new(MailConfig {
        smtp_url: config.contact.smtp_url.clone(),
        from: config.contact.mail_from.clone(),
        retry_base: Duration::from_secs(config.contact.mail_retry_secs.max(1)),
        lease: Duration::from_secs(config.contact.mail_lease_secs.max(1)),
        send_timeout: Duration::from_secs(config.contact.mail_timeout_secs),
        connections: usize::from(config.contact.mail_connections),
        ..MailConfig::default()
    })
    .context("mail settings")?;
    // A model file that is missing or not the expected one stops the start
    // with a clear message (its digest is checked before the engine reads
    // it).
    let embeddings = match config.embeddings_model.clone() {
        Some(path) => Some(
            tokio::task::spawn_blocking(move || osez_embed::Model::load(&path))
                .await
                .context("loading the embedding model")??,
        ),
        None => None,
    };
    let geo = Arc::new(Geography::embedded().context("embedded geography")?);
    let state = AppState::new(geo.clone(), config.web.clone());
    if let Some(model) = embeddings {
        // Embedding the labelled requests and training the classifier take
        // seconds: the assistant reads with its rules until they are done.
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            let at = Instant::now();
            let embedder: Arc<dyn osez_assistant::semantic::Embedder> = Arc::new(model);
            match osez_assistant::semantic::Semantic::new(embedder, osez_assistant::eval::EXEMPLARS) {
                Ok(semantic) => {
                    tracing::info!(
                        requests = semantic.exemplars(),
                        ms = at.elapsed().as_millis() as u64,
                        "assistant: embedding model ready"
                    );
                    state.set_semantic(Arc::new(semantic));
                }
                Err(e) => tracing::error!(error = %e, "assistant: the labelled requests do not read; rules only"),
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(osez_web::serve(listener, state.clone(), shutdown_signal()));

    let prepared = async {
        let store = prepare_store(&config.data, config.load_demo, &geo).await?;
        let secrets = load_secrets(&store).await?;
        let (engine, version) = open_versioned_engine(&config.data, &store, geo.clone()).await?;
        let library = open_library(&store).await?;
        anyhow::Ok((store, secrets, engine, version, library))
    };
    // A signal during start-up stops the server; stop preparing too.
    let (store, secrets, engine, version, library) = tokio::select! {
        prepared = prepared => prepared?,
        _ = shutdown_signal() => return Ok(()),
    };
    state.set_ready(store.clone(), secrets, Directory::new(engine));
    if let Some(ready) = state.ready() {
        ready.replace_library(library);
    }
    let node = node_name();
    let janitor = state.clone();
    let (jobs, name) = (store.clone(), node.clone());
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(60));
        loop {
            ticks.tick().await;
            janitor.forget_idle_clients();
            // The counters of the shared limits, by one node a minute.
            let now = osez_web::now_ms();
            if let Ok(true) = jobs.claim_job("limit_counters", &name, now, 60_000).await
                && let Err(e) = jobs.purge_limit_counters(now).await
            {
                tracing::warn!(error = %e, "limit counters purge failed; will try again");
            }
        }
    });
    match mailer {
        Some(mailer) => {
            tokio::spawn(mailer.run(store.clone(), state.mail_wake.clone()));
        }
        None => {
            tracing::warn!(target: "osez::mail", "no SMTP server configured (--smtp-url): mail waits in the outbox")
        }
    }
    tokio::spawn(retention(
        store.clone(),
        node.clone(),
        config.contact.retention_days,
        config.contact.assistant_retention_days,
        config.audit_retention_days,
    ));
    tokio::spawn(publish_due(state.clone(), node));
    listen_changes(state.clone()).await;
    tokio::spawn(follow_directory(state.clone(), config.data.clone(), geo.clone(), version, config.reload_every));
    tracing::info!(took_ms = started.elapsed().as_millis() as u64, "ready");
    println!("listening on http://{addr}");

    server.await.context("server task failed")?.context("server failed")?;
    if let Some(ready) = state.ready() {
        ready.votes.close().await;
        ready.zero_results.close().await;
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The key that signs form tokens: made once, kept in the database, so
/// that every node of a PostgreSQL deployment shares it.
async fn load_secrets(store: &osez_store::Store) -> anyhow::Result<Secrets> {
    let fresh: [u8; 32] = rand::random();
    let stored = store.meta_or_insert("form_key", &hex(&fresh)).await?;
    let form_key: [u8; 32] = unhex(&stored)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow::anyhow!("the stored form key is corrupt"))?;
    Ok(Secrets { form_key })
}

/// This node's name in the record of the jobs it ran: its host and process.
fn node_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "osez".into());
    format!("{host}:{}", std::process::id())
}

/// Whether this node runs the job `name` now: one node of all does, every
/// `every` (see [`osez_store::Store::claim_job`]).
async fn claimed(store: &osez_store::Store, node: &str, name: &str, every: Duration) -> bool {
    match store.claim_job(name, node, osez_web::now_ms(), every.as_millis() as i64).await {
        Ok(won) => won,
        Err(e) => {
            tracing::warn!(error = %e, job = name, "cannot claim a job; will try again");
            false
        }
    }
}

/// The end of retention, at start and every hour, on one node: contact
/// messages older than `days` lose their personal data; searches without
/// results older than that, spent challenges and dead links go; audit
/// entries older than `audit_days` are deleted; the assistant's
/// conversations whose last message is older than `assistant_days` too.
async fn retention(store: osez_store::Store, node: String, days: u32, assistant_days: u32, audit_days: u32) {
    // Each node looks every minute; the one that finds the hour over runs it.
    let mut ticks = tokio::time::interval(Duration::from_secs(60));
    loop {
        ticks.tick().await;
        if !claimed(&store, &node, "retention", Duration::from_secs(3600)).await {
            continue;
        }
        let cutoff = osez_web::now_ms() - i64::from(days) * 86_400_000;
        match store.purge_before(cutoff).await {
            Ok(done) => {
                tracing::info!(
                    days,
                    messages = done.messages,
                    mails = done.mails,
                    searches = done.searches,
                    "retention purge"
                )
            }
            Err(e) => tracing::warn!(error = %e, "retention purge failed; will try again"),
        }
        match store.purge_claims_before(cutoff).await {
            Ok(claims) => tracing::info!(days, claims, "decided claims purge"),
            Err(e) => tracing::warn!(error = %e, "claims purge failed; will try again"),
        }
        let cutoff = osez_web::now_ms() - i64::from(assistant_days) * 86_400_000;
        match store.purge_conversations_before(cutoff).await {
            Ok(deleted) => tracing::info!(assistant_days, deleted, "assistant conversations purge"),
            Err(e) => tracing::warn!(error = %e, "assistant conversations purge failed; will try again"),
        }
        let cutoff = osez_web::now_ms() - i64::from(audit_days) * 86_400_000;
        match store.purge_audit_before(cutoff).await {
            Ok(deleted) => tracing::info!(audit_days, deleted, "audit log purge"),
            Err(e) => tracing::warn!(error = %e, "audit log purge failed; will try again"),
        }
    }
}

/// Publishes the scheduled resources whose time has come, every 30 s on
/// one node, and re-indexes them on this node at once (the others follow
/// the notification); then writes the webinars' reminders and replay links
/// that are due (each mail once, whichever node writes it).
async fn publish_due(state: Arc<AppState>, node: String) {
    let Some(ready) = state.ready() else { return };
    let mut ticks = tokio::time::interval(Duration::from_secs(10));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if !claimed(&ready.store, &node, "publication", Duration::from_secs(30)).await {
            continue;
        }
        match ready.store.publish_due_resources(osez_web::now_ms()).await {
            Ok(done) if !done.is_empty() => {
                tracing::info!(count = done.len(), "scheduled resources published");
                match open_library(&ready.store).await {
                    Ok(library) => ready.replace_library(library),
                    Err(e) => tracing::warn!(error = %e, "cannot re-index the resources; will try again"),
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "scheduled publication failed; will try again"),
        }
        // Reminders the day before, replay links after: each mail once.
        match osez_web::webinar_mails(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "webinar mails written to the outbox"),
            Err(e) => tracing::warn!(error = %e, "webinar mails failed; will try again"),
        }
    }
}

/// Wakes [`follow_directory`] when any node commits a change (PostgreSQL's
/// notifications), and when the listening connection comes back after a
/// loss, since changes may have been missed meanwhile.
async fn listen_changes(state: Arc<AppState>) {
    let Some(ready) = state.ready() else { return };
    match ready.store.listen_changes().await {
        Ok(Some(mut changes)) => {
            let state = state.clone();
            tokio::spawn(async move {
                let Some(ready) = state.ready() else { return };
                loop {
                    let heard = changes.next().await;
                    tracing::debug!(?heard, "change notification");
                    ready.directory_changed();
                }
            });
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(
            error = %e,
            "cannot listen to other nodes' changes: following them every --reload-secs only"
        ),
    }
}

/// Reloads the directory and the resources when their versions change in
/// the database: at once after a change made here or notified by another
/// node, and every `every` in any case (after `osez import` on SQLite, or a
/// notification lost).
async fn follow_directory(
    state: Arc<AppState>,
    data: DataArgs,
    geo: Arc<Geography>,
    mut version: i64,
    every: Option<Duration>,
) {
    let Some(ready) = state.ready() else { return };
    let mut ticks = every.map(|every| {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks
    });
    if let Some(ticks) = ticks.as_mut() {
        ticks.tick().await;
    }
    loop {
        let tick = async {
            match ticks.as_mut() {
                Some(t) => {
                    t.tick().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tick => {}
            _ = ready.wait_directory_changed() => {}
        }
        follow_resources(ready).await;
        let current = match ready.store.advisers_version().await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the directory version");
                continue;
            }
        };
        if current == version {
            continue;
        }
        match open_versioned_engine(&data, &ready.store, geo.clone()).await {
            Ok((engine, v)) => {
                let count = engine.advisers().len();
                ready.replace_directory(Directory::new(engine));
                version = v;
                tracing::info!(count, version, "directory reloaded");
            }
            Err(e) => tracing::warn!(error = %e, "cannot reload the directory; will try again"),
        }
    }
}

/// Re-indexes the published resources when their version changed.
async fn follow_resources(ready: &osez_web::Ready) {
    let current = match ready.store.resources_version().await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the resources version");
            return;
        }
    };
    if current == ready.library().version {
        return;
    }
    match open_library(&ready.store).await {
        Ok(library) => ready.replace_library(library),
        Err(e) => tracing::warn!(error = %e, "cannot re-index the resources; will try again"),
    }
}

/// Ctrl-C or SIGTERM: stop accepting, finish the requests in flight.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
