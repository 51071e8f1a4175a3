//! The web layer's errors. A user's mistake gets a clear French message and
//! a 4xx; a failure of ours gets a generic 500 page, and its cause is logged
//! once, here.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use crate::kit::page::Base;
use crate::kit::params::ParamError;

#[derive(Debug)]
pub enum PageError {
    NotFound,
    /// Start-up is not over (the first start builds the demo directory).
    Starting,
    /// The database cannot be reached or cannot take the request now (a
    /// restart, a full disk): 503, and the user may retry.
    Unavailable(String),
    Internal(String),
}

/// What `Retry-After` says while the database is unavailable.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

impl<E: std::error::Error + 'static> From<E> for PageError {
    fn from(e: E) -> Self {
        if osez_store::is_unavailable(&e) {
            PageError::Unavailable(e.to_string())
        } else {
            PageError::Internal(e.to_string())
        }
    }
}

pub(crate) fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Erreur interne du serveur.").into_response()
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page introuvable",
                "Cette adresse ne correspond à aucune page. Elle a peut-être changé, ou le profil a été retiré."
                    .to_string(),
            ),
            PageError::Starting => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Service en cours de démarrage",
                "Le service termine son démarrage. Réessayez dans quelques secondes.".to_string(),
            ),
            PageError::Unavailable(cause) => {
                tracing::warn!(%cause, "page refused: database unavailable");
                let page = ErrorPage {
                    title: "Service momentanément indisponible",
                    message: "Nos données ne sont pas joignables pour le moment. Réessayez dans quelques instants : \
                              cette demande n'a pas été enregistrée. La recherche dans l'annuaire reste disponible."
                        .to_string(),
                    base: Base::bare(),
                };
                let mut res = render(StatusCode::SERVICE_UNAVAILABLE, &page);
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, UNAVAILABLE_RETRY_AFTER_SECS.into());
                return res;
            }
            PageError::Internal(cause) => {
                tracing::error!(%cause, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Erreur du service",
                    "Une erreur inattendue est survenue de notre côté. Elle a été enregistrée ; réessayez dans un moment.".to_string(),
                )
            }
        };
        render(status, &ErrorPage { title, message, base: Base::bare() })
    }
}

#[derive(Debug)]
pub enum ApiError {
    BadParameter(ParamError),
    NotFound(String),
    Starting,
    /// The database is unavailable (see [`PageError::Unavailable`]).
    Unavailable(String),
    /// A request refused for what it asks (a closed consultation, a body
    /// that does not parse, a limit reached): its status, a stable code,
    /// and a French message.
    Refused {
        status: StatusCode,
        code: &'static str,
        message: String,
        retry_after: Option<u64>,
    },
    Internal(String),
}

impl<E: std::error::Error + 'static> From<E> for ApiError {
    fn from(e: E) -> Self {
        if osez_store::is_unavailable(&e) {
            ApiError::Unavailable(e.to_string())
        } else {
            ApiError::Internal(e.to_string())
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::Refused { status, code, message, retry_after } => {
                let body = json!({ "error": { "code": code, "message": message } });
                let mut res = (status, Json(body)).into_response();
                if let Some(secs) = retry_after
                    && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
                {
                    res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
                }
                return res;
            }
            ApiError::BadParameter(p) => (
                StatusCode::BAD_REQUEST,
                json!({ "error": { "code": "invalid_parameter", "parameter": p.parameter, "message": p.message } }),
            ),
            ApiError::NotFound(what) => {
                (StatusCode::NOT_FOUND, json!({ "error": { "code": "not_found", "message": what } }))
            }
            ApiError::Starting => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "error": { "code": "starting", "message": "le service termine son démarrage" } }),
            ),
            ApiError::Unavailable(cause) => {
                tracing::warn!(%cause, "api refused: database unavailable");
                let body = json!({ "error": { "code": "unavailable", "message":
                    "service momentanément indisponible : réessayez dans quelques secondes, rien n'a été enregistré" } });
                let mut res = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, UNAVAILABLE_RETRY_AFTER_SECS.into());
                return res;
            }
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "api failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "error": { "code": "internal", "message": "erreur interne, enregistrée" } }),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: &'static str,
    pub message: String,
    pub base: Base,
}
