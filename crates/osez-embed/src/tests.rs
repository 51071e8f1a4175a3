use super::*;

#[test]
fn a_file_of_the_wrong_size_is_refused_before_the_engine_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(MODEL_FILE);
    std::fs::write(&path, b"E5S1 truncated").unwrap();
    let err = Model::load(&path).err().expect("refused");
    assert!(matches!(err, LoadError::Mismatch { .. }), "{err}");
    assert!(err.to_string().contains("fetch-e5-model.sh"), "{err}");
}

#[test]
fn a_missing_file_says_so() {
    let err = Model::load(Path::new("/nonexistent/e5.bin")).err().expect("refused");
    assert!(matches!(err, LoadError::Read { .. }), "{err}");
}

fn model() -> Option<Model> {
    model_for_tests()
}

#[test]
fn related_french_sentences_are_closer_than_unrelated_ones() {
    let Some(m) = model() else { return };
    let q = m.query("je cherche quelqu'un pour m'aider à créer le site internet de ma boulangerie");
    let passages = m.passages(&[
        "Créer le site web de son commerce : les étapes pour une vitrine en ligne",
        "La recette de la tarte aux pommes de grand-mère",
    ]);
    assert_eq!(q.len(), DIM);
    assert!((similarity(&q, &q) - 1.0).abs() < 1e-3, "normalised");
    assert!(similarity(&q, &passages[0]) > similarity(&q, &passages[1]));
    // One at a time and in a batch agree.
    let single = m.passages(&["La recette de la tarte aux pommes de grand-mère"]);
    assert!(similarity(&single[0], &passages[1]) > 0.999);
}

#[test]
fn odd_texts_embed_without_failing() {
    let Some(m) = model() else { return };
    for text in ["", "   ", "a\0b", &"très long ".repeat(3000), "日本語のテキスト"] {
        let v = m.query(text);
        assert_eq!(v.len(), DIM);
        assert!(v.iter().all(|x| x.is_finite()));
    }
}

#[test]
fn a_reply_does_not_wait_behind_a_queue_of_embeddings() {
    let Some(m) = model() else { return };
    let m = std::sync::Arc::new(m);
    assert!(m.query_now("un site pour ma boutique").is_some(), "idle: embedded at once");
    let texts: Vec<String> = (0..60).map(|i| format!("texte numéro {i} sur la cybersécurité des commerces")).collect();
    let workers: Vec<_> = (0..BUSY + 2)
        .map(|_| {
            let (m, texts) = (m.clone(), texts.clone());
            std::thread::spawn(move || m.passages(&texts.iter().map(String::as_str).collect::<Vec<_>>()).len())
        })
        .collect();
    // Bounded wait for the queue to fill (no timing asserted).
    for _ in 0..2000 {
        if m.pending() > BUSY {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(m.pending() > BUSY, "the batches queued");
    assert_eq!(m.query_now("un site pour ma boutique"), None, "busy: refused at once");
    for w in workers {
        assert_eq!(w.join().unwrap(), 60);
    }
    assert_eq!(m.pending(), 0);
    assert!(m.query_now("un site pour ma boutique").is_some(), "idle again");
}
