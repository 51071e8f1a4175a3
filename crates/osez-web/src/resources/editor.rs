//! Writing a resource: the editors' form for every type, in Markdown with a
//! live preview rendered by the same sanitising renderer as the public
//! page; creating a resource and saving a new version of one. Nothing is
//! saved while a field is wrong; a version saved on top of another
//! editor's is refused with the form kept.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use osez_core::resource::{Problem, ResourceType, Theme, render_body};
use osez_core::taxonomy::{Sector, Specialty};
use osez_store::EditError;
use serde_json::json;

use crate::kit::error::{PageError, render};
use crate::kit::forms::FormList;
use crate::kit::guard::{Editors, Guard};
use crate::kit::page::{back_to, no_store};
use crate::kit::pool::PoolError;
use crate::kit::session::{CurrentUser, checked, session_binding};
use crate::kit::state::AppState;
use crate::kit::tokens::form_token;
use crate::menu::chrome;
use crate::resources::draft::{Draft, PLACES, field_id};
use crate::resources::views::{Choice, EditPage, FieldError};

const LIST: &str = "/admin/ressources";
pub(crate) const NEW: &str = "/admin/ressources/nouvelle";
pub(crate) const PREVIEW: &str = "/admin/ressources/apercu";
/// Largest form body: a 200 KB Markdown text, once URL-encoded (up to
/// three bytes per byte), with captions and the other fields.
pub(crate) const FORM_LIMIT: usize = 4 * 1024 * 1024;

fn edit_action(slug: &str) -> String {
    format!("{LIST}/{slug}/modifier")
}

/// What the page shows besides the form.
#[derive(Default)]
pub(super) struct Shown {
    pub problems: Vec<Problem>,
    pub preview: Option<String>,
    pub error: Option<String>,
}

fn form_page(state: &AppState, current: &CurrentUser, slug: Option<&str>, form: Draft, shown: Shown) -> Response {
    let action = slug.map_or_else(|| NEW.to_string(), edit_action);
    let heading = match slug {
        Some(_) => format!("Modifier « {} »", form.title.trim()),
        None => "Nouvelle ressource".to_string(),
    };
    let here = Here { action, heading, menu: LIST, preview_url: PREVIEW, proposal: false };
    edit_page(state, current, slug, here, form, shown)
}

/// Where a form of the editor stands: the editors' own, or an adviser's
/// proposal.
pub(super) struct Here {
    pub action: String,
    pub heading: String,
    /// The back office section it belongs to.
    pub menu: &'static str,
    pub preview_url: &'static str,
    pub proposal: bool,
}

pub(super) fn edit_page(
    state: &AppState,
    current: &CurrentUser,
    slug: Option<&str>,
    here: Here,
    form: Draft,
    shown: Shown,
) -> Response {
    let Some(ready) = state.ready() else { return PageError::Starting.into_response() };
    let Here { action, heading, menu, preview_url, proposal } = here;
    let status = if shown.problems.is_empty() && shown.error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = EditPage {
        base: state.base(),
        chrome: chrome(state, current, menu),
        heading,
        token: form_token(&ready.secrets, &session_binding(&action, current)),
        preview_token: form_token(&ready.secrets, &session_binding(preview_url, current)),
        preview_url,
        proposal,
        places: Choice::list(PLACES.iter().copied(), std::slice::from_ref(&form.w_place)),
        action,
        slug: slug.map(str::to_string),
        kinds: Choice::list(ResourceType::ALL.iter().map(|k| (k.slug(), k.label())), std::slice::from_ref(&form.kind)),
        themes: Choice::list(Theme::ALL.iter().map(|t| (t.slug(), t.label())), &form.themes),
        specialties: Choice::list(Specialty::ALL.iter().map(|s| (s.slug(), s.label())), &form.specialties),
        sectors: Choice::list(Sector::ALL.iter().map(|s| (s.slug(), s.label())), &form.sectors),
        form,
        errors: shown.problems.into_iter().map(|p| FieldError { id: field_id(p.field), message: p.message }).collect(),
        preview: shown.preview,
        error: shown.error,
    };
    no_store(render(status, &page))
}

fn busy(state: &AppState) -> Response {
    crate::resources::editorial::refused_with(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        "Serveur occupé",
        "Le serveur est très occupé : réessayez dans un instant, votre texte n'a pas été enregistré.".into(),
    )
}

/// Checks the posted fields off the async runtime (a body is up to
/// 200 KB of Markdown); with `preview`, renders the body too.
pub(super) async fn check(
    state: &AppState,
    form: Draft,
    preview: bool,
) -> Result<(Draft, Shown, Option<osez_core::resource::Content>), PoolError> {
    let geo = state.geo.clone();
    state
        .documents
        .run(move || {
            let kind = ResourceType::from_slug(&form.kind).unwrap_or(ResourceType::Article);
            let preview = preview.then(|| render_body(kind, &form.body).0.map(|r| r.html).unwrap_or_default());
            let (content, problems) = match form.content(&geo) {
                Ok(c) => (Some(c), Vec::new()),
                Err(p) => (None, p),
            };
            (form, Shown { problems, preview, error: None }, content)
        })
        .await
}

pub async fn new_form(State(state): State<Arc<AppState>>, current: Guard<Editors>) -> Response {
    form_page(&state, &current, None, Draft::blank(), Shown::default())
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    form: FormList,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, NEW, &form.map()).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let wants_preview = form.get("apercu").is_some();
    let Ok((draft, mut shown, content)) = check(&state, Draft::from_form(&form), wants_preview).await else {
        return Ok(busy(&state));
    };
    let slug = draft.new_slug();
    if wants_preview {
        return Ok(form_page(&state, &current, None, draft, Shown { problems: Vec::new(), ..shown }));
    }
    let slug = match slug {
        Ok(slug) => slug,
        Err(p) => {
            shown.problems.insert(0, p);
            return Ok(form_page(&state, &current, None, draft, shown));
        }
    };
    let Some(content) = content else { return Ok(form_page(&state, &current, None, draft, shown)) };
    match ready.store.create_resource(&slug, &content, false, current.user.email.as_str()).await {
        Ok(()) => Ok(back_to(&format!("{LIST}/{slug}?fait=creee"))),
        Err(EditError::SlugTaken) => {
            shown.problems.push(Problem {
                field: "slug",
                message: format!("Une ressource a déjà l'adresse « {slug} » : choisissez-en une autre."),
            });
            Ok(form_page(&state, &current, None, draft, shown))
        }
        Err(e) => Err(PageError::from(e)),
    }
}

pub async fn edit_form(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let row = ready.store.resource_row(&slug).await?.ok_or(PageError::NotFound)?;
    let draft = Draft::from_content(&row.content, row.head, &state.geo);
    Ok(form_page(&state, &current, Some(&slug), draft, Shown::default()))
}

pub async fn save(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    Path(slug): Path<String>,
    form: FormList,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, &edit_action(&slug), &form.map()).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    ready.store.resource_row(&slug).await?.ok_or(PageError::NotFound)?;
    let wants_preview = form.get("apercu").is_some();
    let Ok((mut draft, shown, content)) = check(&state, Draft::from_form(&form), wants_preview).await else {
        return Ok(busy(&state));
    };
    if wants_preview {
        return Ok(form_page(&state, &current, Some(&slug), draft, Shown { problems: Vec::new(), ..shown }));
    }
    let Some(content) = content else { return Ok(form_page(&state, &current, Some(&slug), draft, shown)) };
    let note = if draft.note.trim().is_empty() { "Modification" } else { draft.note.trim() };
    match ready.store.save_resource(&slug, draft.from_head, &content, current.user.email.as_str(), note).await {
        Ok(_) => Ok(back_to(&format!("{LIST}/{slug}?fait=enregistree"))),
        Err(EditError::Stale { head }) => {
            let error = format!(
                "Une autre personne a enregistré la version {head} pendant que vous écriviez. Votre texte est conservé ci-dessous : \
                 consultez l'historique dans un autre onglet, reportez ce qui doit l'être, puis enregistrez à nouveau."
            );
            draft.from_head = head;
            Ok(form_page(&state, &current, Some(&slug), draft, Shown { error: Some(error), ..shown }))
        }
        Err(EditError::NotFound) => Err(PageError::NotFound),
        Err(e) => Err(PageError::from(e)),
    }
}

/// The live preview: the body rendered exactly as the public page will
/// show it, and what is wrong with it. JSON for the editor's script.
pub async fn preview(State(state): State<Arc<AppState>>, current: Guard<Editors>, form: FormList) -> Response {
    preview_for(&state, &current, PREVIEW, form).await
}

/// The preview answer for a form whose preview token is bound to `action`.
pub(super) async fn preview_for(state: &AppState, current: &CurrentUser, action: &str, form: FormList) -> Response {
    if checked(state, current, action, &form.map()).await.is_err() {
        let body =
            json!({ "error": { "code": "invalid_token", "message": "La session a changé : rechargez la page." } });
        return (StatusCode::FORBIDDEN, Json(body)).into_response();
    }
    let body = form.text("body").replace("\r\n", "\n");
    let kind = form.get("kind").and_then(ResourceType::from_slug).unwrap_or(ResourceType::Article);
    let rendered = state
        .documents
        .run(move || {
            let (rendered, problems) = render_body(kind, &body);
            (rendered.map(|r| r.html).unwrap_or_default(), problems)
        })
        .await;
    match rendered {
        Ok((html, problems)) => no_store(Json(json!({ "html": html, "problems": problems })).into_response()),
        Err(_) => {
            let body = json!({ "error": { "code": "busy", "message": "Le serveur est très occupé : l'aperçu reviendra dans un instant." } });
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}
