//! The template replies, in French. Facts about records are cited
//! sentences built from the records' own fields; every other sentence is
//! framing that states nothing about the world.

use osez_core::resource::ResourceType;
use osez_core::{Geography, Specialty};
use osez_search::Relaxation;

use crate::dialogue::State;
use crate::need::{Intent, Maturity, Size};
use crate::recommend::{self, Catalogue, short_place};
use crate::reply::{Ask, Citation, DISCLOSURE, Outcome, Reply, TALK_TO_PERSON, privacy_page};
use crate::understand::Understanding;
use crate::words::Language;

const OFFER_PERSON: &str =
    "Si vous le souhaitez, une personne de l'équipe peut vous répondre : choisissez « Parler à une personne ».";

/// Quick replies that start a new request.
const STARTERS: &[&str] = &["Trouver un conseiller", "Lire un guide", "Un exemple d'usage de l'IA"];

fn starters(reply: &mut Reply) {
    reply.quick_replies = STARTERS.iter().map(|s| s.to_string()).collect();
}

pub fn unreadable(first: bool, chars: usize) -> Reply {
    let mut r = Reply::new(Outcome::Unreadable);
    if first {
        DISCLOSURE.iter().for_each(|s| r.say(*s));
    }
    if chars == 0 {
        r.say("Votre message est vide : dites-moi en quelques mots ce que vous cherchez (un conseiller près de chez vous, un guide, un exemple d'usage de l'IA).");
    } else {
        r.say(format!(
            "Votre message est trop long ({} caractères) : je lis au plus {} caractères. Résumez votre besoin en quelques phrases.",
            group(chars),
            group(crate::dialogue::MAX_MESSAGE_CHARS)
        ));
    }
    starters(&mut r);
    r.quick_replies.push(TALK_TO_PERSON.into());
    r
}

/// "50 000": thousands grouped with a narrow no-break space, as French
/// writes them.
pub fn group(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

pub fn refusal(u: &Understanding) -> Reply {
    let mut r = Reply::new(Outcome::Refused);
    if u.fabrication {
        r.say("Je n'invente ni conseiller, ni chiffre, ni avis, ni source : je ne cite que les fiches de l'annuaire et du centre de ressources.");
    }
    if u.injection {
        r.say("Je garde mes règles : je dis toujours que je suis une IA et je ne cite que des fiches existantes.");
    }
    r.say("Cette demande sort de ce que je sais faire : je vous aide à trouver un activateur France Num ou un ambassadeur IA, et des ressources sur le numérique et l'IA pour votre entreprise.");
    r.say("Je ne communique aucune donnée personnelle, ni sur les conseillers ni sur les autres personnes qui m'écrivent.");
    r.say(OFFER_PERSON);
    starters(&mut r);
    r
}

pub fn handoff(state: &State, geo: &Geography) -> Reply {
    let mut r = Reply::new(Outcome::HandedOff);
    r.say("Une personne de l'équipe peut vous répondre : le formulaire de contact s'ouvre avec un résumé de votre besoin, que vous pouvez modifier.");
    r.say("Rien n'est envoyé sans votre accord.");
    r.handoff = Some(summary(state, geo));
    r
}

pub fn data_rights(retention_days: u32) -> Reply {
    let mut r = Reply::new(Outcome::DataRights);
    r.cite(
        format!(
            "Vos messages à l'assistant sont conservés {retention_days} jours après le dernier message, puis supprimés ; les adresses e-mail, numéros de téléphone et numéros de compte que je reconnais en sont retirés avant tout enregistrement."
        ),
        privacy_page(retention_days),
    );
    r.cite("Ils ne servent à entraîner aucune IA et ne sont transmis à personne.", privacy_page(retention_days));
    r.say("Vous pouvez effacer cette conversation tout de suite avec le bouton « Effacer la conversation ».");
    r
}

fn capitalised(word: &str) -> String {
    let mut c = word.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

pub fn unknown_place(u: &Understanding) -> Reply {
    let mut r = Reply::new(Outcome::NothingFound);
    let name = capitalised(u.unknown_place.as_deref().unwrap_or_default());
    r.say(format!(
        "Je ne trouve pas « {name} » parmi les communes, départements et régions que je connais : l'annuaire couvre la France métropolitaine et les départements d'outre-mer."
    ));
    r.say("Je ne peux donc recommander personne là-bas, et je préfère vous le dire plutôt que d'inventer une réponse.");
    r.say(OFFER_PERSON);
    r.quick_replies = vec!["Un accompagnement à distance".into()];
    r
}

pub fn unknown_topic(u: &Understanding) -> Reply {
    let mut r = Reply::new(Outcome::NothingFound);
    let topic = u.unknown_topic.as_deref().unwrap_or_default();
    r.say(format!(
        "Je n'ai trouvé ni conseiller ni ressource sur « {topic} » dans Osez, et je préfère vous le dire plutôt que d'inventer une réponse."
    ));
    r.say(OFFER_PERSON);
    starters(&mut r);
    r
}

/// "Noté : secteur « Artisanat », à Lyon, 2 à 9 personnes." What the
/// conversation established, so that the person sees it was understood.
fn noted(state: &State, geo: &Geography, reply: &mut Reply) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(s) = state.specialties.first() {
        parts.push(format!("besoin « {} »", s.label()));
    }
    if let Some(s) = state.sector {
        parts.push(format!("secteur « {} »", s.label()));
    }
    if let Some(p) = state.place.as_ref().and_then(|p| p.resolve(geo)) {
        let name = short_place(geo, p);
        reply.context.push(name.clone());
        parts.push(format!("à {name}"));
    }
    if let Some(s) = state.size {
        parts.push(size_label(s).to_string());
    }
    if state.remote == Some(true) {
        parts.push("à distance".into());
    }
    (!parts.is_empty()).then(|| format!("Noté : {}.", parts.join(", ")))
}

/// How a size is written, in the order of [`Size`]'s variants.
pub const SIZE_LABELS: [&str; 3] = ["une personne", "2 à 9 personnes", "10 à 249 personnes"];

fn size_label(s: Size) -> &'static str {
    match s {
        Size::Solo => SIZE_LABELS[0],
        Size::Tpe => SIZE_LABELS[1],
        Size::Pme => SIZE_LABELS[2],
    }
}

fn maturity_label(m: Maturity) -> &'static str {
    match m {
        Maturity::Debutant => "débute avec le numérique",
        Maturity::EnCours => "utilise déjà quelques outils",
        Maturity::Avance => "déjà avancé",
    }
}

pub fn question(ask: Ask, options: Vec<String>, state: &State, geo: &Geography) -> Reply {
    let mut r = Reply::new(Outcome::Asked(ask));
    if let Some(n) = noted(state, geo, &mut r) {
        r.say(n);
    }
    match ask {
        Ask::Need => r.say("Pour bien vous orienter : sur quoi souhaitez-vous être accompagné ?"),
        Ask::Place => r.say("Où se trouve votre entreprise ? Indiquez une commune, un code postal ou un département, ou « Peu importe » si un accompagnement à distance vous convient."),
        Ask::Sector => r.say("Dans quel secteur travaillez-vous ? Je chercherai des exemples qui vous ressemblent."),
    }
    r.quick_replies = options;
    r.quick_replies.push(if ask == Ask::Place { "Peu importe, à distance" } else { "Peu importe" }.into());
    r
}

pub fn recommendations(state: &State, intent: Intent, _u: &Understanding, catalogue: Catalogue<'_>) -> Reply {
    let geo = catalogue.geography();
    let need = state.need(geo);
    let (mut advisers, relaxed) = recommend::advisers(&need, catalogue);
    let wanted = need
        .specialties
        .first()
        .copied()
        .or_else(|| (need.kind == Some(osez_core::Kind::AmbassadeurIa)).then_some(Specialty::IaGenerative));
    if wanted.is_some() {
        // Someone who does not cover the need is not a recommendation.
        advisers.retain(|a| a.specialty.is_some());
    }
    let resources = recommend::resources(&need, catalogue);
    let mut r = Reply::new(Outcome::Recommended);
    if let Some(n) = noted(state, geo, &mut r) {
        r.say(n);
    }
    if advisers.is_empty() && resources.is_empty() {
        r.outcome = Outcome::NothingFound;
        r.say("Je n'ai trouvé dans Osez ni conseiller ni ressource qui réponde à cette demande, et je préfère vous le dire plutôt que d'inventer une réponse.");
        r.say(OFFER_PERSON);
        return r;
    }
    let place = need.place.map(|p| short_place(geo, p));
    let about = wanted.map(|s| format!(" sur « {} »", s.label())).unwrap_or_default();
    let adviser_block = |r: &mut Reply| {
        if advisers.is_empty() {
            match &place {
                Some(p) if need.remote != Some(true) => {
                    r.say(format!("Je n'ai trouvé aucun conseiller qui accompagne{about} près de {p}."))
                }
                _ => r.say(format!("Je n'ai trouvé aucun conseiller qui accompagne{about}.")),
            }
            r.say(OFFER_PERSON);
            return;
        }
        let kind = match need.kind {
            Some(osez_core::Kind::AmbassadeurIa) => "des ambassadeurs IA",
            Some(osez_core::Kind::Activateur) => "des activateurs France Num",
            None => "des conseillers",
        };
        let near = match (&place, need.remote) {
            (_, Some(true)) | (None, _) => " qui accompagnent à distance".to_string(),
            (Some(p), _) => format!(" près de {p}"),
        };
        r.say(format!("Voici {kind}{near} qui accompagnent{about} :"));
        for m in relaxed.iter().filter(|m| !matches!(m, Relaxation::DroppedFilter { .. })) {
            r.say(m.message());
            r.context.push(m.message());
        }
        for a in &advisers {
            let rec = catalogue.adviser(a.ord);
            let demo = if rec.is_demo { " Profil fictif de démonstration." } else { "" };
            r.cite(format!("{} — {}{demo}", rec.name, a.why), Citation::Adviser(a.ord));
        }
    };
    let resource_block = |r: &mut Reply| {
        if resources.is_empty() {
            return;
        }
        if let Some(t) = need.resource_type
            && !resources.iter().any(|p| catalogue.resource(p.ord).content.kind == t)
        {
            r.say(format!(
                "Je n'ai pas de {} sur ce sujet ; voici ce qui s'en rapproche, dans le centre de ressources :",
                type_name(t)
            ));
        } else if intent == Intent::FindAdviser {
            r.say("Pour aller plus loin, dans le centre de ressources :");
        } else {
            r.say("Dans le centre de ressources :");
        }
        for p in &resources {
            let rec = catalogue.resource(p.ord);
            let title = &rec.content.title;
            // A title that is itself a quotation keeps its own marks.
            let quoted = if title.starts_with('«') { title.clone() } else { format!("« {title} »") };
            let demo = if rec.is_demo { " Contenu fictif de démonstration." } else { "" };
            r.cite(format!("{quoted} — {}{demo}", p.why), Citation::Resource(p.ord));
        }
    };
    if intent == Intent::FindAdviser {
        adviser_block(&mut r);
        resource_block(&mut r);
    } else {
        resource_block(&mut r);
        if !advisers.is_empty() {
            adviser_block(&mut r);
        }
    }
    r.advisers = advisers;
    r.resources = resources;
    r
}

fn type_name(t: ResourceType) -> &'static str {
    match t {
        ResourceType::Article => "article",
        ResourceType::Dossier => "dossier pratique",
        ResourceType::CasUsage => "cas d'usage",
        ResourceType::Webinaire => "webinaire",
    }
}

/// The frame of every reply: the disclosure on the first turn, a word in
/// the person's language, what was refused within an in-scope request, and
/// a person always on offer.
pub fn frame(reply: &mut Reply, u: &Understanding, first: bool) {
    let mut head = Reply::new(reply.outcome);
    if first {
        DISCLOSURE.iter().for_each(|s| head.say(*s));
    }
    match u.language {
        Language::French => {}
        Language::English => {
            head.say("I can only answer in French, about support for French businesses; here is my answer.")
        }
        Language::Spanish => head.say(
            "Solo puedo responder en francés, sobre el acompañamiento de empresas francesas; esta es mi respuesta.",
        ),
        Language::German => head.say(
            "Ich kann nur auf Französisch antworten, zur Begleitung französischer Unternehmen; hier ist meine Antwort.",
        ),
        Language::Italian => head.say(
            "Posso rispondere solo in francese, sull'accompagnamento delle imprese francesi; ecco la mia risposta.",
        ),
        Language::Portuguese => head
            .say("Só posso responder em francês, sobre o acompanhamento de empresas francesas; eis a minha resposta."),
    }
    if reply.outcome != Outcome::Refused {
        if u.fabrication {
            head.say("Je n'invente rien : je ne cite que des fiches qui existent.");
        }
        if u.injection {
            head.say("Je garde mes règles : je dis que je suis une IA et je cite mes sources.");
        }
    }
    if !head.sentences.is_empty() {
        head.sentences.append(&mut reply.sentences);
        reply.sentences = head.sentences;
    }
    if !reply.quick_replies.iter().any(|q| q == TALK_TO_PERSON) {
        reply.quick_replies.push(TALK_TO_PERSON.into());
    }
}

/// The need in a few words, for the contact form: only what the
/// conversation established, nothing the person typed verbatim.
pub fn summary(state: &State, geo: &Geography) -> String {
    let mut lines = vec!["Demande préparée avec l'assistant d'Osez.".to_string()];
    if !state.specialties.is_empty() {
        let needs: Vec<&str> = state.specialties.iter().map(|s| s.label()).collect();
        lines.push(format!("Besoin : {}.", needs.join(", ")));
    }
    if let Some(s) = state.sector {
        lines.push(format!("Secteur : {}.", s.label()));
    }
    if let Some(p) = state.place.as_ref().and_then(|p| p.resolve(geo)) {
        lines.push(format!("Lieu : {}.", geo.place_label(p)));
    }
    if let Some(s) = state.size {
        lines.push(format!("Taille : {}.", size_label(s)));
    }
    if let Some(remote) = state.remote {
        lines.push(format!(
            "Accompagnement à distance : {}.",
            if remote { "oui" } else { "non, de préférence en personne" }
        ));
    }
    if let Some(m) = state.maturity {
        lines.push(format!("Niveau : {}.", maturity_label(m)));
    }
    if let Some(k) = state.kind {
        lines.push(format!("Réseau : {}.", k.label()));
    }
    lines.join("\n")
}
