//! Template data of the contact forms.

use askama::Template;

use crate::kit::antispam::Question;
use crate::kit::page::Base;

/// The contact form, to the team or to one adviser, and its confirmation.
#[derive(Template)]
#[template(path = "contact/contact.html")]
pub struct ContactPage {
    pub base: Base,
    pub title: String,
    /// Id and name of the adviser written to; `None`: the team.
    pub adviser: Option<(String, String)>,
    pub action: String,
    pub token: String,
    pub raw: osez_core::contact::RawContact,
    pub errors: Vec<(&'static str, String)>,
    /// A refusal of the whole form (challenge, robot, too many messages).
    pub error: Option<String>,
    pub needs: Vec<(&'static str, &'static str)>,
    pub question: Question,
    pub honeypot: &'static str,
    pub sent: bool,
    /// The adviser has no account: the team passes the message on.
    pub via_team: bool,
    /// The message was prefilled from a conversation with the assistant.
    pub from_assistant: bool,
    /// "12 mois".
    pub retention: String,
    pub max_message: usize,
}

impl ContactPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }
}
