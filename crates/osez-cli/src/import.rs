//! `osez import advisers FILE`: the official open data, all or nothing.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use osez_core::{Geography, import};

use crate::DataArgs;
use crate::directory::{open_engine, open_store};

pub struct Options {
    pub skip_invalid: bool,
    pub keep_demo: bool,
    pub dry_run: bool,
}

pub async fn advisers(data: &DataArgs, file: &Path, options: Options) -> anyhow::Result<()> {
    let started = Instant::now();
    let geo = Arc::new(Geography::embedded()?);
    let bytes = std::fs::read(file).with_context(|| format!("impossible de lire {}", file.display()))?;
    let parsed = import::parse(&bytes, &geo).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    for r in &parsed.rejected {
        eprintln!("{} {} : {}", parsed.unit, r.line, r.reason);
    }
    println!("{} : {} valid rows, {} rejected", file.display(), parsed.advisers.len(), parsed.rejected.len());
    if !parsed.rejected.is_empty() && !options.skip_invalid {
        bail!(
            "nothing imported: {} rejected rows (listed above); fix them, or run again with --skip-invalid to import the valid rows only",
            parsed.rejected.len()
        );
    }
    if parsed.advisers.is_empty() {
        bail!("nothing to import");
    }
    if options.dry_run {
        println!("dry run: nothing saved");
        return Ok(());
    }
    let store = open_store(data).await?;
    store.migrate().await?;
    let bar = ProgressBar::new(parsed.advisers.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} advisers {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = store
        .import_advisers(&parsed.advisers, !options.keep_demo, &|done| bar.set_position(done as u64))
        .await
        .context("import failed; nothing was saved")?;
    bar.finish_and_clear();
    println!(
        "imported: {} new, {} updated, {} unchanged, {} demo profiles removed",
        report.inserted, report.updated, report.unchanged, report.removed_demo
    );
    let engine = open_engine(data, &store, geo).await?;
    println!("search index: {} advisers ({} ms in all)", engine.advisers().len(), started.elapsed().as_millis());
    println!("a running `osez serve` picks the new directory up within its reload interval (--reload-secs)");
    Ok(())
}
