//! Events proposed by advisers: a workshop in person or a webinar, with
//! its date, place and seats, written in the editor's form (reduced to
//! what an event needs) from the adviser's account. A proposal goes to
//! the team's review; the adviser may change it until it is published,
//! then it shows in the agenda, on the adviser's profile and beside the
//! directory's results near its place.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use osez_core::resource::{Content, Problem, ResourceType, Status};
use osez_core::{Adviser, AdviserId};
use osez_store::{EditError, OPEN_PROPOSALS_MAX, ResourceRow};

use crate::kit::error::{ErrorPage, PageError, render};
use crate::kit::format::format_datetime_long;
use crate::kit::forms::FormList;
use crate::kit::guard::{Advisers, Guard};
use crate::kit::page::{back_to, no_store};
use crate::kit::params::RawParams;
use crate::kit::session::{CurrentUser, checked};
use crate::kit::state::AppState;
use crate::kit::tokens::now_ms;
use crate::menu::chrome;
use crate::resources::draft::Draft;
use crate::resources::editor::{Here, Shown, check, edit_page, preview_for};
use crate::resources::views::{ProposalView, ProposalsPage, place_label};

pub(crate) const LIST: &str = "/admin/evenements";
const NEW: &str = "/admin/evenements/nouveau";
pub(crate) const PREVIEW: &str = "/admin/evenements/apercu";
/// Proposals the list shows, newest first.
const LISTED: i64 = 100;

fn edit_action(slug: &str) -> String {
    format!("{LIST}/{slug}")
}

/// The adviser profile this account organises events as.
async fn organiser(state: &AppState, current: &CurrentUser) -> Result<Option<Adviser>, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let Some(id) = current.user.adviser_id.as_deref().and_then(|id| AdviserId::parse(id).ok()) else {
        return Ok(None);
    };
    Ok(ready.store.adviser(&id).await?)
}

fn no_profile(state: &AppState) -> Response {
    let page = ErrorPage {
        title: "Aucun profil publié",
        message: "Votre compte n'est lié à aucun profil publié : vous pourrez proposer des événements quand votre \
                  candidature aura été acceptée."
            .into(),
        base: state.base(),
    };
    no_store(render(StatusCode::CONFLICT, &page))
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::Review => "En attente de relecture par l'équipe",
        Status::Draft => "Renvoyée par l'équipe : modifiez-la pour la soumettre de nouveau",
        Status::Scheduled => "Validée, publication programmée",
        Status::Published => "Publiée",
        Status::Archived => "Retirée du site",
    }
}

fn view(state: &AppState, row: &ResourceRow) -> ProposalView {
    let w = row.content.webinar.as_ref();
    ProposalView {
        title: row.content.title.clone(),
        when: w.map(|w| format_datetime_long(w.starts_at)).unwrap_or_default(),
        place: w.map(|w| place_label(&state.geo, w)).unwrap_or_default(),
        status: status_label(row.status),
        public_url: row.live.is_some().then(|| format!("/ressources/{}", row.slug)),
        edit_url: row.status.is_open_proposal().then(|| edit_action(&row.slug)),
    }
}

/// `/admin/evenements`: the adviser's proposals and where each stands.
pub async fn list(
    State(state): State<Arc<AppState>>,
    current: Guard<Advisers>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let Some(adviser) = organiser(&state, &current).await? else { return Ok(no_profile(&state)) };
    let ready = state.ready().ok_or(PageError::Starting)?;
    let rows = ready.store.proposals_of(&adviser.id, LISTED).await?;
    let open = rows.iter().filter(|r| r.status.is_open_proposal()).count();
    let notice = match RawParams::from_query(query.as_deref()).get("fait") {
        Some("proposee") => Some("Votre proposition est envoyée : l'équipe la relit avant de la publier."),
        Some("enregistree") => Some("Vos modifications sont enregistrées et envoyées à l'équipe pour relecture."),
        _ => None,
    };
    let page = ProposalsPage {
        base: state.base(),
        chrome: chrome(&state, &current, LIST),
        proposals: rows.iter().map(|r| view(&state, r)).collect(),
        can_propose: i64::try_from(open).unwrap_or(i64::MAX) < OPEN_PROPOSALS_MAX,
        open_max: OPEN_PROPOSALS_MAX,
        notice,
    };
    Ok(no_store(render(StatusCode::OK, &page)))
}

fn form_page(state: &AppState, current: &CurrentUser, slug: Option<&str>, form: Draft, shown: Shown) -> Response {
    let (action, heading) = match slug {
        Some(s) => (edit_action(s), format!("Modifier « {} »", form.title.trim())),
        None => (NEW.to_string(), "Proposer un événement".to_string()),
    };
    let here = Here { action, heading, menu: LIST, preview_url: PREVIEW, proposal: true };
    edit_page(state, current, slug, here, form, shown)
}

/// The fields an adviser may set; the rest stays the team's.
fn posted(form: &FormList) -> Draft {
    Draft {
        kind: ResourceType::Webinaire.slug().into(),
        slug: String::new(),
        note: String::new(),
        specialties: Vec::new(),
        sectors: Vec::new(),
        w_transcript: String::new(),
        ..Draft::from_form(form)
    }
}

/// Checks the form as the editors' form does, and that the event is to
/// come.
async fn checked_content(
    state: &AppState,
    draft: Draft,
    preview: bool,
) -> Result<(Draft, Shown, Option<Content>), Response> {
    let Ok((draft, mut shown, content)) = check(state, draft, preview).await else {
        return Err(crate::resources::editorial::refused_with(
            state,
            StatusCode::SERVICE_UNAVAILABLE,
            "Serveur occupé",
            "Le serveur est très occupé : réessayez dans un instant, votre proposition n'a pas été enregistrée.".into(),
        ));
    };
    let past = content.as_ref().and_then(|c| c.webinar.as_ref()).is_some_and(|w| w.starts_at <= now_ms());
    if past {
        shown
            .problems
            .push(Problem {
                field: "webinar.starts_at", message: "La date de l'événement doit être à venir.".into()
            });
        return Ok((draft, shown, None));
    }
    Ok((draft, shown, content))
}

pub async fn new_form(State(state): State<Arc<AppState>>, current: Guard<Advisers>) -> Result<Response, PageError> {
    let Some(adviser) = organiser(&state, &current).await? else { return Ok(no_profile(&state)) };
    let draft = Draft {
        kind: ResourceType::Webinaire.slug().into(),
        w_speakers: adviser.name.clone(),
        w_capacity: "20".into(),
        w_duration: "120".into(),
        ..Draft::blank()
    };
    Ok(form_page(&state, &current, None, draft, Shown::default()))
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    current: Guard<Advisers>,
    form: FormList,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, NEW, &form.map()).await {
        return Ok(res);
    }
    let Some(adviser) = organiser(&state, &current).await? else { return Ok(no_profile(&state)) };
    let ready = state.ready().ok_or(PageError::Starting)?;
    let wants_preview = form.get("apercu").is_some();
    let (draft, mut shown, content) = match checked_content(&state, posted(&form), wants_preview).await {
        Ok(checked) => checked,
        Err(busy) => return Ok(busy),
    };
    if wants_preview {
        return Ok(form_page(&state, &current, None, draft, Shown { problems: Vec::new(), ..shown }));
    }
    let Some(content) = content else { return Ok(form_page(&state, &current, None, draft, shown)) };
    let base = match draft.new_slug() {
        Ok(slug) => slug,
        Err(p) => {
            shown.problems.push(Problem { field: "title", message: p.message });
            return Ok(form_page(&state, &current, None, draft, shown));
        }
    };
    // The address comes from the title; a taken one gets a number.
    for n in 1..=20 {
        let slug = if n == 1 { base.clone() } else { format!("{}-{n}", base.chars().take(76).collect::<String>()) };
        match ready.store.propose_event(&slug, &content, &adviser.id, current.user.email.as_str()).await {
            Ok(()) => return Ok(back_to(&format!("{LIST}?fait=proposee"))),
            Err(EditError::SlugTaken) => continue,
            Err(EditError::TooManyOpen) => {
                shown.error = Some(format!(
                    "Vous avez déjà {OPEN_PROPOSALS_MAX} propositions en attente : attendez que l'équipe en ait relu \
                     une avant d'en envoyer une autre. Votre texte est conservé ci-dessous."
                ));
                return Ok(form_page(&state, &current, None, draft, shown));
            }
            Err(e) => return Err(PageError::from(e)),
        }
    }
    shown.problems.push(Problem {
        field: "title",
        message: "Plusieurs événements portent déjà ce titre : précisez-le (lieu, date).".into(),
    });
    Ok(form_page(&state, &current, None, draft, shown))
}

/// The adviser's own proposal, while it is theirs to change.
async fn own_open(state: &AppState, adviser: &Adviser, slug: &str) -> Result<ResourceRow, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let row = ready.store.resource_row(slug).await?.ok_or(PageError::NotFound)?;
    // Someone else's proposal, or a resource of the team: as if absent.
    if row.organiser.as_ref() != Some(&adviser.id) {
        return Err(PageError::NotFound);
    }
    Ok(row)
}

fn closed(state: &AppState) -> Response {
    crate::resources::editorial::refused_with(
        state,
        StatusCode::CONFLICT,
        "Proposition déjà traitée",
        "L'équipe a validé ou retiré cet événement : pour le modifier, écrivez-lui depuis la page Contact.".into(),
    )
}

pub async fn edit_form(
    State(state): State<Arc<AppState>>,
    current: Guard<Advisers>,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let Some(adviser) = organiser(&state, &current).await? else { return Ok(no_profile(&state)) };
    let row = own_open(&state, &adviser, &slug).await?;
    if !row.status.is_open_proposal() {
        return Ok(closed(&state));
    }
    let draft = Draft::from_content(&row.content, row.head, &state.geo);
    Ok(form_page(&state, &current, Some(&slug), draft, Shown::default()))
}

pub async fn save(
    State(state): State<Arc<AppState>>,
    current: Guard<Advisers>,
    Path(slug): Path<String>,
    form: FormList,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, &edit_action(&slug), &form.map()).await {
        return Ok(res);
    }
    let Some(adviser) = organiser(&state, &current).await? else { return Ok(no_profile(&state)) };
    let row = own_open(&state, &adviser, &slug).await?;
    let ready = state.ready().ok_or(PageError::Starting)?;
    let wants_preview = form.get("apercu").is_some();
    let (mut draft, mut shown, content) = match checked_content(&state, posted(&form), wants_preview).await {
        Ok(checked) => checked,
        Err(busy) => return Ok(busy),
    };
    if wants_preview {
        return Ok(form_page(&state, &current, Some(&slug), draft, Shown { problems: Vec::new(), ..shown }));
    }
    let Some(mut content) = content else { return Ok(form_page(&state, &current, Some(&slug), draft, shown)) };
    // What the team added (links to advisers, files) is kept.
    content.specialties = row.content.specialties;
    content.sectors = row.content.sectors;
    content.transcript = row.content.transcript;
    content.attachments = row.content.attachments;
    match ready.store.save_proposal(&slug, draft.from_head, &content, &adviser.id, current.user.email.as_str()).await {
        Ok(_) => Ok(back_to(&format!("{LIST}?fait=enregistree"))),
        Err(EditError::Stale { head }) => {
            shown.error = Some(
                "Cette proposition a été modifiée entre-temps (dans un autre onglet ou par l'équipe) : rien n'a été \
                 enregistré. Votre texte est conservé ci-dessous ; enregistrez de nouveau pour le garder."
                    .into(),
            );
            draft.from_head = head;
            Ok(form_page(&state, &current, Some(&slug), draft, shown))
        }
        Err(EditError::Closed) => Ok(closed(&state)),
        Err(EditError::NotFound) => Err(PageError::NotFound),
        Err(e) => Err(PageError::from(e)),
    }
}

/// The live preview of the adviser's form.
pub async fn preview(State(state): State<Arc<AppState>>, current: Guard<Advisers>, form: FormList) -> Response {
    preview_for(&state, &current, PREVIEW, form).await
}
