//! Changes that other nodes must follow (the directory, the published
//! resources). Every change bumps a version counter in `meta`, in the
//! transaction that makes it; on PostgreSQL the same transaction sends a
//! notification, delivered to every listening node when it commits (and
//! never if it rolls back). A node that missed notifications (its listening
//! connection lost, or the node down) compares the versions again, so the
//! versions stay the truth and the notifications only say when to look.

use std::time::Duration;

use sqlx::postgres::PgListener;

use crate::{Backend, Store, StoreError};

/// The channel of the notifications; the payload is the changed counter.
pub(crate) const CHANNEL: &str = "osez_changes";

/// What a node hears from [`Changes::next`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// A change of the counter named, committed by some node.
    Changed(String),
    /// The listening connection was lost and is made again: changes may
    /// have been missed meanwhile, compare the versions.
    Reconnected,
}

/// Notifications of the changes committed by any node (PostgreSQL).
pub struct Changes {
    url: String,
    /// `None` after an error: made again by the next [`Changes::next`].
    listener: Option<PgListener>,
    /// The loss was logged: once per outage is enough.
    warned: bool,
}

/// A listening connection of its own; an attempt gives up after 2 s (sqlx
/// would otherwise retry a refused connection for 30 s).
async fn listener(url: &str) -> Result<PgListener, sqlx::Error> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(2))
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy(url)?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

impl Store {
    /// Listens to the changes every node commits; `None` on SQLite, where
    /// one node serves and other processes (an import) are followed by
    /// comparing versions now and then.
    pub async fn listen_changes(&self) -> Result<Option<Changes>, StoreError> {
        let (Backend::Postgres, Some(url)) = (self.backend, self.url.as_deref()) else {
            return Ok(None);
        };
        // Not listening yet (the database away at this very moment): the
        // first `next` keeps trying, every second.
        let listener = match listener(url).await {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::warn!(error = %e, "change notifications: cannot listen yet; retrying every second");
                None
            }
        };
        let warned = listener.is_none();
        Ok(Some(Changes { url: url.to_owned(), listener, warned }))
    }
}

impl Changes {
    /// Waits for the next change, or for the listening connection to be
    /// back after it was lost. While the database is down it tries again
    /// every second.
    pub async fn next(&mut self) -> Heard {
        loop {
            let Some(current) = self.listener.as_mut() else {
                match listener(&self.url).await {
                    Ok(l) => {
                        self.listener = Some(l);
                        self.warned = false;
                        tracing::info!("change notifications: listening again");
                        return Heard::Reconnected;
                    }
                    Err(_) => {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                }
            };
            match current.try_recv().await {
                Ok(Some(n)) => return Heard::Changed(n.payload().to_owned()),
                // Lost, and listening again already (sqlx reconnects
                // eagerly): what was sent meanwhile is gone.
                Ok(None) => return Heard::Reconnected,
                Err(e) => {
                    if !std::mem::replace(&mut self.warned, true) {
                        tracing::warn!(error = %e, "change notifications: connection lost; retrying every second");
                    }
                    self.listener = None;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

/// Sends the notification of a change of `key` with the caller's
/// transaction (PostgreSQL only): delivered when it commits.
pub(crate) async fn notify(tx: &mut sqlx::Transaction<'_, sqlx::Any>, key: &str) -> Result<(), StoreError> {
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(key).execute(&mut **tx).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::stores;

    async fn bump(store: &Store, key: &str, commit: bool) {
        let mut tx = store.pool.begin().await.unwrap();
        crate::bump_counter(&mut tx, key).await.unwrap();
        if commit {
            tx.commit().await.unwrap();
        } else {
            tx.rollback().await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_node_hears_what_another_commits_and_only_that() {
        for (backend, store) in stores().await {
            let Some(mut changes) = store.listen_changes().await.unwrap() else {
                assert_eq!(backend, "sqlite", "only SQLite has no notifications");
                continue;
            };
            // Another node: its own pool on the same database.
            let other = Store::connect(store.url.as_deref().unwrap()).await.unwrap();
            bump(&other, "rolled_back", false).await;
            bump(&other, "advisers_version", true).await;
            let heard = tokio::time::timeout(Duration::from_secs(10), changes.next()).await.expect("no notification");
            assert_eq!(heard, Heard::Changed("advisers_version".into()));
            other.close().await;
        }
    }

    /// A node that starts listening while the database is away keeps
    /// trying, and hears the changes once it is back.
    #[tokio::test]
    async fn listening_begins_when_the_database_comes_back() {
        for (backend, store) in stores().await {
            if backend == "sqlite" {
                continue;
            }
            // The database seen through a port where nothing listens yet.
            let url = store.url.as_deref().unwrap().to_owned();
            let (head, tail) = url.split_once('@').unwrap();
            let (host, db) = tail.split_once('/').unwrap();
            let target = tokio::net::lookup_host(host).await.unwrap().next().unwrap();
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let mut away = store.clone();
            away.url = Some(format!("{head}@127.0.0.1:{port}/{db}").into());
            let mut changes = away.listen_changes().await.unwrap().expect("listening, or trying to");
            let heard = tokio::spawn(async move {
                let first = changes.next().await;
                let second = changes.next().await;
                (first, second)
            });
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            // The database comes back: a relay opens on that port.
            let relay = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
            tokio::spawn(async move {
                while let Ok((mut client, _)) = relay.accept().await {
                    tokio::spawn(async move {
                        if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                }
            });
            // Bumps until the listener, once back, hears one.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            while !heard.is_finished() {
                assert!(tokio::time::Instant::now() < deadline, "never heard after the database came back");
                bump(&store, "resources_version", true).await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let (first, second) = heard.await.unwrap();
            assert_eq!(first, Heard::Reconnected);
            assert_eq!(second, Heard::Changed("resources_version".into()));
        }
    }
}
