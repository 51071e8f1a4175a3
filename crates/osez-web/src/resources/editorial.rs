//! The editors' side of the resource centre: every resource with its
//! state, and one resource's history (versions, what each changed,
//! restore) and workflow moves. Writing a version is the editor's
//! (`editor.rs`).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use osez_core::resource::Status;
use osez_core::resource::diff::{Change, diff};
use osez_store::EditError;

use crate::kit::error::{ErrorPage, PageError, render};
use crate::kit::format::{format_time, today};
use crate::kit::forms::FormFields;
use crate::kit::guard::{Editors, Guard};
use crate::kit::page::no_store;
use crate::kit::params::RawParams;
use crate::kit::session::{CurrentUser, checked, session_binding};
use crate::kit::state::{AppState, Library};
use crate::kit::tokens::form_token;
use crate::mail::event_decision;
use crate::menu::chrome;
use crate::resources::views::{
    AdminListPage, AdminResourcePage, AdminRow, DiffLine, FileRow, MoveButton, VersionView, file_url,
};

const LIST: &str = "/admin/ressources";
const PER_PAGE: i64 = 50;

fn move_label(to: Status) -> &'static str {
    match to {
        Status::Draft => "Repasser en brouillon",
        Status::Review => "Envoyer en relecture",
        Status::Scheduled => "Programmer la publication",
        Status::Published => "Publier maintenant",
        Status::Archived => "Archiver (retirer du site)",
    }
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = RawParams::from_query(query.as_deref());
    let status = raw.get("etat").and_then(Status::from_slug);
    let page: i64 = raw.get("page").and_then(|p| p.parse().ok()).filter(|p| (1..=10_000).contains(p)).unwrap_or(1);
    let rows = ready.store.resource_rows(status, PER_PAGE + 1, (page - 1) * PER_PAGE).await?;
    let more = rows.len() as i64 > PER_PAGE;
    let rows = rows
        .into_iter()
        .take(PER_PAGE as usize)
        .map(|r| AdminRow {
            url: format!("{LIST}/{}", r.slug),
            title: r.content.title.clone(),
            kind: r.content.kind.label(),
            status: r.status.label(),
            pending: r.live.is_some_and(|l| l < r.head) && r.status != Status::Archived,
            changed: format_time(r.head_at),
            author: r.head_author,
        })
        .collect();
    let filters =
        Status::ALL.iter().map(|s| (s.label(), format!("{LIST}?etat={}", s.slug()), status == Some(*s))).collect();
    let next = more.then(|| match status {
        Some(s) => format!("{LIST}?etat={}&page={}", s.slug(), page + 1),
        None => format!("{LIST}?page={}", page + 1),
    });
    let page = AdminListPage { base: state.base(), chrome: chrome(&state, &current, LIST), rows, filters, next };
    Ok(no_store(render(StatusCode::OK, &page)))
}

fn action(slug: &str, what: &str) -> String {
    format!("{LIST}/{slug}/{what}")
}

pub(crate) async fn resource_page(
    state: &AppState,
    current: &CurrentUser,
    slug: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let row = ready.store.resource_row(slug).await?.ok_or(PageError::NotFound)?;
    let versions = ready.store.resource_versions(slug).await?;
    let token = |what: &str| form_token(&ready.secrets, &session_binding(&action(slug, what), current));
    let moves = Status::ALL
        .iter()
        .copied()
        .filter(|&to| osez_store::workflow_allows(row.status, to))
        .map(|to| MoveButton { to: to.slug(), label: move_label(to), schedule: to == Status::Scheduled })
        .collect();
    // What each version changed from the one before it: a line diff of
    // whole documents, off the async runtime.
    let live = row.live;
    let views = state
        .documents
        .run(move || {
            versions
                .iter()
                .enumerate()
                .map(|(i, v)| VersionView {
                    version: v.version,
                    at: format_time(v.created_at),
                    author: v.author.clone(),
                    note: v.note.clone(),
                    live: live == Some(v.version),
                    changes: versions
                        .get(i + 1)
                        .map(|prev| {
                            diff(&prev.content, &v.content)
                                .into_iter()
                                .filter(|(c, _)| *c != Change::Same)
                                .map(|(c, text)| DiffLine { added: c == Change::Added, text })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect::<Vec<_>>()
        })
        .await;
    let Ok(views) = views else {
        let message = "Le serveur est très occupé : rechargez la page dans un instant.".to_string();
        return Ok(refused_with(state, StatusCode::SERVICE_UNAVAILABLE, "Serveur occupé", message));
    };
    let page = AdminResourcePage {
        base: state.base(),
        chrome: chrome(state, current, LIST),
        slug: row.slug.clone(),
        title: row.content.title.clone(),
        status: row.status.label(),
        public: row.live.is_some() && row.status != Status::Archived,
        publish_at: row.publish_at.map(format_time),
        moves,
        versions: views,
        token_move: token("etat"),
        token_restore: token("restaurer"),
        token_upload: token("fichiers"),
        token_remove: token("fichiers/retirer"),
        head: row.head,
        files: row
            .content
            .attachments
            .iter()
            .map(|a| FileRow {
                id: a.id.clone(),
                label: a.label.clone(),
                format_size: a.format_and_size(),
                public_url: file_url(&row.slug, a),
                // The editors' copy of the same address, under the back office.
                url: format!("/admin{}", file_url(&row.slug, a)),
                is_image: a.kind.is_image(),
            })
            .collect(),
        cues: row.content.transcript.len(),
        is_webinar: row.content.kind == osez_core::resource::ResourceType::Webinaire,
        organiser: row.organiser.as_ref().map(|id| {
            let name = ready.directory().engine.find(id.as_str()).map_or_else(|| id.to_string(), |a| a.name.clone());
            (id.to_string(), name)
        }),
        upload_limits: state.files.as_ref().map(|f| f.limits_text()),
        today: today().to_string(),
        notice,
        error,
    };
    Ok(no_store(render(StatusCode::OK, &page)))
}

pub async fn resource(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    // After the editor's form (post, then redirect here).
    let notice = match RawParams::from_query(query.as_deref()).get("fait") {
        Some("creee") => {
            Some("La ressource est créée, en brouillon : envoyez-la en relecture ou publiez-la.".to_string())
        }
        Some("fichiers") => Some(
            "Les fichiers sont à jour dans une nouvelle version, en brouillon : publiez-la pour la mettre en ligne."
                .to_string(),
        ),
        Some("enregistree") => {
            Some("La nouvelle version est enregistrée, en brouillon : publiez-la pour la mettre en ligne.".to_string())
        }
        _ => None,
    };
    resource_page(&state, &current, &slug, notice, None).await
}

/// After a change the public sees: this node re-indexes now; the others
/// follow the resources' version.
async fn reindex(state: &AppState) {
    let Some(ready) = state.ready() else { return };
    match Library::load(&ready.store).await {
        Ok(library) => ready.replace_library(library),
        Err(e) => tracing::warn!(error = %e, "cannot re-index the resources; the periodic reload will"),
    }
}

pub(crate) fn refused_with(state: &AppState, status: StatusCode, title: &'static str, message: String) -> Response {
    no_store(render(status, &ErrorPage { title, message, base: state.base() }))
}

fn refused(state: &AppState, title: &'static str, message: String) -> Response {
    refused_with(state, StatusCode::UNPROCESSABLE_ENTITY, title, message)
}

pub async fn change_status(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    Path(slug): Path<String>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, &action(&slug, "etat"), &form).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let Some(to) = form.get("to").and_then(|s| Status::from_slug(s)) else {
        return Ok(refused(&state, "Action inconnue", "Choisissez une des actions proposées.".into()));
    };
    let publish_at = if to == Status::Scheduled {
        let when = form.get("quand").map(String::as_str).unwrap_or("");
        match when.parse::<jiff::civil::DateTime>().ok().and_then(osez_core::resource::starter::paris_ms) {
            Some(ms) if ms > crate::kit::tokens::now_ms() => Some(ms),
            _ => {
                let error = "Indiquez une date et une heure de publication à venir (heure de Paris).".to_string();
                return resource_page(&state, &current, &slug, None, Some(error)).await;
            }
        }
    } else {
        None
    };
    // The adviser who proposed an event hears of its first publication,
    // of its return for changes and of its removal.
    let row = ready.store.resource_row(&slug).await?.ok_or(PageError::NotFound)?;
    let told = match to {
        Status::Published | Status::Scheduled => row.published_at.is_none(),
        Status::Draft => row.status == Status::Review,
        Status::Archived => true,
        Status::Review => false,
    };
    let mut mails = Vec::new();
    if let Some(organiser) = row.organiser.as_ref().filter(|_| told) {
        for address in ready.store.adviser_addresses(organiser).await? {
            mails.extend(event_decision(&state.config, &address, &row.content.title, &slug, to));
        }
    }
    match ready.store.set_resource_status_with(&slug, to, publish_at, current.user.email.as_str(), &mails).await {
        Ok(()) => {
            if matches!(to, Status::Published | Status::Archived) {
                reindex(&state).await;
            }
            let notice = format!("État de la ressource : {}.", to.label());
            resource_page(&state, &current, &slug, Some(notice), None).await
        }
        Err(EditError::NotFound) => Err(PageError::NotFound),
        Err(EditError::Transition { from, .. }) => {
            let error =
                format!("Cette action n'est pas possible depuis l'état « {} » ; la page est à jour.", from.label());
            resource_page(&state, &current, &slug, None, Some(error)).await
        }
        Err(e) => Err(PageError::from(e)),
    }
}

pub async fn restore(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    Path(slug): Path<String>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, &action(&slug, "restaurer"), &form).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let Some(version) = form.get("version").and_then(|v| v.parse::<i64>().ok()) else {
        return Ok(refused(&state, "Version inconnue", "Choisissez une version de l'historique.".into()));
    };
    match ready.store.restore_resource(&slug, version, current.user.email.as_str()).await {
        Ok(head) => {
            let notice = format!(
                "La version {version} est redevenue la plus récente (version {head}, en brouillon) : publiez-la pour la mettre en ligne."
            );
            resource_page(&state, &current, &slug, Some(notice), None).await
        }
        Err(EditError::NotFound) => Err(PageError::NotFound),
        Err(EditError::Stale { .. }) => {
            let error = "Une autre version vient d'être enregistrée : voici l'historique à jour.".to_string();
            resource_page(&state, &current, &slug, None, Some(error)).await
        }
        Err(e) => Err(PageError::from(e)),
    }
}
