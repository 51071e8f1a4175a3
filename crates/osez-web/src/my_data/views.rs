//! Template data of "Mes données".

use askama::Template;

use crate::kit::antispam::Question;
use crate::kit::page::Base;

/// Where a person is on the "Mes données" pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MyDataStep {
    Ask,
    Asked,
    Access,
    Erased,
    Gone,
}

#[derive(Template)]
#[template(path = "my_data/my_data.html")]
pub struct MyDataPage {
    pub base: Base,
    pub step: MyDataStep,
    pub token: String,
    pub question: Question,
    pub honeypot: &'static str,
    pub email: String,
    pub error: Option<String>,
    pub retention: String,
    /// The single-use link's token, carried by the access forms.
    pub link: String,
    pub access_token: String,
    pub messages: usize,
    pub mails: usize,
    pub account: bool,
    pub claims: usize,
    pub registrations: usize,
    pub proposals: usize,
    /// Participations in consultations left with this address.
    pub participations: usize,
    /// How long a link can be used.
    pub link_minutes: u64,
}
