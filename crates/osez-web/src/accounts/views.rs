//! Template data of the account pages.

use askama::Template;

use crate::kit::page::Base;
use crate::kit::page::Chrome;

#[derive(Template)]
#[template(path = "accounts/sign_in.html")]
pub struct SignInPage {
    pub email: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub token: String,
    pub base: Base,
}

#[derive(Template)]
#[template(path = "accounts/totp_code.html")]
pub struct TotpCodePage {
    pub user_id: i64,
    pub token: String,
    pub error: Option<String>,
    pub base: Base,
}

#[derive(Template)]
#[template(path = "accounts/totp_enrol.html")]
pub struct TotpEnrolPage {
    pub user_id: i64,
    pub secret: String,
    pub secret_grouped: String,
    pub otpauth: String,
    pub token: String,
    pub error: Option<String>,
    pub base: Base,
}

#[derive(Template)]
#[template(path = "accounts/forgot.html")]
pub struct ForgotPage {
    pub token: String,
    pub sent: bool,
    pub error: Option<String>,
    pub base: Base,
}

#[derive(Template)]
#[template(path = "accounts/reset.html")]
pub struct ResetPage {
    /// The reset link's own token, carried by the form.
    pub link: String,
    pub token: String,
    pub error: Option<String>,
    pub base: Base,
}

#[derive(Template)]
#[template(path = "accounts/admin_home.html")]
pub struct AdminHomePage {
    pub chrome: Chrome,
    pub token_everywhere: String,
    pub open_cases: Option<usize>,
    pub base: Base,
}
