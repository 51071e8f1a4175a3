//! The assistant answered end to end on the demo directory and the
//! starter resources: the evaluation sets' goals, bad input, and the
//! checker catching what a reply may not say.

use std::sync::OnceLock;

use osez_assistant::check;
use osez_assistant::dialogue::{MAX_MESSAGE_CHARS, State, respond};
use osez_assistant::eval::{self, CASES, SETS};
use osez_assistant::evaluate::{self, Fixture};
use osez_assistant::need::Intent;
use osez_assistant::reply::{Citation, Outcome};

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    // A fixed publication time: the same starter resources every run.
    F.get_or_init(|| Fixture::demo(1_767_225_600_000).unwrap())
}

#[test]
fn the_tuning_set_meets_every_goal_and_no_set_has_an_unsupported_claim() {
    let f = fixture();
    let cases = eval::load(CASES).unwrap();
    let r = evaluate::run(&cases, &f.reader, f.catalogue());
    assert!(r.relevance_at_3() >= 0.90, "relevance@3 {}", r.relevance_at_3());
    assert!(r.intent_accuracy() >= 0.95, "intent {}", r.intent_accuracy());
    assert!(r.slot_f1() >= 0.90, "slot F1 {}", r.slot_f1());
    assert!(r.clear_question_rate() <= 0.10, "clear {}", r.clear_question_rate());
    assert!(r.vague_question_rate() >= 0.90, "vague {}", r.vague_question_rate());
    assert!(r.refusal_rate() >= 0.95, "refusals {}", r.refusal_rate());
    for (name, text) in SETS {
        let r = evaluate::run(&eval::load(text).unwrap(), &f.reader, f.catalogue());
        assert_eq!(
            r.unsupported,
            0,
            "{name}: {:?}",
            r.misses.iter().filter(|m| m.contains("unsupported")).collect::<Vec<_>>()
        );
        assert!(r.sentences > 0);
    }
}

#[test]
fn bad_input_gets_a_clear_reply_and_nothing_invented() {
    let f = fixture();
    let empty = respond(&State::default(), "   ", &f.reader, f.catalogue());
    assert_eq!(empty.reply.outcome, Outcome::Unreadable);
    assert!(empty.reply.text().contains("Votre message est vide"));
    let long = "a".repeat(50_000);
    let too_long = respond(&State::default(), &long, &f.reader, f.catalogue());
    assert_eq!(too_long.reply.outcome, Outcome::Unreadable);
    assert!(too_long.reply.text().contains("trop long"), "{}", too_long.reply.text());
    assert!(too_long.kept_message.is_empty(), "nothing of a refused message is kept");
    // Just under the limit is read.
    let at_limit =
        format!("Je cherche un conseiller en cybersécurité à Lyon. {}", "x ".repeat((MAX_MESSAGE_CHARS - 60) / 2));
    let read = respond(&State::default(), &at_limit, &f.reader, f.catalogue());
    assert_ne!(read.reply.outcome, Outcome::Unreadable);
    // Another language: said, and answered from the records only.
    let english = respond(&State::default(), "What is the best pizza in Naples?", &f.reader, f.catalogue());
    assert!(english.reply.text().contains("I can only answer in French"), "{}", english.reply.text());
    assert!(english.reply.advisers.is_empty() && english.reply.resources.is_empty());
}

#[test]
fn personal_data_is_removed_before_the_message_is_kept() {
    let f = fixture();
    let t = respond(
        &State::default(),
        "Je cherche un site pour ma boulangerie à Nantes, écrivez-moi à jean.dupont@exemple.fr ou au 06 12 34 56 78",
        &f.reader,
        f.catalogue(),
    );
    assert!(!t.kept_message.contains("dupont"), "{}", t.kept_message);
    assert!(!t.kept_message.contains("56 78"), "{}", t.kept_message);
    assert_eq!(t.removed.len(), 2);
    assert_eq!(t.reply.outcome, Outcome::Recommended);
}

#[test]
fn a_vague_request_is_asked_twice_at_most_and_peu_importe_is_accepted() {
    let f = fixture();
    let c = f.catalogue();
    let first = respond(&State::default(), "Je cherche un conseiller.", &f.reader, c);
    assert!(matches!(first.reply.outcome, Outcome::Asked(_)));
    assert!(first.reply.quick_replies.len() >= 3, "{:?}", first.reply.quick_replies);
    let second = respond(&first.state, "Peu importe", &f.reader, c);
    assert!(matches!(second.reply.outcome, Outcome::Asked(_)));
    assert_ne!(first.reply.outcome, second.reply.outcome, "never the same question twice");
    let third = respond(&second.state, "Peu importe", &f.reader, c);
    assert!(!matches!(third.reply.outcome, Outcome::Asked(_)), "{:?}", third.reply.outcome);
    assert_eq!(third.state.intent, Some(Intent::FindAdviser));
}

#[test]
fn the_checker_catches_an_invented_name_number_or_address() {
    let f = fixture();
    let c = f.catalogue();
    let t = respond(&State::default(), "Je cherche un conseiller en cybersécurité à Lyon", &f.reader, c);
    let mut reply = t.reply.clone();
    assert!(check::unsupported(&reply, c, &[]).is_empty());
    let adviser = reply.advisers[0].ord;
    let n = reply.citations.iter().position(|x| *x == Citation::Adviser(adviser)).unwrap();
    for invented in [
        "Madame Irène Fantôme vous rappellera demain.",
        "Ce conseiller a accompagné 487 entreprises.",
        "Son site : https://invente.example.",
        "Écrivez-lui à contact@invente.example.",
    ] {
        reply.sentences.push(osez_assistant::reply::Sentence { text: invented.into(), cites: vec![n] });
        let found = check::unsupported(&reply, c, &[]);
        assert_eq!(found.len(), 1, "{invented}: {found:?}");
        reply.sentences.pop();
    }
}

#[test]
fn a_language_models_rewording_is_shown_only_when_the_checker_accepts_it() {
    use osez_assistant::llm::{Rejected, accept_rewording};
    let f = fixture();
    let c = f.catalogue();
    let message = "Je cherche un conseiller en cybersécurité à Lyon".to_string();
    let t = respond(&State::default(), &message, &f.reader, c);
    let reply = &t.reply;
    let context = vec![message.clone(), "Lyon".to_string()];
    // The template reply reworded line by line, citations kept: accepted.
    let reworded: String = reply
        .sentences
        .iter()
        .map(|s| {
            let marks: String = s.cites.iter().map(|n| format!(" [{}]", n + 1)).collect();
            format!("{}{marks}\n", s.text.replace("Voici", "Je vous propose"))
        })
        .collect();
    let ok = accept_rewording(reply, &reworded, c, &context).unwrap();
    assert!(ok.text().contains("Je vous propose"));
    // An invented name, an invented figure, a lost or unknown citation: refused.
    let first_cited = reply.sentences.iter().position(|s| !s.cites.is_empty()).unwrap();
    let with = |extra: &str| format!("{reworded}{extra}\n");
    assert!(matches!(
        accept_rewording(reply, &with("Madame Irène Fantôme vous attend [1]."), c, &context),
        Err(Rejected::Unsupported(_))
    ));
    assert!(matches!(
        accept_rewording(reply, &with("Ce conseiller a aidé 487 entreprises [1]."), c, &context),
        Err(Rejected::Unsupported(_))
    ));
    assert_eq!(accept_rewording(reply, &with("Voyez aussi [42]."), c, &context), Err(Rejected::UnknownCitation));
    let dropped: String =
        reworded.lines().enumerate().filter(|(i, _)| *i != first_cited).map(|(_, l)| format!("{l}\n")).collect();
    assert_eq!(accept_rewording(reply, &dropped, c, &context), Err(Rejected::DroppedCitation));
    assert_eq!(accept_rewording(reply, "  \n", c, &context), Err(Rejected::Empty));
}

/// With the local embedding model (fetched by `.ci/run`, which sets
/// `OSEZ_REQUIRE_EMBEDDINGS=1` so that this cannot be skipped there): the
/// classifier, trained without the set it is measured on, reads the
/// intents of a held-out set better than the rules alone, refuses more of
/// what is not for Osez, and the tuning set keeps its goals.
#[test]
fn embeddings_improve_a_held_out_set_and_keep_the_tuning_set() {
    use osez_assistant::semantic::{Embedder, Semantic};
    use std::sync::Arc;
    let Some(model) = osez_embed::model_for_tests() else { return };
    let model: Arc<dyn Embedder> = Arc::new(model);
    let semantic = Semantic::new(model, eval::EXEMPLARS).unwrap();
    let mut f = Fixture::demo(1_767_225_600_000).unwrap();
    let unseen = eval::load(eval::UNSEEN).unwrap();
    let rules = evaluate::run(&unseen, &f.reader, f.catalogue());
    let position = |set: &str| eval::EXEMPLARS.iter().position(|e| *e == set).unwrap();
    f.set_semantic(Some(Arc::new(semantic.leaving_out(position(eval::UNSEEN)))));
    let with = evaluate::run(&unseen, &f.reader, f.catalogue());
    assert!(with.intent_ok > rules.intent_ok, "intents: {} with, {} rules only", with.intent_ok, rules.intent_ok);
    assert!(with.refused > rules.refused, "refusals: {} with, {} rules only", with.refused, rules.refused);
    assert_eq!(with.unsupported, 0);
    f.set_semantic(Some(Arc::new(semantic.leaving_out(position(CASES)))));
    let tuning = evaluate::run(&eval::load(CASES).unwrap(), &f.reader, f.catalogue());
    assert!(tuning.intent_accuracy() >= 0.95, "intent {}", tuning.intent_accuracy());
    assert!(tuning.relevance_at_3() >= 0.90, "relevance@3 {}", tuning.relevance_at_3());
    assert!(tuning.refusal_rate() >= 0.95, "refusals {}", tuning.refusal_rate());
    assert!(tuning.clear_question_rate() <= 0.10, "clear {}", tuning.clear_question_rate());
    assert!(tuning.vague_question_rate() >= 0.90, "vague {}", tuning.vague_question_rate());
    assert_eq!(tuning.unsupported, 0);
}
