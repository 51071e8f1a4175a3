//! Password hashing off the async runtime (a bounded pool, a French 503
//! when it is full) and the counters of failed sign-ins.

use std::net::IpAddr;

use osez_store::{Store, StoreError};

use axum::http::StatusCode;
use axum::http::{HeaderValue, header};
use axum::response::Response;

use crate::kit::error::{ErrorPage, render};
use crate::kit::page::Base;
use crate::kit::pool::{CpuPool, PoolError};
use crate::kit::tokens::{Secrets, client_pseudonym, now_ms, text_pseudonym};

/// Failed sign-ins allowed per account and per address in a minute.
pub const MAX_FAILURES_PER_MINUTE: u32 = 5;

/// What `Retry-After` says when the password workers are all busy.
pub const PASSWORD_RETRY_AFTER_SECS: u64 = 5;

/// Argon2id hashing and checking (19 MiB each), at most one per core at a
/// time, off the async runtime: a flood of sign-ins cannot take the memory.
pub struct PasswordWork {
    pool: CpuPool,
    /// Checked against when the account does not exist, so that a wrong
    /// address takes as long as a wrong password; computed at start.
    decoy: String,
}

/// The password workers stayed busy, or the work panicked.
pub type PasswordWorkError = PoolError;

impl PasswordWork {
    /// `workers`: how many hashes may run at once; `None` is one per core.
    pub fn new(workers: Option<usize>) -> Self {
        PasswordWork { pool: CpuPool::new(workers), decoy: osez_core::account::decoy_hash().to_string() }
    }

    pub fn decoy(&self) -> &str {
        &self.decoy
    }

    /// Runs `work` on the blocking pool once a worker is free.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PasswordWorkError> {
        self.pool.run(work).await
    }
}

/// The French 503 of a sign-in (or any password form) while every password
/// worker is busy.
pub fn busy_page() -> Response {
    let page = ErrorPage {
        title: "Service très demandé",
        message: format!(
            "Trop de connexions sont en cours en ce moment. Réessayez dans {PASSWORD_RETRY_AFTER_SECS} secondes : \
             rien n'a été enregistré."
        ),
        base: Base::bare(),
    };
    let mut res = render(StatusCode::SERVICE_UNAVAILABLE, &page);
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(PASSWORD_RETRY_AFTER_SECS));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Failed sign-ins of the last minute, per account and per address (an
/// IPv6 client by its /64: one host holds 2^64 addresses), counted in the
/// database so that the limit holds for the platform and not per node.
/// The keys are pseudonyms: no address is stored.
fn failure_keys(secrets: &Secrets, email: &str, ip: IpAddr) -> [String; 2] {
    [
        format!("connexion:compte:{}", text_pseudonym(secrets, "connexion", email)),
        format!("connexion:ip:{}", &client_pseudonym(secrets, "connexion", 0, ip)[..32]),
    ]
}

/// True when the account or the address already failed too often.
pub async fn sign_in_blocked(store: &Store, secrets: &Secrets, email: &str, ip: IpAddr) -> Result<bool, StoreError> {
    let now = now_ms();
    for key in failure_keys(secrets, email, ip) {
        if store.peek_hits(&key, 60_000, MAX_FAILURES_PER_MINUTE, now).await?.wait_ms > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Counts a failed sign-in of `email` from `ip`.
pub async fn record_sign_in_failure(
    store: &Store,
    secrets: &Secrets,
    email: &str,
    ip: IpAddr,
) -> Result<(), StoreError> {
    let now = now_ms();
    for key in failure_keys(secrets, email, ip) {
        store.count_hit(&key, 60_000, MAX_FAILURES_PER_MINUTE, now).await?;
    }
    Ok(())
}
