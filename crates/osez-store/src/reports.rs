//! Abuse reports sent from adviser profiles, and their moderation.
//!
//! A profile with [`HIDE_AFTER`] open reports leaves the directory at once,
//! pending review; a moderator then upholds the reports (the profile stays
//! hidden) or dismisses them (it comes back). Every decision is logged.

use osez_core::AdviserId;
use sqlx::Row;

use crate::accounts::audit;
use crate::advisers::bump_version;
use crate::{Store, StoreError, now_ms};

/// Open reports that hide a profile pending review.
pub const HIDE_AFTER: i64 = 3;

/// What recording a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportOutcome {
    /// This report hid the profile.
    pub hid_profile: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbuseReport {
    pub id: i64,
    pub reason: String,
    pub message: String,
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
    /// Records a report; the third open one hides the profile, in the same
    /// transaction.
    pub async fn record_abuse_report(
        &self,
        adviser: &AdviserId,
        reason: &str,
        message: &str,
    ) -> Result<ReportOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO abuse_reports (adviser_id, reason, message, created_at) VALUES ($1, $2, $3, $4)")
            .bind(adviser.as_str())
            .bind(reason)
            .bind(message)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        let open: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM abuse_reports WHERE adviser_id = $1 AND status = 'open'")
                .bind(adviser.as_str())
                .fetch_one(&mut *tx)
                .await?;
        let mut hid_profile = false;
        if open >= HIDE_AFTER {
            hid_profile = sqlx::query("UPDATE advisers SET hidden = 1 WHERE id = $1 AND hidden = 0")
                .bind(adviser.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0;
            if hid_profile {
                let after = format!("{{\"masque\":true,\"signalements_ouverts\":{open}}}");
                audit(
                    &mut tx,
                    "systeme",
                    "moderation.masquage_automatique",
                    adviser.as_str(),
                    Some(visibility(false)),
                    Some(&after),
                )
                .await?;
                bump_version(&mut tx).await?;
            }
        }
        tx.commit().await?;
        Ok(ReportOutcome { hid_profile })
    }

    pub async fn abuse_report_count(&self, adviser: &AdviserId) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM abuse_reports WHERE adviser_id = $1")
            .bind(adviser.as_str())
            .fetch_one(&self.pool)
            .await?)
    }

    /// Profiles with open reports or hidden, hidden ones first, then the
    /// most reported.
    pub async fn moderation_queue(&self) -> Result<Vec<ModerationCase>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id AS adviser_id, a.name, a.hidden, r.id AS report_id, r.reason, r.message, r.created_at \
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

    #[tokio::test]
    async fn three_reports_hide_a_profile_until_a_moderator_decides() {
        let geo = Geography::embedded().unwrap();
        let advisers: Vec<_> = demo::generate(&geo, 1).into_iter().take(2).collect();
        let (a, b) = (&advisers[0].id, &advisers[1].id);
        for (name, store) in stores().await {
            store.upsert_advisers(&advisers).await.unwrap();
            let v0 = store.advisers_version().await.unwrap();
            for i in 1..=2 {
                let out = store.record_abuse_report(a, "fausses_informations", &format!("n°{i}")).await.unwrap();
                assert!(!out.hid_profile, "{name}");
            }
            store.record_abuse_report(b, "autre", "").await.unwrap();
            assert_eq!(store.listed_advisers().await.unwrap().len(), 2, "{name}");
            assert!(store.record_abuse_report(a, "demarchage", "n°3").await.unwrap().hid_profile, "{name}");
            assert!(!store.record_abuse_report(a, "demarchage", "n°4").await.unwrap().hid_profile, "{name}");
            let listed = store.listed_advisers().await.unwrap();
            assert_eq!(listed.len(), 1, "{name}: hidden from the directory");
            assert_eq!(&listed[0].id, b);
            assert_eq!(store.all_advisers().await.unwrap().len(), 2, "{name}: kept in the database");
            assert!(store.advisers_version().await.unwrap() > v0, "{name}: the index must be rebuilt");

            let queue = store.moderation_queue().await.unwrap();
            assert_eq!(queue.len(), 2, "{name}");
            assert_eq!(&queue[0].adviser_id, a.as_str(), "{name}: hidden first");
            assert!(queue[0].hidden);
            assert_eq!(queue[0].reports.len(), 4);
            assert_eq!(queue[0].reports[0].message, "n°1", "{name}: oldest first");
            assert_eq!(queue[1].reports.len(), 1);

            assert!(store.decide_reports(a, Decision::Dismiss, "moderatrice@exemple.fr", "RAS").await.unwrap());
            assert_eq!(store.listed_advisers().await.unwrap().len(), 2, "{name}: shown again");
            let queue = store.moderation_queue().await.unwrap();
            assert_eq!(queue.len(), 1, "{name}: decided reports leave the queue");
            store.decide_reports(b, Decision::Uphold, "moderatrice@exemple.fr", "Démarchage avéré").await.unwrap();
            let queue = store.moderation_queue().await.unwrap();
            assert_eq!(queue.len(), 1, "{name}: a hidden profile stays in view");
            assert!(queue[0].hidden && queue[0].reports.is_empty());
            // Decided reports no longer count towards hiding.
            store.decide_reports(b, Decision::Dismiss, "moderatrice@exemple.fr", "Republié").await.unwrap();
            store.record_abuse_report(a, "autre", "").await.unwrap();
            assert_eq!(store.listed_advisers().await.unwrap().len(), 2, "{name}");
            let unknown = AdviserId::parse("inconnu").unwrap();
            assert!(!store.decide_reports(&unknown, Decision::Uphold, "x", "").await.unwrap());

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
}
