//! Posted forms read the French way: a body that is not a form, or is too
//! big, gets a French page instead of axum's plain-text refusal.

//! Handlers, one module per area.
use crate::kit::error::{ErrorPage, render};
use crate::kit::page::Base;

/// Whether a request's body says it is JSON (`Content-Type:
/// application/json`, parameters allowed).
pub(crate) fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json")))
}

/// The French page for a form that cannot be read (400) or is too big (413).
pub(crate) fn unreadable_form(status: axum::http::StatusCode) -> axum::response::Response {
    let page = ErrorPage {
        title: "Formulaire illisible",
        message: "Le formulaire envoyé est illisible ou trop volumineux. Revenez à la page précédente et réessayez."
            .into(),
        base: Base::bare(),
    };
    render(status, &page)
}

/// Every field of a posted form in order, repeated names included
/// (checkboxes, multiple selects). Same refusals as [`FormFields`].
pub(crate) struct FormList(pub Vec<(String, String)>);

impl FormList {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").to_string()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    pub fn map(&self) -> std::collections::HashMap<String, String> {
        self.0.iter().cloned().collect()
    }
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for FormList {
    type Rejection = axum::response::Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::http::{StatusCode, header};
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(unreadable_form(StatusCode::BAD_REQUEST));
        }
        match axum::body::Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(FormList(form_urlencoded::parse(&bytes).into_owned().collect())),
            Err(_) => Err(unreadable_form(StatusCode::PAYLOAD_TOO_LARGE)),
        }
    }
}

/// The fields of a posted form. A body that is not a form, or is too big,
/// gets a French page (400 or 413) instead of axum's plain-text refusal.
pub(crate) struct FormFields(pub std::collections::HashMap<String, String>);

impl<S: Send + Sync> axum::extract::FromRequest<S> for FormFields {
    type Rejection = axum::response::Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::FormRejection;
        use axum::http::StatusCode;
        match axum::Form::<std::collections::HashMap<String, String>>::from_request(req, state).await {
            Ok(axum::Form(fields)) => Ok(FormFields(fields)),
            Err(e) => {
                let status = match &e {
                    FormRejection::BytesRejection(_) => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::BAD_REQUEST,
                };
                Err(unreadable_form(status))
            }
        }
    }
}
