//! Template data of claims and invitations.

use askama::Template;

use crate::kit::antispam::Question;
use crate::kit::page::Base;
use crate::kit::page::Chrome;

// ------------------------------------------------------- claims, invitations

/// "C'est ma structure": the public claim form of a profile, and its
/// confirmation.
#[derive(Template)]
#[template(path = "claims/claim.html")]
pub struct ClaimPage {
    pub base: Base,
    pub adviser_id: String,
    pub adviser_name: String,
    pub action: String,
    /// The profile already has an account: no claim, the contact form.
    pub linked: bool,
    pub sent: bool,
    pub token: String,
    pub email: String,
    pub siret: String,
    pub message: String,
    pub error: Option<String>,
    pub question: Question,
    pub honeypot: &'static str,
    pub max_message: usize,
}

/// One claim, as the team sees it.
pub struct ClaimView {
    pub id: i64,
    pub adviser_id: String,
    pub adviser_name: String,
    pub email: String,
    pub siret: String,
    pub message: String,
    pub pending: bool,
    pub status: &'static str,
    pub reason: String,
    pub decided: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "claims/admin_claims.html")]
pub struct AdminClaimsPage {
    pub chrome: Chrome,
    pub claims: Vec<ClaimView>,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub token_invite: String,
    pub invite_id: String,
    pub invite_email: String,
    pub invite_days: u64,
    pub base: Base,
}

#[derive(Template)]
#[template(path = "claims/admin_claim.html")]
pub struct AdminClaimPage {
    pub chrome: Chrome,
    pub claim: ClaimView,
    pub token: String,
    pub error: Option<String>,
    pub invite_days: u64,
    pub base: Base,
}

/// The invitation link's page: the account's first password.
#[derive(Template)]
#[template(path = "claims/invitation.html")]
pub struct InvitationPage {
    pub email: String,
    /// The invitation link's own token, carried by the form.
    pub link: String,
    pub token: String,
    pub error: Option<String>,
    pub base: Base,
}
