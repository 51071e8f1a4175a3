//! Claims of imported profiles and invitations to adviser accounts.
//!
//! A profile imported from the open data has no account and no address.
//! Whoever runs the structure claims it with a public form; the team
//! accepts (an adviser account linked to the profile, and an invitation
//! mail with a single-use link) or refuses (a mail with the reason). The
//! team may also invite an address directly. Every decision is one
//! transaction with its mail and its audit entries.

use osez_core::account::{Email, Role};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::{CreateUserError, LinkTable, PasswordLink, insert_user, set_user_adviser};
use crate::audit::audit;
use crate::contacts::{SpentChallenge, spend};
use crate::outbox::enqueue;
use crate::{NewMail, Store, StoreError, now_ms};

/// Claims of one profile waiting for the team at the same time: beyond,
/// the public form refuses (a robot, or a crowd, cannot bury the team).
pub const CLAIMS_PER_PROFILE: i64 = 3;

/// What the public form hands over, checked.
#[derive(Debug, Clone)]
pub struct NewClaim<'a> {
    pub adviser: &'a str,
    pub email: &'a Email,
    pub siret: &'a str,
    pub message: &'a str,
}

/// What recording a claim did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimOutcome {
    Saved(i64),
    /// [`CLAIMS_PER_PROFILE`] claims of the profile are already waiting.
    TooMany,
    /// The challenge was spent before: nothing saved.
    Replayed,
    UnknownProfile,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: i64,
    pub adviser_id: String,
    pub email: String,
    pub siret: String,
    pub message: String,
    /// `pending`, `accepted` or `refused`.
    pub status: String,
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at_ms: Option<i64>,
    pub created_at_ms: i64,
}

impl Claim {
    pub fn is_pending(&self) -> bool {
        self.status == "pending"
    }

    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "pending" => "À examiner",
            "accepted" => "Acceptée",
            _ => "Refusée",
        }
    }
}

/// An invitation to write: the account to create or reuse, the profile it
/// gets, the link (its hash only) and the mail that carries it.
#[derive(Debug, Clone)]
pub struct Invitation<'a> {
    pub adviser: &'a str,
    pub email: &'a Email,
    /// The password of a new account until the link is used: the hash of
    /// a random secret nobody knows (the caller's), so that signing in to
    /// it costs the same as to any account.
    pub placeholder_hash: &'a str,
    pub token_hash: &'a str,
    pub expires_at_ms: i64,
    pub mail: &'a NewMail,
}

/// Why an invitation (or accepting a claim) wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("profil inconnu")]
    UnknownProfile,
    #[error("cette adresse est celle d'un compte de l'équipe")]
    TeamAccount,
    #[error("cette adresse a déjà un compte lié au profil {0}")]
    OtherProfile(String),
    #[error("cette revendication a déjà été traitée")]
    AlreadyDecided,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for InviteError {
    fn from(e: sqlx::Error) -> Self {
        InviteError::Store(e.into())
    }
}

const CLAIM_COLUMNS: &str = "id, adviser_id, email, siret, message, status, reason, decided_by, decided_at, created_at";

fn claim_from_row(r: &AnyRow) -> Result<Claim, StoreError> {
    Ok(Claim {
        id: r.try_get("id")?,
        adviser_id: r.try_get("adviser_id")?,
        email: r.try_get("email")?,
        siret: r.try_get("siret")?,
        message: r.try_get("message")?,
        status: r.try_get("status")?,
        reason: r.try_get("reason")?,
        decided_by: r.try_get("decided_by")?,
        decided_at_ms: r.try_get("decided_at")?,
        created_at_ms: r.try_get("created_at")?,
    })
}

/// Creates (or reuses) the adviser account of `inv.email`, links it to the
/// profile, replaces its open invitation links by a new one and writes the
/// mail, inside the caller's transaction. Returns the account's id.
async fn invite_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    inv: &Invitation<'_>,
    actor: &str,
) -> Result<i64, InviteError> {
    let known: Option<String> =
        sqlx::query_scalar("SELECT id FROM advisers WHERE id = $1").bind(inv.adviser).fetch_optional(&mut **tx).await?;
    if known.is_none() {
        return Err(InviteError::UnknownProfile);
    }
    let user_id = match insert_user(tx, inv.email, inv.placeholder_hash, Role::Adviser, actor).await {
        Ok(id) => id,
        Err(CreateUserError::Store(e)) => return Err(e.into()),
        Err(CreateUserError::Replayed) => unreachable!("insert_user spends no challenge"),
        Err(CreateUserError::EmailTaken) => {
            let row = sqlx::query("SELECT id, role, adviser_id FROM users WHERE email = $1")
                .bind(inv.email.as_str())
                .fetch_one(&mut **tx)
                .await?;
            let role: String = row.try_get("role")?;
            if role != Role::Adviser.slug() {
                return Err(InviteError::TeamAccount);
            }
            let linked: Option<String> = row.try_get("adviser_id")?;
            if let Some(other) = linked.filter(|p| p != inv.adviser) {
                return Err(InviteError::OtherProfile(other));
            }
            row.try_get("id")?
        }
    };
    set_user_adviser(tx, user_id, inv.adviser).await?;
    audit(tx, actor, "compte.profil", inv.email.as_str(), None, Some(inv.adviser)).await?;
    let now = now_ms();
    // Only the latest link works: an older mail cannot be used any more.
    sqlx::query("UPDATE invitations SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO invitations (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(inv.token_hash)
        .bind(user_id)
        .bind(now)
        .bind(inv.expires_at_ms)
        .execute(&mut **tx)
        .await?;
    enqueue(tx, inv.mail, None).await?;
    audit(tx, actor, "compte.invitation", inv.email.as_str(), None, Some(inv.adviser)).await?;
    Ok(user_id)
}

impl Store {
    /// Records a claim, spending the anti-spam challenge in the same
    /// transaction; nothing else is written (no mail: the team reads the
    /// queue, and the address is not yet known to be the claimant's).
    pub async fn record_claim(
        &self,
        claim: &NewClaim<'_>,
        challenge: &SpentChallenge,
    ) -> Result<ClaimOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        if !spend(&mut tx, challenge).await? {
            return Ok(ClaimOutcome::Replayed);
        }
        let known: Option<String> = sqlx::query_scalar("SELECT id FROM advisers WHERE id = $1")
            .bind(claim.adviser)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Ok(ClaimOutcome::UnknownProfile);
        }
        // Counts and writes in one statement (see `create_password_reset`).
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO claims (adviser_id, email, siret, message, status, created_at) \
             SELECT $1, $2, $3, $4, 'pending', $5 \
             WHERE (SELECT COUNT(*) FROM claims WHERE adviser_id = $1 AND status = 'pending') < $6 RETURNING id",
        )
        .bind(claim.adviser)
        .bind(claim.email.as_str())
        .bind(claim.siret)
        .bind(claim.message)
        .bind(now_ms())
        .bind(CLAIMS_PER_PROFILE)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else { return Ok(ClaimOutcome::TooMany) };
        tx.commit().await?;
        Ok(ClaimOutcome::Saved(id))
    }

    /// Claims waiting first (oldest first), then the last decided ones.
    pub async fn claims(&self) -> Result<Vec<Claim>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CLAIM_COLUMNS} FROM claims WHERE status = 'pending' ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        let decided = sqlx::query(&format!(
            "SELECT {CLAIM_COLUMNS} FROM claims WHERE status <> 'pending' ORDER BY decided_at DESC, id DESC LIMIT 50"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().chain(decided.iter()).map(claim_from_row).collect()
    }

    pub async fn claim(&self, id: i64) -> Result<Option<Claim>, StoreError> {
        let row = sqlx::query(&format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(claim_from_row).transpose()
    }

    /// Whether some account (enabled or not) is linked to the profile.
    pub async fn profile_has_account(&self, adviser: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE adviser_id = $1")
            .bind(adviser)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Accepts a waiting claim: the claim decided (a conditional update, so
    /// that two reviewers cannot both decide), the account created or
    /// reused and linked, the invitation and its mail written, all logged,
    /// in one transaction. `inv` names the claim's profile and address.
    pub async fn accept_claim(&self, id: i64, inv: &Invitation<'_>, actor: &str) -> Result<i64, InviteError> {
        let mut tx = self.pool.begin().await?;
        let decided = sqlx::query(
            "UPDATE claims SET status = 'accepted', decided_by = $1, decided_at = $2 \
             WHERE id = $3 AND status = 'pending' AND adviser_id = $4 AND email = $5",
        )
        .bind(actor)
        .bind(now_ms())
        .bind(id)
        .bind(inv.adviser)
        .bind(inv.email.as_str())
        .execute(&mut *tx)
        .await?;
        if decided.rows_affected() != 1 {
            return Err(InviteError::AlreadyDecided);
        }
        let user_id = invite_in(&mut tx, inv, actor).await?;
        audit(&mut tx, actor, "revendication.acceptee", &format!("claim:{id}"), None, Some(inv.adviser)).await?;
        tx.commit().await?;
        Ok(user_id)
    }

    /// Refuses a waiting claim with its reason, and writes the mail that
    /// tells the claimant; false (nothing written) if it was decided
    /// already.
    pub async fn refuse_claim(&self, id: i64, reason: &str, mail: &NewMail, actor: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let decided = sqlx::query(
            "UPDATE claims SET status = 'refused', reason = $1, decided_by = $2, decided_at = $3 \
             WHERE id = $4 AND status = 'pending'",
        )
        .bind(reason)
        .bind(actor)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if decided.rows_affected() != 1 {
            return Ok(false);
        }
        enqueue(&mut tx, mail, None).await?;
        audit(&mut tx, actor, "revendication.refusee", &format!("claim:{id}"), None, Some(reason)).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The team's own invitation (no claim): see [`Store::accept_claim`].
    pub async fn invite_adviser(&self, inv: &Invitation<'_>, actor: &str) -> Result<i64, InviteError> {
        let mut tx = self.pool.begin().await?;
        let user_id = invite_in(&mut tx, inv, actor).await?;
        tx.commit().await?;
        Ok(user_id)
    }

    /// Several invitations, all or none: the first error undoes them all
    /// and says which one (its index in `invs`).
    pub async fn invite_advisers(&self, invs: &[Invitation<'_>], actor: &str) -> Result<(), (usize, InviteError)> {
        let mut tx = self.pool.begin().await.map_err(|e| (0, e.into()))?;
        for (i, inv) in invs.iter().enumerate() {
            invite_in(&mut tx, inv, actor).await.map_err(|e| (i, e))?;
        }
        tx.commit().await.map_err(|e| (invs.len(), e.into()))?;
        Ok(())
    }

    /// The address of the account of an invitation link that is neither
    /// used nor expired.
    pub async fn invitation_email(&self, token_hash: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT u.email FROM invitations i JOIN users u ON u.id = i.user_id \
             WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Uses an invitation link: the password set, the link spent, any
    /// session ended and the change logged, in one transaction. The
    /// account's address; `None` when the link was used or has expired
    /// (then nothing changes).
    pub async fn accept_invitation(&self, token_hash: &str, password_hash: &str) -> Result<Option<String>, StoreError> {
        let link =
            PasswordLink { table: LinkTable::Invitation, spend_others: false, action: "compte.invitation_acceptee" };
        self.set_password_by_link(&link, token_hash, password_hash).await
    }

    /// Deletes claims decided before `cutoff_ms` and invitation links
    /// that ended before it; returns how many claims went.
    pub async fn purge_claims_before(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let claims = sqlx::query("DELETE FROM claims WHERE status <> 'pending' AND decided_at < $1")
            .bind(cutoff_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM invitations WHERE expires_at < $1 OR used_at < $1")
            .bind(cutoff_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(claims)
    }
}
