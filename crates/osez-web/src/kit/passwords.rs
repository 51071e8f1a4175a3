//! Password hashing off the async runtime (a bounded pool, a French 503
//! when it is full) and the counters of failed sign-ins.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::http::{HeaderValue, header};
use axum::response::Response;

use crate::kit::error::{ErrorPage, render};
use crate::kit::limits::client_key;
use crate::kit::page::Base;
use crate::kit::pool::{CpuPool, PoolError};

/// Failed sign-ins allowed per account and per address in a minute.
pub const MAX_FAILURES_PER_MINUTE: usize = 5;

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

/// Failed sign-ins of the last minute, per account and per address.
#[derive(Default)]
pub struct Failures {
    recent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Failures {
    fn keys(email: &str, ip: IpAddr) -> [String; 2] {
        // An IPv6 client is its /64: one host holds 2^64 addresses.
        [format!("compte:{email}"), format!("ip:{}", client_key(ip))]
    }

    /// True when the account or the address already failed too often.
    pub fn blocked(&self, email: &str, ip: IpAddr) -> bool {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        Self::keys(email, ip).iter().any(|k| {
            let list = recent.entry(k.clone()).or_default();
            while list.front().is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60)) {
                list.pop_front();
            }
            list.len() >= MAX_FAILURES_PER_MINUTE
        })
    }

    pub fn record(&self, email: &str, ip: IpAddr) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        for k in Self::keys(email, ip) {
            recent.entry(k).or_default().push_back(Instant::now());
        }
    }

    /// Forgets keys with no failure in the last minute.
    pub fn forget_idle(&self) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        recent.retain(|_, list| list.back().is_some_and(|t| now.duration_since(*t) <= Duration::from_secs(60)));
    }
}
