//! A resource's files: editors join and remove them (each a new version,
//! so a restore brings its files back), the public downloads them and plays
//! the replay (range requests through tower-http's `ServeFile`), and the
//! player's captions track is written from the transcript.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::multipart::{Field, MultipartRejection};
use axum::extract::{Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use osez_core::resource::attachment::{Attachment, FileKind, is_id};
use osez_core::resource::transcript::{parse_vtt, to_vtt};
use osez_core::resource::{Content, ResourceType};
use osez_store::EditError;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::kit::error::PageError;
use crate::kit::files::Received;
use crate::kit::forms::{FormList, unreadable_form};
use crate::kit::guard::{Editors, Guard};
use crate::kit::page::back_to;
use crate::kit::session::{CurrentUser, checked};
use crate::kit::state::AppState;
use crate::resources::editorial::{refused_with, resource_page};

const LIST: &str = "/admin/ressources";

pub(crate) fn upload_action(slug: &str) -> String {
    format!("{LIST}/{slug}/fichiers")
}

pub(crate) fn remove_action(slug: &str) -> String {
    format!("{LIST}/{slug}/fichiers/retirer")
}

fn default_label(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Pdf => "Support de présentation",
        FileKind::Mp4 | FileKind::Webm => "Rediffusion",
        _ => "Image",
    }
}

/// The resource page again, with what went wrong (422).
async fn refuse(state: &AppState, current: &CurrentUser, slug: &str, message: String) -> Result<Response, PageError> {
    let mut res = resource_page(state, current, slug, None, Some(message)).await?;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

/// A short text field, read up to `max` bytes.
async fn small_text(mut field: Field<'_>, max: usize) -> Option<String> {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = field.chunk().await {
        out.extend_from_slice(&chunk);
        if out.len() > max {
            return None;
        }
    }
    String::from_utf8(out).ok()
}

/// Joins one file: `jeton`, `from_head` and `label` come before `file`
/// (the form's order), so that nothing is written for a forged or stale
/// form.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let Some(files) = state.files.as_ref() else {
        let message = "Le dépôt de fichiers n'est pas configuré sur ce serveur (option --files-dir).".to_string();
        return Ok(refused_with(&state, StatusCode::SERVICE_UNAVAILABLE, "Fichiers indisponibles", message));
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > files.max_request()) {
        let message = format!(
            "Ce fichier est trop volumineux. Tailles maximales : {}. Rien n'a été enregistré.",
            files.limits_text()
        );
        return Ok(refused_with(&state, StatusCode::PAYLOAD_TOO_LARGE, "Fichier trop volumineux", message));
    }
    let Ok(_permit) = state.uploads.try_acquire() else {
        let message = "D'autres fichiers sont en cours d'envoi : réessayez dans un instant.".to_string();
        return Ok(refused_with(&state, StatusCode::SERVICE_UNAVAILABLE, "Envoi impossible pour l'instant", message));
    };
    let Ok(mut multipart) = multipart else { return Ok(unreadable_form(StatusCode::BAD_REQUEST)) };
    let ready = state.ready().ok_or(PageError::Starting)?;
    let row = ready.store.resource_row(&slug).await?.ok_or(PageError::NotFound)?;

    let mut fields = std::collections::HashMap::new();
    let mut received = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return refuse(
                    &state,
                    &current,
                    &slug,
                    "L'envoi a été interrompu avant la fin : envoyez le fichier à nouveau.".into(),
                )
                .await;
            }
        };
        let name = field.name().unwrap_or("").to_string();
        if name != "file" {
            let Some(value) = small_text(field, 1000).await else {
                return Ok(unreadable_form(StatusCode::BAD_REQUEST));
            };
            fields.insert(name, value);
            continue;
        }
        if let Err(res) = checked(&state, &current, &upload_action(&slug), &fields).await {
            return Ok(res);
        }
        if fields.get("from_head").and_then(|v| v.parse::<i64>().ok()) != Some(row.head) {
            let message =
                "Une autre version vient d'être enregistrée : voici la page à jour ; joignez le fichier à nouveau.";
            return refuse(&state, &current, &slug, message.into()).await;
        }
        match files.receive(field).await {
            Ok(r) => received = Some(r),
            Err(e) => return refuse(&state, &current, &slug, format!("{e} Rien n'a été enregistré.")).await,
        }
        break;
    }
    let Some(received) = received else {
        return refuse(&state, &current, &slug, "Choisissez un fichier à joindre.".into()).await;
    };
    let label = fields.get("label").map(|l| l.trim().to_string()).unwrap_or_default();
    let mut content: Content = row.content.clone();
    let note = match received {
        Received::File { id, kind, size } => {
            if content.attachments.iter().any(|a| a.id == id) {
                return refuse(&state, &current, &slug, "Ce fichier est déjà joint à la ressource.".into()).await;
            }
            let label = if label.is_empty() { default_label(kind).to_string() } else { label };
            let a = Attachment { id, kind, label, size };
            let note = format!("Fichier joint : {} ({})", a.label, a.format_and_size());
            content.attachments.push(a);
            note
        }
        Received::Captions(text) => {
            if content.kind != ResourceType::Webinaire {
                return refuse(&state, &current, &slug, "Seul un webinaire a des sous-titres.".into()).await;
            }
            match parse_vtt(&text) {
                Ok(cues) => content.transcript = cues,
                Err(e) => {
                    return refuse(&state, &current, &slug, format!("Sous-titres : {e} Rien n'a été enregistré."))
                        .await;
                }
            }
            format!("Sous-titres joints ({} répliques)", content.transcript.len())
        }
    };
    save(&state, &current, &slug, row.head, &content, &note).await
}

async fn save(
    state: &AppState,
    current: &CurrentUser,
    slug: &str,
    from_head: i64,
    content: &Content,
    note: &str,
) -> Result<Response, PageError> {
    // The check renders the whole body: off the async runtime.
    let checked = content.clone();
    let Ok(problems) = state.documents.run(move || checked.check()).await else {
        let message = "Le serveur est très occupé : réessayez dans un instant. Rien n'a été enregistré.";
        return refuse(state, current, slug, message.into()).await;
    };
    if !problems.is_empty() {
        let text = problems.into_iter().map(|p| p.message).collect::<Vec<_>>().join(" ");
        return refuse(state, current, slug, format!("{text} Rien n'a été enregistré.")).await;
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    match ready.store.save_resource(slug, from_head, content, current.user.email.as_str(), note).await {
        Ok(_) => Ok(back_to(&format!("{LIST}/{slug}?fait=fichiers"))),
        Err(EditError::Stale { .. }) => {
            refuse(state, current, slug, "Une autre version vient d'être enregistrée : voici la page à jour.".into())
                .await
        }
        Err(EditError::NotFound) => Err(PageError::NotFound),
        Err(e) => Err(PageError::from(e)),
    }
}

pub async fn remove(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    Path(slug): Path<String>,
    form: FormList,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, &remove_action(&slug), &form.map()).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let row = ready.store.resource_row(&slug).await?.ok_or(PageError::NotFound)?;
    let from_head = form.get("from_head").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let mut content = row.content.clone();
    let id = form.text("id");
    let Some(at) = content.attachments.iter().position(|a| a.id == id) else {
        return refuse(&state, &current, &slug, "Ce fichier n'est plus joint à la ressource.".into()).await;
    };
    let gone = content.attachments.remove(at);
    save(&state, &current, &slug, from_head, &content, &format!("Fichier retiré : {}", gone.label)).await
}

/// `{id}.{extension}` of a file address.
fn file_id(file: &str) -> Option<&str> {
    let (id, _) = file.split_once('.')?;
    is_id(id).then_some(id)
}

/// Serves a stored file with its type, range requests and a download name.
async fn serve(state: &AppState, a: &Attachment, req: Request) -> Result<Response, PageError> {
    let files = state.files.as_ref().ok_or(PageError::NotFound)?;
    if !files.has(&a.id).await {
        return Err(PageError::NotFound);
    }
    let res = ServeFile::new(files.path(&a.id)).oneshot(req).await.map_err(|e| PageError::Internal(e.to_string()))?;
    let mut res = res.map(Body::new);
    let success = res.status().is_success();
    let h = res.headers_mut();
    if success {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.kind.mime()));
        let disposition = format!("inline; filename=\"{}\"", a.file_name());
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    }
    Ok(res)
}

/// A file of a published resource.
pub async fn public_file(
    State(state): State<Arc<AppState>>,
    Path((slug, file)): Path<(String, String)>,
    req: Request,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let id = file_id(&file).ok_or(PageError::NotFound)?;
    let library = ready.library();
    let a = library
        .engine
        .find(&slug)
        .and_then(|r| r.content.attachments.iter().find(|a| a.id == id))
        .cloned()
        .ok_or(PageError::NotFound)?;
    drop(library);
    serve(&state, &a, req).await
}

/// A file of the latest version, for the editors (before publication).
pub async fn editor_file(
    State(state): State<Arc<AppState>>,
    _current: Guard<Editors>,
    Path((slug, file)): Path<(String, String)>,
    req: Request,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let id = file_id(&file).ok_or(PageError::NotFound)?;
    let row = ready.store.resource_row(&slug).await?.ok_or(PageError::NotFound)?;
    let a = row.content.attachments.iter().find(|a| a.id == id).cloned().ok_or(PageError::NotFound)?;
    serve(&state, &a, req).await
}

/// The replay's captions track, written from the transcript.
pub async fn captions(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let library = ready.library();
    let r = library.engine.find(&slug).ok_or(PageError::NotFound)?;
    if r.content.transcript.is_empty() {
        return Err(PageError::NotFound);
    }
    let body = to_vtt(&r.content.transcript);
    Ok(([(header::CONTENT_TYPE, "text/vtt; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], body)
        .into_response())
}
