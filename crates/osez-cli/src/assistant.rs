//! `osez assistant eval`: the assistant's figures on its evaluation sets.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use osez_assistant::eval::{self, EXEMPLARS, SETS};
use osez_assistant::evaluate::{self, Fixture, Report};
use osez_assistant::semantic::{Embedder, Semantic};

/// The goals of issue 12, figure by figure: (name, value, goal, higher is
/// better).
fn goals(r: &Report) -> [(&'static str, f64, f64, bool); 7] {
    [
        ("relevance@3", r.relevance_at_3(), 0.90, true),
        ("intent accuracy", r.intent_accuracy(), 0.95, true),
        ("slot F1", r.slot_f1(), 0.90, true),
        ("questions on clear requests", r.clear_question_rate(), 0.10, false),
        ("questions on vague requests", r.vague_question_rate(), 0.90, true),
        ("correct refusals", r.refusal_rate(), 0.95, true),
        ("unsupported claims", r.unsupported as f64, 0.0, false),
    ]
}

/// Loads the embedding model and trains the intent classifier on the
/// labelled requests (`EXEMPLARS`).
pub fn semantic(model: &Path) -> anyhow::Result<Semantic> {
    let model = osez_embed::Model::load(model)?;
    let embedder: Arc<dyn Embedder> = Arc::new(model);
    Ok(Semantic::new(embedder, EXEMPLARS)?)
}

pub fn eval(files: &[PathBuf], verbose: bool, check: bool, model: Option<&Path>) -> anyhow::Result<()> {
    let mut sets: Vec<(String, String)> = Vec::new();
    if files.is_empty() {
        sets.extend(SETS.iter().map(|(name, text)| (name.to_string(), text.to_string())));
    }
    for f in files {
        let text = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        sets.push((f.display().to_string(), text));
    }
    let mut fixture = Fixture::demo(jiff::Timestamp::now().as_millisecond()).map_err(anyhow::Error::msg)?;
    let semantic = model.map(semantic).transpose()?.map(Arc::new);
    let mut missed = Vec::new();
    for (name, text) in &sets {
        let cases = eval::load(text).with_context(|| format!("evaluation set {name}"))?;
        // A set the classifier learnt from is measured by a classifier
        // trained without it.
        let learnt = EXEMPLARS.iter().position(|e| e == text);
        let note = match (&semantic, learnt) {
            (None, _) => "rules only".to_string(),
            (Some(s), Some(i)) => {
                let without = s.leaving_out(i);
                let note =
                    format!("with embeddings, classifier trained on {} other requests", s.exemplars() - cases.len());
                fixture.set_semantic(Some(Arc::new(without)));
                note
            }
            (Some(s), None) => {
                fixture.set_semantic(Some(s.clone()));
                format!("with embeddings, classifier trained on {} requests", s.exemplars())
            }
        };
        let report = evaluate::run(&cases, &fixture.reader, fixture.catalogue());
        println!("{name}: {} cases, {} replies ({note})", report.cases, report.times_us.len());
        for (figure, value, goal, higher) in goals(&report) {
            let met = if higher { value >= goal } else { value <= goal };
            println!(
                "  {figure:<30} {value:>7.3}   goal {} {goal}{}",
                if higher { ">=" } else { "<=" },
                if met { "" } else { "   MISSED" }
            );
            if !met {
                missed.push(format!("{name}: {figure}"));
            }
        }
        println!(
            "  {:<30} {:>7}   ({}/{} answerable, precision@3 {:.3})",
            "relevant",
            report.relevant,
            report.relevant,
            report.answerable,
            report.precision_at_3()
        );
        println!(
            "  {:<30} p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms (goal p95 <= 100 ms)",
            "reply time",
            report.percentile_ms(50.0),
            report.percentile_ms(95.0),
            report.percentile_ms(100.0)
        );
        if verbose {
            for m in &report.misses {
                println!("    {m}");
            }
        }
    }
    if check && !missed.is_empty() {
        bail!("goals missed: {}", missed.join(", "));
    }
    Ok(())
}
