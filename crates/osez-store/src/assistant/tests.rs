use super::*;
use crate::testing::stores;

/// Who said what, oldest first.
fn said(c: &Conversation) -> Vec<(Speaker, &str)> {
    c.recent.iter().map(|m| (m.speaker, m.text.as_str())).collect()
}

/// Messages stored for `id`, read past the store's API.
async fn stored_messages(store: &Store, id: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM assistant_messages WHERE conversation_id = $1")
        .bind(id)
        .fetch_one(&store.pool)
        .await
        .unwrap()
}

/// Sets when a conversation started and when it was last active.
async fn set_times(store: &Store, id: &str, created_at_ms: i64, updated_at_ms: i64) {
    let changed = sqlx::query("UPDATE assistant_conversations SET created_at = $1, updated_at = $2 WHERE id = $3")
        .bind(created_at_ms)
        .bind(updated_at_ms)
        .bind(id)
        .execute(&store.pool)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 1);
}

#[tokio::test]
async fn a_conversation_reads_back_oldest_first_up_to_the_last_asked() {
    for (name, store) in stores().await {
        let before = now_ms();
        store
            .start_conversation("c1", r#"{"turn":1}"#, "Je cherche un conseiller", "Dans quel département ?")
            .await
            .unwrap();
        let c = store.conversation("c1", 10).await.unwrap().unwrap();
        assert_eq!(c.id, "c1", "{name}");
        assert_eq!(c.state, r#"{"turn":1}"#, "{name}");
        assert_eq!(c.messages, 2, "{name}");
        assert!(c.created_at_ms >= before && c.created_at_ms <= now_ms(), "{name}");
        assert_eq!(c.updated_at_ms, c.created_at_ms, "{name}");
        assert_eq!(
            said(&c),
            vec![(Speaker::Person, "Je cherche un conseiller"), (Speaker::Assistant, "Dans quel département ?")],
            "{name}"
        );
        assert!(c.recent.iter().all(|m| m.at_ms == c.created_at_ms), "{name}");

        let saved = store.append_exchange("c1", 2, 20, r#"{"turn":2}"#, "La Creuse", "Voici trois conseillers.").await;
        assert_eq!(saved.unwrap(), Appended::Saved, "{name}");
        let c = store.conversation("c1", 3).await.unwrap().unwrap();
        assert_eq!(c.messages, 4, "{name}");
        assert_eq!(c.state, r#"{"turn":2}"#, "{name}");
        assert_eq!(
            said(&c),
            vec![
                (Speaker::Assistant, "Dans quel département ?"),
                (Speaker::Person, "La Creuse"),
                (Speaker::Assistant, "Voici trois conseillers."),
            ],
            "{name}: the last three, oldest first"
        );
        assert!(c.updated_at_ms >= c.created_at_ms, "{name}");
        assert_eq!(c.recent[2].at_ms, c.updated_at_ms, "{name}");

        let all = store.conversation("c1", 100).await.unwrap().unwrap();
        assert_eq!(all.recent.len(), 4, "{name}");
        assert_eq!(all.recent[0].text, "Je cherche un conseiller", "{name}");
        let none = store.conversation("c1", 0).await.unwrap().unwrap();
        assert!(none.recent.is_empty(), "{name}");
        assert_eq!(none.messages, 4, "{name}");
        assert_eq!(store.conversation("inconnue", 10).await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn an_exchange_on_a_stale_count_is_a_conflict_and_writes_nothing() {
    for (name, store) in stores().await {
        store.start_conversation("c1", "s1", "bonjour", "bonjour, que cherchez-vous ?").await.unwrap();
        let first = store.append_exchange("c1", 2, 20, "s2", "un financement", "lequel ?").await.unwrap();
        assert_eq!(first, Appended::Saved, "{name}");
        // A second tab still at two messages.
        let stale = store.append_exchange("c1", 2, 20, "s-stale", "autre chose", "pardon ?").await.unwrap();
        assert_eq!(stale, Appended::Conflict, "{name}");
        let c = store.conversation("c1", 10).await.unwrap().unwrap();
        assert_eq!((c.messages, c.state.as_str()), (4, "s2"), "{name}");
        assert_eq!(
            said(&c),
            vec![
                (Speaker::Person, "bonjour"),
                (Speaker::Assistant, "bonjour, que cherchez-vous ?"),
                (Speaker::Person, "un financement"),
                (Speaker::Assistant, "lequel ?"),
            ],
            "{name}"
        );
        assert_eq!(stored_messages(&store, "c1").await, 4, "{name}");
        // A count ahead of the stored one is no better.
        let ahead = store.append_exchange("c1", 6, 20, "s-ahead", "x", "y").await.unwrap();
        assert_eq!(ahead, Appended::Conflict, "{name}");
        // The right count goes on from where it is.
        let next = store.append_exchange("c1", 4, 20, "s3", "en Creuse", "voici").await.unwrap();
        assert_eq!(next, Appended::Saved, "{name}");
        let c = store.conversation("c1", 2).await.unwrap().unwrap();
        assert_eq!((c.messages, c.state.as_str()), (6, "s3"), "{name}");
        assert_eq!(said(&c), vec![(Speaker::Person, "en Creuse"), (Speaker::Assistant, "voici")], "{name}");
    }
}

#[tokio::test]
async fn an_exchange_past_the_maximum_is_full_and_writes_nothing() {
    for (name, store) in stores().await {
        store.start_conversation("c1", "s1", "a", "b").await.unwrap();
        assert_eq!(store.append_exchange("c1", 2, 4, "s2", "c", "d").await.unwrap(), Appended::Saved, "{name}");
        let full = store.append_exchange("c1", 4, 4, "s3", "e", "f").await.unwrap();
        assert_eq!(full, Appended::Full, "{name}");
        // One message short of room is not room for an exchange.
        let short = store.append_exchange("c1", 4, 5, "s3", "e", "f").await.unwrap();
        assert_eq!(short, Appended::Full, "{name}");
        let c = store.conversation("c1", 10).await.unwrap().unwrap();
        assert_eq!((c.messages, c.state.as_str()), (4, "s2"), "{name}");
        assert_eq!(c.recent.last().map(|m| m.text.as_str()), Some("d"), "{name}");
        assert_eq!(stored_messages(&store, "c1").await, 4, "{name}");
        // Exactly up to the maximum is allowed.
        assert_eq!(store.append_exchange("c1", 4, 6, "s3", "e", "f").await.unwrap(), Appended::Saved, "{name}");
        assert_eq!(store.conversation("c1", 0).await.unwrap().unwrap().messages, 6, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exchanges_appended_at_once_on_one_count_save_one() {
    for (name, store) in stores().await {
        store.start_conversation("c1", "s0", "a", "b").await.unwrap();
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(8));
        let tasks: Vec<_> = (0..8)
            .map(|n| {
                let (store, start) = (store.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    store.append_exchange("c1", 2, 20, &format!("s{n}"), &format!("p{n}"), &format!("a{n}")).await
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap().unwrap_or_else(|e| panic!("{name}: {e}")));
        }
        assert_eq!(outcomes.iter().filter(|o| **o == Appended::Saved).count(), 1, "{name}: {outcomes:?}");
        assert_eq!(outcomes.iter().filter(|o| **o == Appended::Conflict).count(), 7, "{name}: {outcomes:?}");
        let c = store.conversation("c1", 10).await.unwrap().unwrap();
        let winner = c.state.trim_start_matches('s');
        assert_eq!(c.messages, 4, "{name}");
        assert_eq!(
            said(&c)[2..],
            [(Speaker::Person, format!("p{winner}").as_str()), (Speaker::Assistant, format!("a{winner}").as_str())],
            "{name}: the messages of the state kept"
        );
    }
}

#[tokio::test]
async fn an_erased_conversation_is_gone_with_its_messages() {
    for (name, store) in stores().await {
        store.start_conversation("c1", "s1", "ancien message", "ancienne réponse").await.unwrap();
        store.append_exchange("c1", 2, 20, "s2", "suite", "réponse").await.unwrap();
        store.start_conversation("c2", "autre", "voisin", "réponse au voisin").await.unwrap();

        assert!(store.erase_conversation("c1").await.unwrap(), "{name}");
        assert_eq!(store.conversation("c1", 10).await.unwrap(), None, "{name}");
        assert_eq!(stored_messages(&store, "c1").await, 0, "{name}");
        assert!(!store.erase_conversation("c1").await.unwrap(), "{name}: erased twice");
        let gone = store.append_exchange("c1", 4, 20, "s3", "encore", "là ?").await.unwrap();
        assert_eq!(gone, Appended::Gone, "{name}");
        assert_eq!(stored_messages(&store, "c1").await, 0, "{name}: Gone writes nothing");
        assert_eq!(store.append_exchange("jamais", 2, 20, "s", "a", "b").await.unwrap(), Appended::Gone, "{name}");

        // The neighbour is untouched.
        let c2 = store.conversation("c2", 10).await.unwrap().unwrap();
        assert_eq!(said(&c2), vec![(Speaker::Person, "voisin"), (Speaker::Assistant, "réponse au voisin")], "{name}");

        // The same id starts clean.
        store.start_conversation("c1", "neuf", "nouveau", "bienvenue").await.unwrap();
        let c1 = store.conversation("c1", 10).await.unwrap().unwrap();
        assert_eq!((c1.messages, c1.state.as_str()), (2, "neuf"), "{name}");
        assert_eq!(said(&c1), vec![(Speaker::Person, "nouveau"), (Speaker::Assistant, "bienvenue")], "{name}");
        assert_eq!(stored_messages(&store, "c1").await, 2, "{name}");
    }
}

#[tokio::test]
async fn the_purge_deletes_only_conversations_idle_since_before_the_cutoff() {
    for (name, store) in stores().await {
        for id in ["ancienne", "reprise", "recente"] {
            store.start_conversation(id, "s", "question", "réponse").await.unwrap();
        }
        // All three started long ago; "recente" was last active at the
        // cutoff itself, which keeps it.
        set_times(&store, "ancienne", 1_000, 1_500).await;
        set_times(&store, "recente", 1_000, 2_000).await;
        // "reprise" was idle too, but an exchange brings it back to now.
        set_times(&store, "reprise", 1_000, 1_500).await;
        assert_eq!(
            store.append_exchange("reprise", 2, 20, "s2", "encore", "oui").await.unwrap(),
            Appended::Saved,
            "{name}"
        );

        assert_eq!(store.purge_conversations_before(2_000).await.unwrap(), 1, "{name}");
        assert_eq!(store.conversation("ancienne", 10).await.unwrap(), None, "{name}");
        assert_eq!(stored_messages(&store, "ancienne").await, 0, "{name}");
        for (id, messages) in [("reprise", 4), ("recente", 2)] {
            let c = store.conversation(id, 10).await.unwrap();
            assert_eq!(c.map(|c| c.messages), Some(messages), "{name}: {id}");
            assert_eq!(stored_messages(&store, id).await, messages, "{name}: {id}");
        }
        assert_eq!(store.purge_conversations_before(2_000).await.unwrap(), 0, "{name}: nothing left to purge");

        // A later cutoff takes what was idle before it, in more than one
        // statement when there are many.
        for n in 0..(PURGE_CHUNK + 5) {
            let id = format!("vieille-{n}");
            store.start_conversation(&id, "s", "q", "r").await.unwrap();
            set_times(&store, &id, 1_000, 2_600).await;
        }
        let purged = store.purge_conversations_before(3_000).await.unwrap();
        assert_eq!(purged, PURGE_CHUNK as u64 + 6, "{name}: the old ones and \"recente\"");
        let left: Vec<String> = sqlx::query_scalar("SELECT id FROM assistant_conversations ORDER BY id")
            .fetch_all(&store.pool)
            .await
            .unwrap();
        assert_eq!(left, vec!["reprise"], "{name}");
        let messages: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM assistant_messages").fetch_one(&store.pool).await.unwrap();
        assert_eq!(messages, 4, "{name}");
    }
}
