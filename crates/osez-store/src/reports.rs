//! Abuse reports sent from adviser profiles, and their moderation.
//!
//! A profile reported by [`HIDE_AFTER`] distinct reporters leaves the
//! directory at once, pending review; a moderator then upholds the reports
//! (the profile stays hidden) or dismisses them (it comes back). Every
//! decision is logged.
//!
//! A reporter is a keyed hash of the client, made by the web layer (the
//! address is never stored). One reporter keeps one open report per
//! profile, and a profile takes at most [`REPORTS_PER_DAY`] reports in 24
//! hours, so that a flood cannot fill the moderation queue.

use osez_core::AdviserId;
use sqlx::Row;

use crate::advisers::bump_version;
use crate::audit::audit;
use crate::contacts::spend;
use crate::{SpentChallenge, Store, StoreError, now_ms};

/// Open reports, from distinct reporters, that hide a profile pending
/// review.
pub const HIDE_AFTER: i64 = 3;
/// Reports one profile takes in 24 hours; more are refused.
pub const REPORTS_PER_DAY: i64 = 20;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// A report, as the web layer checked it.
#[derive(Debug, Clone, Copy)]
pub struct NewReport<'a> {
    pub adviser: &'a AdviserId,
    pub reason: &'a str,
    pub message: &'a str,
    /// Keyed hash of the client who reports (never its address).
    pub reporter: &'a str,
}

/// What recording a report did. Only `Saved` wrote anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOutcome {
    /// Saved; `hid_profile`: this report hid the profile.
    Saved { hid_profile: bool },
    /// This reporter already has an open report of this profile.
    AlreadyReported,
    /// The profile took [`REPORTS_PER_DAY`] reports in the last 24 hours.
    DailyCapReached,
    /// The anti-spam challenge was used before.
    Replayed,
    /// No such profile.
    UnknownProfile,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbuseReport {
    pub id: i64,
    pub reason: String,
    pub message: String,
    /// Keyed hash of the reporter; reports made before reporters were
    /// known have one of their own.
    pub reporter: Option<String>,
    pub created_at_ms: i64,
}

/// A profile waiting for a moderator: reported, hidden, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModerationCase {
    pub adviser_id: String,
    pub name: String,
    pub hidden: bool,
    /// Open reports, oldest first.
    pub reports: Vec<AbuseReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The reports are founded: the profile stays (or becomes) hidden.
    Uphold,
    /// The reports are not founded: the profile is shown again.
    Dismiss,
}

impl Decision {
    fn status(self) -> &'static str {
        match self {
            Decision::Uphold => "upheld",
            Decision::Dismiss => "dismissed",
        }
    }
}

fn visibility(hidden: bool) -> &'static str {
    if hidden { "{\"masque\":true}" } else { "{\"masque\":false}" }
}

impl Store {
    /// Records a report and spends its anti-spam challenge, in one
    /// transaction; the report that brings the open ones to
    /// [`HIDE_AFTER`] distinct reporters hides the profile in the same
    /// transaction. Nothing is written unless the outcome is `Saved`.
    pub async fn record_abuse_report(
        &self,
        report: &NewReport<'_>,
        challenge: &SpentChallenge,
    ) -> Result<ReportOutcome, StoreError> {
        let now = now_ms();
        let adviser = report.adviser.as_str();
        let mut tx = self.pool.begin().await?;
        // Write first (on SQLite a transaction that reads then writes fails
        // at once if another write committed in between), and lock the
        // profile's row on PostgreSQL: reports of one profile are then
        // counted one after the other, so two at once cannot both pass the
        // daily cap or both miss the threshold.
        let exists = sqlx::query("UPDATE advisers SET hidden = hidden WHERE id = $1")
            .bind(adviser)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        // Returning early drops the transaction: nothing is kept.
        if !exists {
            return Ok(ReportOutcome::UnknownProfile);
        }
        if !spend(&mut tx, challenge).await? {
            return Ok(ReportOutcome::Replayed);
        }
        let recent: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM abuse_reports WHERE adviser_id = $1 AND created_at > $2")
                .bind(adviser)
                .bind(now - DAY_MS)
                .fetch_one(&mut *tx)
                .await?;
        if recent >= REPORTS_PER_DAY {
            return Ok(ReportOutcome::DailyCapReached);
        }
        // The unique index on open reports (adviser, reporter) decides.
        let inserted = sqlx::query(
            "INSERT INTO abuse_reports (adviser_id, reason, message, reporter, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(adviser)
        .bind(report.reason)
        .bind(report.message)
        .bind(report.reporter)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(ReportOutcome::AlreadyReported);
        }
        let reporters: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT reporter) FROM abuse_reports WHERE adviser_id = $1 AND status = 'open'",
        )
        .bind(adviser)
        .fetch_one(&mut *tx)
        .await?;
        let mut hid_profile = false;
        if reporters >= HIDE_AFTER {
            hid_profile = sqlx::query("UPDATE advisers SET hidden = 1 WHERE id = $1 AND hidden = 0")
                .bind(adviser)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0;
            if hid_profile {
                let after = format!("{{\"masque\":true,\"signalements_ouverts\":{reporters}}}");
                audit(
                    &mut tx,
                    "systeme",
                    "moderation.masquage_automatique",
                    adviser,
                    Some(visibility(false)),
                    Some(&after),
                )
                .await?;
                bump_version(&mut tx).await?;
            }
        }
        tx.commit().await?;
        Ok(ReportOutcome::Saved { hid_profile })
    }

    pub async fn abuse_report_count(&self, adviser: &AdviserId) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM abuse_reports WHERE adviser_id = $1")
            .bind(adviser.as_str())
            .fetch_one(&self.pool)
            .await?)
    }

    /// How many profiles wait for a moderator (hidden, or with open
    /// reports): what [`Store::moderation_queue`] would list, counted in SQL.
    pub async fn moderation_case_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT id FROM advisers WHERE hidden = 1 \
             UNION SELECT adviser_id FROM abuse_reports WHERE status = 'open') AS cases",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Profiles with open reports or hidden, hidden ones first, then the
    /// most reported.
    pub async fn moderation_queue(&self) -> Result<Vec<ModerationCase>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id AS adviser_id, a.name, a.hidden, r.id AS report_id, r.reason, r.message, r.reporter, r.created_at \
             FROM advisers a LEFT JOIN abuse_reports r ON r.adviser_id = a.id AND r.status = 'open' \
             WHERE a.hidden = 1 OR r.id IS NOT NULL \
             ORDER BY a.id, r.created_at, r.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut cases: Vec<ModerationCase> = Vec::new();
        for r in &rows {
            let id: String = r.try_get("adviser_id")?;
            if cases.last().is_none_or(|c| c.adviser_id != id) {
                cases.push(ModerationCase {
                    adviser_id: id,
                    name: r.try_get("name")?,
                    hidden: r.try_get::<i64, _>("hidden")? != 0,
                    reports: Vec::new(),
                });
            }
            if let Some(report_id) = r.try_get::<Option<i64>, _>("report_id")? {
                let case = cases.last_mut().expect("pushed above");
                case.reports.push(AbuseReport {
                    id: report_id,
                    reason: r.try_get("reason")?,
                    message: r.try_get("message")?,
                    reporter: r.try_get("reporter")?,
                    created_at_ms: r.try_get("created_at")?,
                });
            }
        }
        cases.sort_by(|a, b| b.hidden.cmp(&a.hidden).then(b.reports.len().cmp(&a.reports.len())));
        Ok(cases)
    }

    /// Decides every open report of a profile and sets its visibility
    /// accordingly, logged with the moderator's note. False when the
    /// profile does not exist.
    pub async fn decide_reports(
        &self,
        adviser: &AdviserId,
        decision: Decision,
        actor: &str,
        note: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Write first: on SQLite a transaction that reads then writes fails
        // at once (busy) if another write committed in between.
        let decided = sqlx::query(
            "UPDATE abuse_reports SET status = $1, decided_at = $2, decided_by = $3 \
             WHERE adviser_id = $4 AND status = 'open'",
        )
        .bind(decision.status())
        .bind(now_ms())
        .bind(actor)
        .bind(adviser.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let hidden: Option<i64> = sqlx::query_scalar("SELECT hidden FROM advisers WHERE id = $1")
            .bind(adviser.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        // No such profile: nothing was decided (the transaction rolls back).
        let Some(hidden) = hidden else { return Ok(false) };
        let was_hidden = hidden != 0;
        let now_hidden = decision == Decision::Uphold;
        if now_hidden != was_hidden {
            sqlx::query("UPDATE advisers SET hidden = $1 WHERE id = $2")
                .bind(i64::from(now_hidden))
                .bind(adviser.as_str())
                .execute(&mut *tx)
                .await?;
            bump_version(&mut tx).await?;
        }
        let action = match decision {
            Decision::Uphold => "moderation.signalements_retenus",
            Decision::Dismiss => "moderation.signalements_rejetes",
        };
        let after = serde_json::json!({ "masque": now_hidden, "signalements_decides": decided, "note": note });
        audit(&mut tx, actor, action, adviser.as_str(), Some(visibility(was_hidden)), Some(&after.to_string())).await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::stores;
    use osez_core::{Geography, demo};

    /// A fresh challenge each time, unless a test reuses one on purpose.
    fn challenge(key: &str) -> SpentChallenge {
        SpentChallenge { key: key.into(), expires_at_ms: now_ms() + 60_000 }
    }

    async fn report(store: &Store, adviser: &AdviserId, reporter: &str, message: &str) -> ReportOutcome {
        let key = format!("{}:{reporter}:{message}", adviser.as_str());
        let r = NewReport { adviser, reason: "demarchage", message, reporter };
        store.record_abuse_report(&r, &challenge(&key)).await.unwrap()
    }

    const SAVED: ReportOutcome = ReportOutcome::Saved { hid_profile: false };
    const HID: ReportOutcome = ReportOutcome::Saved { hid_profile: true };

    #[tokio::test]
    async fn three_reporters_hide_a_profile_until_a_moderator_decides() {
        let geo = Geography::embedded().unwrap();
        let advisers: Vec<_> = demo::generate(&geo, 1).into_iter().take(2).collect();
        let (a, b) = (&advisers[0].id, &advisers[1].id);
        for (name, store) in stores().await {
            store.upsert_advisers(&advisers).await.unwrap();
            let v0 = store.advisers_version().await.unwrap();
            assert_eq!(store.moderation_case_count().await.unwrap(), 0, "{name}");
            assert_eq!(report(&store, a, "r1", "n°1").await, SAVED, "{name}");
            // One reporter, one open report per profile, however often.
            assert_eq!(report(&store, a, "r1", "encore").await, ReportOutcome::AlreadyReported, "{name}");
            assert_eq!(report(&store, a, "r1", "et encore").await, ReportOutcome::AlreadyReported, "{name}");
            assert_eq!(report(&store, a, "r2", "n°2").await, SAVED, "{name}");
            assert_eq!(report(&store, b, "r1", "").await, SAVED, "{name}: another profile");
            assert_eq!(store.listed_advisers().await.unwrap().len(), 2, "{name}");
            assert_eq!(report(&store, a, "r3", "n°3").await, HID, "{name}");
            assert_eq!(report(&store, a, "r4", "n°4").await, SAVED, "{name}: hidden already");
            let listed = store.listed_advisers().await.unwrap();
            assert_eq!(listed.len(), 1, "{name}: hidden from the directory");
            assert_eq!(&listed[0].id, b);
            assert_eq!(store.all_advisers().await.unwrap().len(), 2, "{name}: kept in the database");
            assert!(store.advisers_version().await.unwrap() > v0, "{name}: the index must be rebuilt");

            let queue = store.moderation_queue().await.unwrap();
            assert_eq!(queue.len(), 2, "{name}");
            assert_eq!(store.moderation_case_count().await.unwrap(), 2, "{name}: the count is the queue's");
            assert_eq!(&queue[0].adviser_id, a.as_str(), "{name}: hidden first");
            assert!(queue[0].hidden);
            assert_eq!(queue[0].reports.len(), 4);
            assert_eq!(queue[0].reports[0].message, "n°1", "{name}: oldest first");
            assert_eq!(queue[0].reports[0].reporter.as_deref(), Some("r1"), "{name}");
            assert_eq!(queue[1].reports.len(), 1);

            assert!(store.decide_reports(a, Decision::Dismiss, "moderatrice@exemple.fr", "RAS").await.unwrap());
            assert_eq!(store.listed_advisers().await.unwrap().len(), 2, "{name}: shown again");
            let queue = store.moderation_queue().await.unwrap();
            assert_eq!(queue.len(), 1, "{name}: decided reports leave the queue");
            assert_eq!(store.moderation_case_count().await.unwrap(), 1, "{name}");
            store.decide_reports(b, Decision::Uphold, "moderatrice@exemple.fr", "Démarchage avéré").await.unwrap();
            let queue = store.moderation_queue().await.unwrap();
            assert_eq!(queue.len(), 1, "{name}: a hidden profile stays in view");
            assert_eq!(store.moderation_case_count().await.unwrap(), 1, "{name}");
            assert!(queue[0].hidden && queue[0].reports.is_empty());
            // Decided reports no longer count towards hiding, and their
            // reporters may report again.
            store.decide_reports(b, Decision::Dismiss, "moderatrice@exemple.fr", "Republié").await.unwrap();
            assert_eq!(report(&store, a, "r1", "de nouveau").await, SAVED, "{name}");
            assert_eq!(store.listed_advisers().await.unwrap().len(), 2, "{name}");
            let unknown = AdviserId::parse("inconnu").unwrap();
            assert!(!store.decide_reports(&unknown, Decision::Uphold, "x", "").await.unwrap());
            assert_eq!(report(&store, &unknown, "r1", "").await, ReportOutcome::UnknownProfile, "{name}");

            let log = store.audit_entries(10).await.unwrap();
            let actions: Vec<_> = log.iter().rev().map(|e| e.action.as_str()).collect();
            assert_eq!(
                actions,
                [
                    "moderation.masquage_automatique",
                    "moderation.signalements_rejetes",
                    "moderation.signalements_retenus",
                    "moderation.signalements_rejetes"
                ],
                "{name}"
            );
            assert_eq!(log[3].actor, "systeme");
            assert!(log[2].after.as_deref().unwrap().contains("RAS"), "{name}");
        }
    }

    #[tokio::test]
    async fn a_report_spends_its_challenge_and_a_flood_is_capped() {
        let geo = Geography::embedded().unwrap();
        let advisers: Vec<_> = demo::generate(&geo, 1).into_iter().take(2).collect();
        let (a, b) = (&advisers[0].id, &advisers[1].id);
        for (name, store) in stores().await {
            store.upsert_advisers(&advisers).await.unwrap();
            let once = challenge("altcha:une-fois");
            let r = |reporter| NewReport { adviser: a, reason: "autre", message: "", reporter };
            assert_eq!(store.record_abuse_report(&r("r1"), &once).await.unwrap(), SAVED, "{name}");
            assert_eq!(store.record_abuse_report(&r("r2"), &once).await.unwrap(), ReportOutcome::Replayed, "{name}");
            // A report refused as a duplicate spends nothing.
            let dup = challenge("altcha:doublon");
            assert_eq!(store.record_abuse_report(&r("r1"), &dup).await.unwrap(), ReportOutcome::AlreadyReported);
            assert!(store.spend_challenge(&dup).await.unwrap(), "{name}: rolled back");
            assert_eq!(store.abuse_report_count(a).await.unwrap(), 1, "{name}");

            for i in 2..=REPORTS_PER_DAY {
                assert!(matches!(report(&store, a, &format!("r{i}"), "x").await, ReportOutcome::Saved { .. }));
            }
            let late = challenge("altcha:tard");
            let outcome = store.record_abuse_report(&r("de-trop"), &late).await.unwrap();
            assert_eq!(outcome, ReportOutcome::DailyCapReached, "{name}");
            assert!(store.spend_challenge(&late).await.unwrap(), "{name}: nothing written");
            assert_eq!(store.abuse_report_count(a).await.unwrap(), REPORTS_PER_DAY, "{name}");
            // Decided reports still count: the cap is on what came in.
            store.decide_reports(a, Decision::Dismiss, "moderatrice@exemple.fr", "").await.unwrap();
            assert_eq!(report(&store, a, "de-trop", "x").await, ReportOutcome::DailyCapReached, "{name}");
            assert_eq!(report(&store, b, "de-trop", "x").await, SAVED, "{name}: per profile");
        }
    }
}
