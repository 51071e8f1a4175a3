//! The limits every node of a deployment shares: counted in the database
//! (`osez_store::Store::count_hit`), under keys that are pseudonyms made
//! with the shared form key, so that no address or e-mail is stored. The
//! per-minute limits of [`crate::kit::limits`] stay in each node's memory.

use std::net::IpAddr;

use osez_store::{Store, StoreError};

use crate::kit::limits::Limits;
use crate::kit::tokens::{Secrets, client_pseudonym, now_ms, text_pseudonym};

/// What the shared limits are counted in, and how their keys are made.
#[derive(Clone, Copy)]
pub(crate) struct Shared<'a> {
    pub store: &'a Store,
    pub secrets: &'a Secrets,
}

impl Shared<'_> {
    /// Counts a public form `form` sent by `ip`; the seconds to wait if
    /// there were too many this hour (on every node together).
    pub(crate) async fn public_form_wait(
        self,
        limits: &Limits,
        form: &'static str,
        ip: IpAddr,
    ) -> Result<Option<u64>, StoreError> {
        let key = format!("formulaire:{form}:ip:{}", &client_pseudonym(self.secrets, "limites", 0, ip)[..32]);
        self.wait(&key, limits.contacts_per_hour).await
    }

    /// Counts a public form `form` sent for the e-mail address `person`
    /// (compared without case); the seconds to wait if there were too many.
    pub(crate) async fn person_wait(
        self,
        limits: &Limits,
        form: &'static str,
        person: &str,
    ) -> Result<Option<u64>, StoreError> {
        let person = text_pseudonym(self.secrets, "limites", &person.trim().to_lowercase());
        self.wait(&format!("formulaire:{form}:personne:{person}"), limits.contacts_per_hour).await
    }

    /// Counts a new anonymous participant from `ip`; the seconds to wait
    /// if there were too many this hour (on every node together).
    pub(crate) async fn new_participant_wait(self, limits: &Limits, ip: IpAddr) -> Result<Option<u64>, StoreError> {
        let key = format!("participants:ip:{}", &client_pseudonym(self.secrets, "limites", 0, ip)[..32]);
        self.wait(&key, limits.participants_per_hour).await
    }

    /// Counts a hit of `key`; the seconds to wait if it passed `per_hour`.
    async fn wait(self, key: &str, per_hour: u32) -> Result<Option<u64>, StoreError> {
        if per_hour == 0 {
            return Ok(None);
        }
        let state = self.store.count_hit(key, 3_600_000, per_hour, now_ms()).await?;
        Ok((state.wait_ms > 0).then(|| (state.wait_ms as u64).div_ceil(1000).max(1)))
    }
}
