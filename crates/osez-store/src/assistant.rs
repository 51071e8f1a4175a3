//! Conversations with the assistant: each anonymous conversation's dialogue
//! state and messages, kept until the retention purge. The texts arrive
//! already scrubbed of personal data; the store keeps them as they come.

use sqlx::Row;

use crate::{Store, StoreError, now_ms};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    Person,
    Assistant,
}

impl Speaker {
    fn slug(self) -> &'static str {
        match self {
            Speaker::Person => "person",
            Speaker::Assistant => "assistant",
        }
    }

    fn from_slug(s: &str) -> Option<Self> {
        [Speaker::Person, Speaker::Assistant].into_iter().find(|k| k.slug() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationMessage {
    pub speaker: Speaker,
    pub text: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: String,
    /// The dialogue state, JSON written by the assistant.
    pub state: String,
    /// Messages kept so far (both speakers).
    pub messages: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// The last messages, oldest first (at most the `last` asked for).
    pub recent: Vec<ConversationMessage>,
}

/// What became of an exchange appended to a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    Saved,
    /// No such conversation (erased, purged, or never started).
    Gone,
    /// The exchange would take the conversation past its maximum.
    Full,
    /// Someone appended since the count was read.
    Conflict,
}

/// Conversations deleted by one statement of the purge: one parameter
/// each, far below the limits of both backends.
const PURGE_CHUNK: usize = 300;

/// Writes the person's message as `seq` and the assistant's as `seq + 1`.
async fn insert_exchange(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    seq: i64,
    person: &str,
    assistant: &str,
    at_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO assistant_messages (conversation_id, seq, role, text, created_at) \
         VALUES ($1, $2, $3, $4, $5), ($1, $6, $7, $8, $5)",
    )
    .bind(id)
    .bind(seq)
    .bind(Speaker::Person.slug())
    .bind(person)
    .bind(at_ms)
    .bind(seq + 1)
    .bind(Speaker::Assistant.slug())
    .bind(assistant)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Records a new conversation with its first exchange. The caller draws
    /// `id` at random; an id already taken is a database error.
    pub async fn start_conversation(
        &self,
        id: &str,
        state: &str,
        person: &str,
        assistant: &str,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO assistant_conversations (id, state, messages, created_at, updated_at) \
             VALUES ($1, $2, 2, $3, $3)",
        )
        .bind(id)
        .bind(state)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        insert_exchange(&mut tx, id, 1, person, assistant, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The conversation and its `last` most recent messages, oldest first.
    pub async fn conversation(&self, id: &str, last: usize) -> Result<Option<Conversation>, StoreError> {
        let row =
            sqlx::query("SELECT state, messages, created_at, updated_at FROM assistant_conversations WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let messages: i64 = row.try_get("messages")?;
        // Up to the count just read: an exchange appended between the two
        // queries would otherwise show messages the state has not seen.
        let rows = sqlx::query(
            "SELECT role, text, created_at FROM assistant_messages \
             WHERE conversation_id = $1 AND seq <= $2 ORDER BY seq DESC LIMIT $3",
        )
        .bind(id)
        .bind(messages)
        .bind(i64::try_from(last).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        let mut recent = rows
            .iter()
            .map(|r| {
                let role: String = r.try_get("role")?;
                Ok(ConversationMessage {
                    speaker: Speaker::from_slug(&role).ok_or_else(|| StoreError::Corrupt {
                        id: format!("assistant conversation {id}"),
                        reason: format!("role {role:?}"),
                    })?,
                    text: r.try_get("text")?,
                    at_ms: r.try_get("created_at")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        recent.reverse();
        Ok(Some(Conversation {
            id: id.to_owned(),
            state: row.try_get("state")?,
            messages,
            created_at_ms: row.try_get("created_at")?,
            updated_at_ms: row.try_get("updated_at")?,
            recent,
        }))
    }

    /// Appends an exchange to a conversation read at `seen_messages`
    /// messages, and replaces its state, unless that would pass
    /// `max_messages`. Nothing is written unless it is `Saved`.
    pub async fn append_exchange(
        &self,
        id: &str,
        seen_messages: i64,
        max_messages: i64,
        state: &str,
        person: &str,
        assistant: &str,
    ) -> Result<Appended, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        // Write first (see `update_contact`). The count in the WHERE is the
        // lock: of two appends read at one count, the second finds it
        // changed, so two exchanges never share a `seq`.
        let updated = sqlx::query(
            "UPDATE assistant_conversations SET state = $1, messages = messages + 2, updated_at = $2 \
             WHERE id = $3 AND messages = $4 AND messages + 2 <= $5",
        )
        .bind(state)
        .bind(now)
        .bind(id)
        .bind(seen_messages)
        .bind(max_messages)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            let messages: Option<i64> =
                sqlx::query_scalar("SELECT messages FROM assistant_conversations WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            tx.rollback().await?;
            return Ok(match messages {
                None => Appended::Gone,
                Some(m) if m.saturating_add(2) > max_messages => Appended::Full,
                Some(_) => Appended::Conflict,
            });
        }
        insert_exchange(&mut tx, id, seen_messages + 1, person, assistant, now).await?;
        tx.commit().await?;
        Ok(Appended::Saved)
    }

    /// Deletes a conversation and its messages; false if there was none.
    pub async fn erase_conversation(&self, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The row is taken first (see `purge_conversations_before`).
        let taken = sqlx::query("UPDATE assistant_conversations SET messages = messages WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if taken == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("DELETE FROM assistant_messages WHERE conversation_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM assistant_conversations WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes the conversations with no message since `cutoff_ms`, and
    /// their messages; returns how many conversations.
    ///
    /// The rows are taken first, by an UPDATE that changes nothing: on
    /// PostgreSQL it locks them, so an exchange appended meanwhile either
    /// committed before (the conversation is recent again and stays) or
    /// waits and then finds it gone; it never adds messages between the
    /// deletes of messages and of conversations. SQLite has one writer at a
    /// time, which gives the same. Rejected: `SELECT … FOR UPDATE`, which
    /// SQLite lacks; relying on `ON DELETE CASCADE` alone, which SQLite
    /// honours only with its foreign keys on.
    ///
    /// One transaction for the whole purge, holding only the ids in memory.
    pub async fn purge_conversations_before(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "UPDATE assistant_conversations SET messages = messages WHERE updated_at < $1 RETURNING id",
        )
        .bind(cutoff_ms)
        .fetch_all(&mut *tx)
        .await?;
        let mut purged = 0;
        for chunk in ids.chunks(PURGE_CHUNK) {
            let list = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
            let messages = format!("DELETE FROM assistant_messages WHERE conversation_id IN ({list})");
            let conversations = format!("DELETE FROM assistant_conversations WHERE id IN ({list})");
            let mut q = sqlx::query(&messages);
            for id in chunk {
                q = q.bind(id.as_str());
            }
            q.execute(&mut *tx).await?;
            let mut q = sqlx::query(&conversations);
            for id in chunk {
                q = q.bind(id.as_str());
            }
            purged += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(purged)
    }
}

#[cfg(test)]
mod tests;
