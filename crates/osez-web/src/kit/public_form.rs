//! The one guard of every anonymous form that counts (a contact message, a
//! claim, a data request, an abuse report): the extractor [`PublicForm`]
//! checks, in this order, the signed form token (bound to the form's
//! address), the honeypot, the minimum fill time, the challenge (ALTCHA or
//! the question in words), the per-client limit and the per-person limit
//! (the e-mail address typed in the form), each refusal in French, with
//! `Retry-After` on a limit. The handler then checks its own fields and
//! spends the challenge in the transaction that saves the record, which is
//! what makes one challenge worth one record.

use std::marker::PhantomData;
use std::net::IpAddr;
use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use osez_store::SpentChallenge;

use crate::kit::antispam::{checked_challenge, robot_refusal};
use crate::kit::error::{PageError, render};
use crate::kit::forms::FormList;
use crate::kit::limits::hourly_limit_message;
use crate::kit::security::ClientIp;
use crate::kit::shared_limits::Shared;
use crate::kit::state::AppState;
use crate::kit::tokens::check_form_token;

/// What a public form is, for its limits.
pub(crate) trait FormKind: Send + Sync + 'static {
    /// The name of the form's hourly budget (each form has its own).
    const BUDGET: &'static str;
    /// What the limit counts, in French, for its message ("messages envoyés").
    const WHAT: &'static str;
    /// The field that holds the sender's e-mail address, if the form has
    /// one: its own hourly budget per address.
    const PERSON: Option<&'static str>;
}

/// Why a public form was not accepted, to show on the form's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: StatusCode,
    pub message: String,
    /// Seconds before trying again, for a limit.
    pub retry_after: Option<u64>,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Refusal { status, message: message.into(), retry_after: None }
    }

    /// `page` (which shows [`Refusal::message`]) with the refusal's status
    /// and `Retry-After`.
    pub fn render<T: Template>(&self, page: &T) -> Response {
        self.finish(render(self.status, page))
    }

    /// A page already rendered with [`Refusal::status`], given the
    /// refusal's `Retry-After`.
    pub fn finish(&self, mut res: Response) -> Response {
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// A posted public form, checked: its fields, the client that sent it, and
/// either the challenge to spend with the record or the refusal.
pub(crate) struct PublicForm<K: FormKind> {
    pub form: FormList,
    pub client: IpAddr,
    pub checked: Result<SpentChallenge, Refusal>,
    kind: PhantomData<K>,
}

impl<K: FormKind> FromRequest<Arc<AppState>> for PublicForm<K> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, Response> {
        let binding = req.uri().path().to_string();
        let (mut parts, body) = req.into_parts();
        let Ok(ClientIp(client)) = ClientIp::from_request_parts(&mut parts, state).await;
        let form = FormList::from_request(Request::from_parts(parts, body), state).await?;
        let checked = check_form::<K>(state, &binding, client, &form).await.map_err(IntoResponse::into_response)?;
        Ok(PublicForm { form, client, checked, kind: PhantomData })
    }
}

/// After a public form was saved: back to its page with `?envoye=1`, so
/// that reloading the page sends nothing again.
pub(crate) fn sent_redirect(action: &str) -> Response {
    axum::response::Redirect::to(&format!("{action}?envoye=1")).into_response()
}

/// The query string of the page [`sent_redirect`] leads to.
pub(crate) fn was_sent(query: Option<&str>) -> bool {
    query.is_some_and(|q| q.split('&').any(|p| p == "envoye=1"))
}

/// The checks, in order; the first refusal wins, and nothing after it is
/// counted (a robot's form spends no one's quota). For a form whose route
/// also serves signed-in users, who answer no challenge, the handler calls
/// this for the anonymous ones; `binding` is the form's address.
pub(crate) async fn check_form<K: FormKind>(
    state: &AppState,
    binding: &str,
    client: IpAddr,
    form: &FormList,
) -> Result<Result<SpentChallenge, Refusal>, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    if let Err(e) = check_form_token(&ready.secrets, binding, form.get("jeton")) {
        return Ok(Err(Refusal::new(StatusCode::FORBIDDEN, e.message())));
    }
    if let Some(message) = robot_refusal(state, form) {
        return Ok(Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, message)));
    }
    let challenge = match checked_challenge(&state.challenges, ready, form).await? {
        Ok(c) => c,
        Err(e) => return Ok(Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, e.message()))),
    };
    let limited = |from: &str, secs: u64| Refusal {
        status: StatusCode::TOO_MANY_REQUESTS,
        message: hourly_limit_message(K::WHAT, from, secs),
        retry_after: Some(secs),
    };
    let shared = Shared { store: &ready.store, secrets: &ready.secrets };
    if let Some(secs) = shared.public_form_wait(&state.limits, K::BUDGET, client).await? {
        return Ok(Err(limited("depuis votre adresse", secs)));
    }
    if let Some(person) = K::PERSON.and_then(|field| form.get(field)).filter(|p| !p.trim().is_empty())
        && let Some(secs) = shared.person_wait(&state.limits, K::BUDGET, person).await?
    {
        return Ok(Err(limited("pour cette adresse e-mail", secs)));
    }
    Ok(Ok(challenge))
}
