use osez_core::consultation::{Qualification, Vote};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::import::BulkProposal;
use super::*;
use crate::testing::stores;

const DAY: i64 = 86_400_000;

fn consultation<'a>(slug: &'a str, status: ConsultationStatus, opens_at: i64, closes_at: i64) -> NewConsultation<'a> {
    NewConsultation {
        slug,
        title: "Encadrer l'IA",
        question: "Comment encadrer l'IA ?",
        description: "Une consultation de test.",
        opens_at,
        closes_at,
        status,
        origin: Origin::Osez,
    }
}

async fn open_consultation(store: &Store, slug: &str) -> i64 {
    let now = now_ms();
    store.create_consultation(&consultation(slug, ConsultationStatus::Published, now - DAY, now + DAY)).await.unwrap()
}

/// A proposal written by `author` and accepted.
async fn accepted(store: &Store, consultation_id: i64, author: &str, text: &str) -> i64 {
    let p = store.submit_proposal(consultation_id, author, None, text, None).await.unwrap();
    store.moderate_proposal(p.id, Moderation::Accept, "moderatrice@exemple.fr", |_, _| None).await.unwrap();
    p.id
}

fn vote(consultation_id: i64, token: &str, proposal_id: i64, vote: Vote) -> NewVote {
    NewVote { consultation_id, token_hash: token.into(), proposal_id, vote, qualification: None, trusted: true }
}

async fn kept_counts_equal_the_recount(store: &Store, consultation_id: i64) {
    let recount = store.recount(consultation_id).await.unwrap();
    for p in store.proposals(consultation_id, None).await.unwrap() {
        assert_eq!(p.tally, recount[&p.id], "proposal {}", p.number);
    }
}

#[tokio::test]
async fn a_slug_is_taken_once_and_proposals_are_numbered_in_order() {
    for (name, store) in stores().await {
        let id = open_consultation(&store, "ia").await;
        let now = now_ms();
        let again = store.create_consultation(&consultation("ia", ConsultationStatus::Draft, now, now + DAY)).await;
        assert!(matches!(again, Err(ConsultationError::SlugTaken)), "{name}");
        let a = store.submit_proposal(id, "t1", None, "Il faut former les jeunes", None).await.unwrap();
        let b = store.submit_proposal(id, "t2", Some("b@exemple.fr"), "Il faut signaler l'IA", None).await.unwrap();
        assert_eq!((a.number, b.number), (0, 1), "{name}");
        assert_eq!(a.status, ProposalStatus::Pending);
        assert_ne!(a.author_id, b.author_id);
        let mine = store.proposals_by(id, "t2").await.unwrap();
        assert_eq!(mine.iter().map(|p| p.id).collect::<Vec<_>>(), vec![b.id], "{name}");
        assert_eq!(store.consultation("ia").await.unwrap().unwrap().id, id);
        assert_eq!(store.consultations(false, 10).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn no_proposal_on_a_closed_or_draft_consultation_and_a_challenge_spends_once() {
    for (name, store) in stores().await {
        let now = now_ms();
        let closed = store
            .create_consultation(&consultation("close", ConsultationStatus::Published, now - 2 * DAY, now - DAY))
            .await
            .unwrap();
        let draft = store
            .create_consultation(&consultation("brouillon", ConsultationStatus::Draft, now - DAY, now + DAY))
            .await
            .unwrap();
        for id in [closed, draft] {
            let r = store.submit_proposal(id, "t", None, "Il faut former", None).await;
            assert!(matches!(r, Err(ConsultationError::Closed)), "{name}");
            assert!(store.proposals(id, None).await.unwrap().is_empty(), "{name}: nothing half-saved");
        }
        let open = open_consultation(&store, "ouverte").await;
        let challenge = SpentChallenge { key: "defi".into(), expires_at_ms: now + DAY };
        store.submit_proposal(open, "t", None, "Il faut former", Some(&challenge)).await.unwrap();
        let again = store.submit_proposal(open, "t", None, "Il faut encore", Some(&challenge)).await;
        assert!(matches!(again, Err(ConsultationError::Spent)), "{name}");
        assert_eq!(store.proposals(open, None).await.unwrap().len(), 1, "{name}");
    }
}

#[tokio::test]
async fn a_refusal_tells_the_author_who_left_an_address() {
    for (name, store) in stores().await {
        let id = open_consultation(&store, "ia").await;
        let p = store
            .submit_proposal(id, "t", Some("autrice@exemple.fr"), "Il faut acheter ma marque", None)
            .await
            .unwrap();
        let silent = store.submit_proposal(id, "u", None, "Il faut ceci et cela", None).await.unwrap();
        let mail = |p: &ProposalRow, to: &str| {
            Some(NewMail {
                message_id: format!("<p{}@osez.test>", p.id),
                kind: "proposal_decision",
                to: to.into(),
                reply_to: None,
                subject: "Votre proposition".into(),
                body: p.refusal_reason.map(|r| r.explanation()).unwrap_or_default().into(),
            })
        };
        let refused = store
            .moderate_proposal(p.id, Moderation::Refuse(RefusalReason::Advertising), "m@exemple.fr", mail)
            .await
            .unwrap();
        assert_eq!(refused.status, ProposalStatus::Refused);
        assert_eq!(refused.refusal_reason, Some(RefusalReason::Advertising));
        store
            .moderate_proposal(silent.id, Moderation::Refuse(RefusalReason::SeveralIdeas), "m@exemple.fr", mail)
            .await
            .unwrap();
        let due = store.take_due_mail(10, 60_000).await.unwrap();
        assert_eq!(due.len(), 1, "{name}: only the author with an address");
        assert_eq!(due[0].to, "autrice@exemple.fr");
        assert!(due[0].body.contains("promotion"));
        let missing = store.moderate_proposal(999_999, Moderation::Accept, "m", |_, _| None).await;
        assert!(matches!(missing, Err(ConsultationError::NotFound)), "{name}");
    }
}

#[tokio::test]
async fn votes_count_replace_and_untrusted_ones_count_nowhere() {
    for (name, store) in stores().await {
        let id = open_consultation(&store, "ia").await;
        let p = accepted(&store, id, "auteur", "Il faut former les jeunes").await;
        let q = accepted(&store, id, "auteur", "Il faut signaler l'IA").await;

        let mut first = vote(id, "a", p, Vote::Agree);
        first.qualification = Some(Qualification::LikeIt);
        let outcomes = store
            .record_votes(&[first, vote(id, "b", p, Vote::Disagree), vote(id, "a", q, Vote::Neutral)])
            .await
            .unwrap();
        assert!(outcomes.iter().all(|o| *o == VoteOutcome::Recorded), "{name}");
        let tally = store.proposal(p).await.unwrap().unwrap().tally;
        assert_eq!((tally.agree, tally.disagree, tally.qualification(Qualification::LikeIt)), (1, 1, 1), "{name}");

        // A changed vote replaces the first, qualification included.
        store.record_votes(&[vote(id, "a", p, Vote::Disagree)]).await.unwrap();
        let tally = store.proposal(p).await.unwrap().unwrap().tally;
        assert_eq!((tally.agree, tally.disagree, tally.qualification(Qualification::LikeIt)), (0, 2, 0), "{name}");

        // An untrusted vote is kept but not counted; replacing a trusted
        // one takes it out of the count.
        let mut forged = vote(id, "c", p, Vote::Agree);
        forged.trusted = false;
        let mut forged_b = vote(id, "b", p, Vote::Agree);
        forged_b.trusted = false;
        store.record_votes(&[forged, forged_b]).await.unwrap();
        let tally = store.proposal(p).await.unwrap().unwrap().tally;
        assert_eq!((tally.agree, tally.disagree), (0, 1), "{name}");
        assert_eq!(store.voted_proposals(id, "c").await.unwrap(), vec![p], "{name}: never served again");
        let mut voted_a = store.voted_proposals(id, "a").await.unwrap();
        voted_a.sort();
        assert_eq!(voted_a, vec![p, q]);
        kept_counts_equal_the_recount(&store, id).await;
        // a votes; b's only vote is now untrusted; c never had a trusted one.
        assert_eq!(store.consultation("ia").await.unwrap().unwrap().voters, 1, "{name}");
        store.record_votes(&[vote(id, "c", q, Vote::Agree)]).await.unwrap();
        assert_eq!(store.consultation("ia").await.unwrap().unwrap().voters, 2, "{name}");

        // The open data holds trusted votes only.
        let mut rows = Vec::new();
        store.trusted_votes(id, |page| rows.extend_from_slice(page)).await.unwrap();
        assert_eq!(rows.len(), 3, "{name}: a on p and q, c on q; b's was replaced by an untrusted one");
    }
}

#[tokio::test]
async fn votes_on_what_cannot_be_voted_are_refused_and_leave_nothing() {
    for (name, store) in stores().await {
        let id = open_consultation(&store, "ia").await;
        let other = open_consultation(&store, "autre").await;
        let ok = accepted(&store, id, "x", "Il faut former").await;
        let pending = store.submit_proposal(id, "x", None, "Il faut attendre", None).await.unwrap().id;
        let refused = store.submit_proposal(id, "x", None, "Il faut refuser", None).await.unwrap().id;
        store.moderate_proposal(refused, Moderation::Refuse(RefusalReason::OffTopic), "m", |_, _| None).await.unwrap();
        let elsewhere = accepted(&store, other, "x", "Il faut ailleurs").await;
        let outcomes = store
            .record_votes(&[
                vote(id, "v", pending, Vote::Agree),
                vote(id, "v", refused, Vote::Agree),
                vote(id, "v", elsewhere, Vote::Agree),
                vote(id, "v", 987_654, Vote::Agree),
                vote(id, "v", ok, Vote::Agree),
            ])
            .await
            .unwrap();
        use VoteOutcome::*;
        assert_eq!(outcomes, vec![NotVotable, NotVotable, NoProposal, NoProposal, Recorded], "{name}");

        let now = now_ms();
        let closed = store
            .create_consultation(&consultation("close", ConsultationStatus::Published, now - 2 * DAY, now - DAY))
            .await
            .unwrap();
        // A proposal accepted while it was open: imported as such.
        let imported = store
            .import_consultation(
                &consultation("importee", ConsultationStatus::Published, now - 2 * DAY, now - DAY),
                &[BulkProposal {
                    number: 0,
                    text: "Il faut voter".into(),
                    accepted: true,
                    author: None,
                    created_at: now,
                }],
                &[],
            )
            .await
            .unwrap();
        let p = store.proposals(imported, None).await.unwrap()[0].id;
        assert_eq!(store.record_votes(&[vote(imported, "v", p, Vote::Agree)]).await.unwrap(), vec![Closed], "{name}");
        assert_eq!(store.proposal(p).await.unwrap().unwrap().tally.total(), 0);
        assert!(store.voted_proposals(imported, "v").await.unwrap().is_empty());
        let _ = closed;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_identical_votes_at_once_leave_one() {
    for (name, store) in stores().await {
        let id = open_consultation(&store, "ia").await;
        let p = accepted(&store, id, "x", "Il faut former").await;
        // In one batch.
        let same: Vec<NewVote> = (0..200).map(|_| vote(id, "même", p, Vote::Agree)).collect();
        store.record_votes(&same).await.unwrap();
        // And in 200 batches side by side.
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(200));
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let (store, start) = (store.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    store.record_votes(&[vote(id, "autre", p, Vote::Disagree)]).await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), vec![VoteOutcome::Recorded], "{name}");
        }
        let tally = store.proposal(p).await.unwrap().unwrap().tally;
        assert_eq!((tally.agree, tally.disagree), (1, 1), "{name}");
        let mut rows = Vec::new();
        store.trusted_votes(id, |page| rows.extend_from_slice(page)).await.unwrap();
        assert_eq!(rows.len(), 2, "{name}");
        kept_counts_equal_the_recount(&store, id).await;
    }
}

#[tokio::test]
async fn kept_counts_equal_a_recount_after_random_batches() {
    for (name, store) in stores().await {
        let id = open_consultation(&store, "ia").await;
        let mut proposals = Vec::new();
        for i in 0..6 {
            proposals.push(accepted(&store, id, &format!("auteur{i}"), &format!("Il faut l'idée {i}")).await);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(2026);
        for _ in 0..15 {
            let batch: Vec<NewVote> = (0..rng.random_range(1..40))
                .map(|_| {
                    let v = Vote::ALL[rng.random_range(0..3)];
                    let quals = v.qualifications();
                    NewVote {
                        consultation_id: id,
                        token_hash: format!("p{}", rng.random_range(0..12)),
                        proposal_id: proposals[rng.random_range(0..proposals.len())],
                        vote: v,
                        // Now and then a qualification of another vote: not counted.
                        qualification: match rng.random_range(0..4) {
                            0 => None,
                            1 => Some(Qualification::ALL[rng.random_range(0..9)]),
                            _ => Some(quals[rng.random_range(0..3)]),
                        },
                        trusted: rng.random_bool(0.8),
                    }
                })
                .collect();
            store.record_votes(&batch).await.unwrap();
        }
        kept_counts_equal_the_recount(&store, id).await;
        let c = store.consultation("ia").await.unwrap().unwrap();
        assert_eq!(c.votes_seq, 15, "{name}");
        let mut voters = std::collections::BTreeSet::new();
        store.trusted_votes(id, |page| voters.extend(page.iter().map(|v| v.participant))).await.unwrap();
        assert_eq!(c.voters, voters.len() as i64, "{name}: voters kept equal voters counted");
    }
}

#[tokio::test]
async fn an_import_keeps_its_numbers_and_counts_its_last_votes() {
    for (name, store) in stores().await {
        let now = now_ms();
        let proposals = vec![
            BulkProposal { number: 10, text: "Il faut a".into(), accepted: true, author: Some(70), created_at: now },
            BulkProposal { number: 11, text: "Il faut b".into(), accepted: false, author: None, created_at: now },
        ];
        let bulk = |participant, proposal, vote, voted_at| BulkVote {
            participant,
            proposal,
            vote,
            qualification: None,
            voted_at,
        };
        let votes = vec![
            bulk(70, 10, Vote::Agree, 1),
            bulk(71, 10, Vote::Agree, 1),
            // 71 changed their mind: the last one counts.
            bulk(71, 10, Vote::Disagree, 5),
            bulk(72, 11, Vote::Neutral, 2),
            // A vote on a comment the export does not hold: left out.
            bulk(72, 99, Vote::Agree, 2),
        ];
        let id = store
            .import_consultation(
                &NewConsultation {
                    origin: Origin::Polis,
                    ..consultation("polis", ConsultationStatus::Published, now, now + DAY)
                },
                &proposals,
                &votes,
            )
            .await
            .unwrap();
        let rows = store.proposals(id, None).await.unwrap();
        assert_eq!(rows.iter().map(|p| p.number).collect::<Vec<_>>(), vec![10, 11], "{name}");
        assert_eq!((rows[0].tally.agree, rows[0].tally.disagree), (1, 1));
        assert_eq!(rows[1].status, ProposalStatus::Archived);
        kept_counts_equal_the_recount(&store, id).await;
        let mut got = Vec::new();
        store
            .trusted_votes(id, |page| got.extend(page.iter().map(|v| (v.participant, v.proposal, v.vote))))
            .await
            .unwrap();
        got.sort_by_key(|g| (g.0, g.1));
        assert_eq!(got, vec![(70, 10, Vote::Agree), (71, 10, Vote::Disagree), (72, 11, Vote::Neutral)], "{name}");
        // A new participant after an import gets the next number.
        let p = rows[0].id;
        let c = store.consultation("polis").await.unwrap().unwrap();
        store.record_votes(&[vote(c.id, "nouveau", p, Vote::Agree)]).await.unwrap();
        let mut numbers = Vec::new();
        store.trusted_votes(id, |page| numbers.extend(page.iter().map(|v| v.participant))).await.unwrap();
        assert!(numbers.contains(&73), "{name}: {numbers:?}");
        assert_eq!(store.consultation("polis").await.unwrap().unwrap().voters, 4, "{name}");
        // The same slug again: refused, nothing half-saved.
        let again = store
            .import_consultation(&consultation("polis", ConsultationStatus::Draft, now, now), &proposals, &votes)
            .await;
        assert!(matches!(again, Err(ConsultationError::SlugTaken)));
    }
}

#[tokio::test]
async fn the_address_left_with_a_proposal_is_in_the_persons_copy_and_erased_with_it() {
    for (name, store) in stores().await {
        let id = open_consultation(&store, "ia").await;
        let p = store.submit_proposal(id, "t", Some("autrice@exemple.fr"), "Il faut former", None).await.unwrap();
        assert!(store.holds_personal_data("autrice@exemple.fr").await.unwrap(), "{name}");
        let copy = store.personal_data("autrice@exemple.fr").await.unwrap();
        assert_eq!(copy.proposals.len(), 1, "{name}");
        assert_eq!((copy.proposals[0].consultation.as_str(), copy.proposals[0].status.as_str()), ("ia", "pending"));
        store.erase_personal_data("autrice@exemple.fr").await.unwrap();
        assert!(!store.holds_personal_data("autrice@exemple.fr").await.unwrap(), "{name}");
        // The proposal stays, anonymous; a decision now mails no one.
        let mail = |_: &ProposalRow, to: &str| {
            Some(NewMail {
                message_id: "<x@osez.test>".into(),
                kind: "proposal_decision",
                to: to.into(),
                reply_to: None,
                subject: "s".into(),
                body: "b".into(),
            })
        };
        store.moderate_proposal(p.id, Moderation::Accept, "m", mail).await.unwrap();
        assert!(store.take_due_mail(10, 60_000).await.unwrap().is_empty(), "{name}");
        // The end of retention clears an address too.
        store.submit_proposal(id, "u", Some("autre@exemple.fr"), "Il faut encore", None).await.unwrap();
        store.purge_before(now_ms() + 1).await.unwrap();
        assert!(!store.holds_personal_data("autre@exemple.fr").await.unwrap(), "{name}");
    }
}

fn confirmation_mail(to: &str, participant: i64) -> NewMail {
    NewMail {
        message_id: format!("<confirm-{participant}-{to}-{}@exemple.fr>", rand::random::<u64>()),
        kind: "participant_confirmation",
        to: to.into(),
        reply_to: None,
        subject: "Confirmez votre participation".into(),
        body: format!("Lien du participant {participant}"),
    }
}

/// Asks a confirmation for the participant of `token` and returns their id.
async fn ask_confirmation(store: &Store, consultation_id: i64, token: &str, email: &str) -> (ConfirmationRequest, i64) {
    let mut id = 0;
    let asked = store
        .request_confirmation(
            consultation_id,
            token,
            email,
            |p| {
                id = p;
                confirmation_mail(email, p)
            },
            None,
        )
        .await
        .unwrap();
    if id == 0 {
        id = sqlx::query_scalar(
            "SELECT id FROM consultation_participants WHERE consultation_id = $1 AND token_hash = $2",
        )
        .bind(consultation_id)
        .bind(token)
        .fetch_one(&store.pool)
        .await
        .unwrap();
    }
    (asked, id)
}

#[tokio::test]
async fn one_address_confirms_one_participant_per_consultation() {
    for (name, store) in stores().await {
        let c = open_consultation(&store, "confirmer").await;
        let other = open_consultation(&store, "autre").await;
        let (asked, a) = ask_confirmation(&store, c, "ta", "ana@exemple.fr").await;
        assert_eq!(asked, ConfirmationRequest::Sent, "{name}");
        let held = store.participant_email(a).await.unwrap().unwrap();
        assert_eq!((held.consultation_id, held.email.as_deref(), held.confirmed_at), (c, Some("ana@exemple.fr"), None));
        assert!(!store.participant_confirmed(c, "ta").await.unwrap(), "{name}: pending is not confirmed");
        // A link made for another address than the one held is outdated.
        assert_eq!(store.confirm_participant(a, "bob@exemple.fr").await.unwrap(), Confirmation::Outdated, "{name}");
        assert_eq!(store.confirm_participant(a, "ana@exemple.fr").await.unwrap(), Confirmation::Confirmed, "{name}");
        assert_eq!(store.confirm_participant(a, "ana@exemple.fr").await.unwrap(), Confirmation::AlreadyConfirmed);
        assert!(store.participant_confirmed(c, "ta").await.unwrap(), "{name}");
        // Asking again changes nothing and sends nothing.
        let (again, _) = ask_confirmation(&store, c, "ta", "autre@exemple.fr").await;
        assert_eq!(again, ConfirmationRequest::AlreadyConfirmed, "{name}");
        assert_eq!(store.participant_email(a).await.unwrap().unwrap().email.as_deref(), Some("ana@exemple.fr"));
        // A proposal's address does not replace a confirmed one.
        store.submit_proposal(c, "ta", Some("autre@exemple.fr"), "Il faut former les jeunes", None).await.unwrap();
        assert_eq!(store.participant_email(a).await.unwrap().unwrap().email.as_deref(), Some("ana@exemple.fr"));
        // The same address for a second participant of this consultation:
        // the mail goes (the page tells no one who took part), the link is
        // refused; in another consultation it confirms.
        let (_, b) = ask_confirmation(&store, c, "tb", "ana@exemple.fr").await;
        assert_eq!(store.confirm_participant(b, "ana@exemple.fr").await.unwrap(), Confirmation::AddressTaken, "{name}");
        assert!(!store.participant_confirmed(c, "tb").await.unwrap());
        let (_, elsewhere) = ask_confirmation(&store, other, "tb", "ana@exemple.fr").await;
        assert_eq!(store.confirm_participant(elsewhere, "ana@exemple.fr").await.unwrap(), Confirmation::Confirmed);
        // A newer request outdates the older link.
        let (_, d) = ask_confirmation(&store, c, "td", "dan@exemple.fr").await;
        ask_confirmation(&store, c, "td", "dany@exemple.fr").await;
        assert_eq!(store.confirm_participant(d, "dan@exemple.fr").await.unwrap(), Confirmation::Outdated, "{name}");
        // Confirmed voters: confirmed, with a trusted vote.
        assert_eq!(store.confirmed_voters(c).await.unwrap(), 0, "{name}");
        let p = accepted(&store, c, "auteur", "Il faut signaler l'IA").await;
        store.record_votes(&[vote(c, "ta", p, Vote::Agree), vote(c, "tb", p, Vote::Agree)]).await.unwrap();
        assert_eq!(store.confirmed_voters(c).await.unwrap(), 1, "{name}");
        // Closed: asking and following a link are refused, nothing changes.
        let (_, e) = ask_confirmation(&store, c, "te", "eve@exemple.fr").await;
        let now = now_ms();
        let closed = consultation("confirmer", ConsultationStatus::Published, now - 2 * DAY, now - DAY);
        store.update_consultation(c, &closed).await.unwrap();
        assert_eq!(store.confirm_participant(e, "eve@exemple.fr").await.unwrap(), Confirmation::Closed, "{name}");
        assert_eq!(store.participant_email(e).await.unwrap().unwrap().confirmed_at, None, "{name}");
        let refused =
            store.request_confirmation(c, "tf", "fay@exemple.fr", |p| confirmation_mail("fay@exemple.fr", p), None);
        assert!(matches!(refused.await, Err(ConsultationError::Closed)), "{name}");
    }
}

#[tokio::test]
async fn a_participants_address_is_in_their_copy_and_goes_with_erasure() {
    for (name, store) in stores().await {
        let c = open_consultation(&store, "confirmer").await;
        let (_, a) = ask_confirmation(&store, c, "ta", "ana@exemple.fr").await;
        store.confirm_participant(a, "ana@exemple.fr").await.unwrap();
        assert!(store.holds_personal_data("ana@exemple.fr").await.unwrap(), "{name}");
        let copy = store.personal_data("ana@exemple.fr").await.unwrap();
        assert_eq!(copy.participations.len(), 1, "{name}");
        assert_eq!(copy.participations[0].consultation, "confirmer");
        assert!(copy.participations[0].confirmed_at_ms.is_some());
        assert_eq!(copy.mails.len(), 1, "{name}: the confirmation mail is the person's");
        let erased = store.erase_personal_data("ana@exemple.fr").await.unwrap();
        assert_eq!(erased.mails, 1, "{name}");
        assert!(!store.holds_personal_data("ana@exemple.fr").await.unwrap(), "{name}");
        // Still confirmed, without the address.
        let held = store.participant_email(a).await.unwrap().unwrap();
        assert_eq!(held.email, None, "{name}");
        assert!(held.confirmed_at.is_some(), "{name}");
    }
}
