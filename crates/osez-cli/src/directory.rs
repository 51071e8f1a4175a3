//! Opening the store and the search index, shared by the subcommands.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use osez_core::resource::starter;
use osez_core::{Geography, demo};
use osez_search::Engine;
use osez_store::Store;
use osez_web::Library;

use crate::DataArgs;

/// Marks that the demo directory was loaded once, so that it is not loaded
/// again after an import replaced it.
const DEMO_LOADED_KEY: &str = "demo_loaded";
/// Marks that the starter resources were loaded once, so that resources an
/// editor deleted do not come back.
const STARTER_LOADED_KEY: &str = "starter_resources_loaded";

pub async fn open_store(data: &DataArgs) -> anyhow::Result<Store> {
    let store = match &data.database_url {
        Some(url) => Store::connect(url).await.context("cannot connect to the database")?,
        None => Store::open_sqlite(&data.data_dir)
            .await
            .with_context(|| format!("cannot open the database in {}", data.data_dir.display()))?,
    };
    Ok(store)
}

/// Migrates, and loads the demo directory into an empty database. Nodes
/// that start together on one PostgreSQL database do this one at a time.
pub async fn prepare_store(data: &DataArgs, load_demo: bool, geo: &Geography) -> anyhow::Result<Store> {
    let store = open_store(data).await?;
    let lock = store.start_lock().await.context("cannot take the start-up lock")?;
    load_first_data(&store, load_demo, geo).await?;
    lock.release().await?;
    Ok(store)
}

async fn load_first_data(store: &Store, load_demo: bool, geo: &Geography) -> anyhow::Result<()> {
    store.migrate().await.context("cannot apply migrations")?;
    if load_demo && store.advisers_count().await? == 0 && store.meta(DEMO_LOADED_KEY).await?.is_none() {
        let started = Instant::now();
        let advisers = demo::generate(geo, demo::DEFAULT_SEED);
        store.upsert_advisers(&advisers).await.context("cannot load the demo directory")?;
        store.set_meta(DEMO_LOADED_KEY, "1").await?;
        tracing::info!(count = advisers.len(), took_ms = started.elapsed().as_millis() as u64, "demo directory loaded");
    }
    if load_demo {
        crate::consultation::load_demo(store).await?;
    }
    if store.resources_count().await? == 0 && store.meta(STARTER_LOADED_KEY).await?.is_none() {
        // The starter resources: all of them with the demo data; without
        // it, only the advice written for the project, not the fiction.
        let mut resources = starter::all(osez_web::now_ms()).context("starter resources")?;
        if !load_demo {
            resources.retain(|r| !r.is_demo);
        }
        let added = store.load_published_resources(&resources).await.context("cannot load the starter resources")?;
        store.set_meta(STARTER_LOADED_KEY, "1").await?;
        tracing::info!(count = added, "starter resources loaded");
    }
    Ok(())
}

/// The published resources, indexed, with the version they were read at.
pub async fn open_library(store: &Store) -> anyhow::Result<Library> {
    let started = Instant::now();
    let library = Library::load(store).await.map_err(|e| anyhow::anyhow!("cannot index the resources: {e}"))?;
    let count = library.engine.resources().len();
    tracing::info!(
        count,
        version = library.version,
        took_ms = started.elapsed().as_millis() as u64,
        "resources indexed"
    );
    Ok(library)
}

/// Opens the search index, rebuilding it if the directory changed.
pub async fn open_engine(data: &DataArgs, store: &Store, geo: Arc<Geography>) -> anyhow::Result<Engine> {
    Ok(open_versioned_engine(data, store, geo).await?.0)
}

/// Like [`open_engine`], with the directory version it was built from.
pub async fn open_versioned_engine(
    data: &DataArgs,
    store: &Store,
    geo: Arc<Geography>,
) -> anyhow::Result<(Engine, i64)> {
    let started = Instant::now();
    let version = store.advisers_version().await?;
    let advisers = store.listed_advisers().await?;
    let dir = data.data_dir.join("index");
    std::fs::create_dir_all(&data.data_dir).with_context(|| format!("cannot create {}", data.data_dir.display()))?;
    let count = advisers.len();
    let (engine, rebuilt) = tokio::task::spawn_blocking(move || Engine::open_or_build(&dir, advisers, version, geo))
        .await
        .context("index task failed")?
        .context("cannot open the search index")?;
    tracing::info!(count, rebuilt, took_ms = started.elapsed().as_millis() as u64, "search index ready");
    Ok((engine, version))
}

pub async fn reindex(data: &DataArgs) -> anyhow::Result<()> {
    let geo = Arc::new(Geography::embedded()?);
    let store = open_store(data).await?;
    store.migrate().await?;
    let dir = data.data_dir.join("index");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    let started = Instant::now();
    let engine = open_engine(data, &store, geo).await?;
    println!("index rebuilt: {} advisers in {} ms", engine.advisers().len(), started.elapsed().as_millis());
    Ok(())
}
