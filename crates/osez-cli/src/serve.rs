//! `osez serve`: listen at once (so that `/healthz` can say "starting"),
//! prepare the store and the index, then announce the address.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use osez_core::Geography;
use osez_web::{AppState, Directory, WebConfig};

use crate::DataArgs;
use crate::directory::{open_engine, prepare_store};

pub struct ServeConfig {
    pub data: DataArgs,
    pub addr: SocketAddr,
    pub load_demo: bool,
    pub team_email: Option<String>,
}

pub async fn run(config: ServeConfig) -> anyhow::Result<()> {
    let started = Instant::now();
    let geo = Arc::new(Geography::embedded().context("embedded geography")?);
    let state = AppState::new(
        geo.clone(),
        WebConfig {
            team_email: config.team_email,
        },
    );
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(osez_web::serve(listener, state.clone(), shutdown_signal()));

    let prepared = async {
        let store = prepare_store(&config.data, config.load_demo, &geo).await?;
        let engine = open_engine(&config.data, &store, geo.clone()).await?;
        anyhow::Ok((store, engine))
    };
    // A signal during start-up stops the server; stop preparing too.
    let (store, engine) = tokio::select! {
        prepared = prepared => prepared?,
        _ = shutdown_signal() => return Ok(()),
    };
    state.set_ready(store.clone(), Directory::new(engine));
    tracing::info!(took_ms = started.elapsed().as_millis() as u64, "ready");
    println!("listening on http://{addr}");

    server
        .await
        .context("server task failed")?
        .context("server failed")?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
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
