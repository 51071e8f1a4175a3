//! The e-mail Osez writes, in French, as outbox rows. Handlers write them
//! in the same transaction as what causes them; `osez-mail` delivers them.
//! Every header value here is either ours or was refused at the edge if it
//! held a line break (see `osez_core::contact`).

use osez_core::account::Email;
use osez_core::contact::{ContactForm, breaks_header};
use osez_store::{Consultation, NewMail, Origin};

use crate::kit::config::WebConfig;
use crate::kit::tokens::hex;

/// A Message-ID fixed once for all the attempts at sending a mail.
pub(crate) fn message_id(config: &WebConfig) -> String {
    let domain = if config.mail_domain.is_empty() { "osez.invalid" } else { config.mail_domain.as_str() };
    format!("<{}@{domain}>", hex(&rand::random::<[u8; 16]>()))
}

/// "12 mois", "30 jours": how long contact messages are kept.
pub(crate) fn retention_label(days: u32) -> String {
    match days {
        0..=1 => "1 jour".into(),
        2..=59 => format!("{days} jours"),
        _ => format!("{} mois", (days as f64 / 30.4).round() as u32),
    }
}

/// An address typed in a form, fit to receive a mail (lower-cased), or
/// `None` if it is not one or would break a header.
pub(crate) fn typed_address(typed: &str) -> Option<String> {
    Email::parse(typed).ok().filter(|_| !breaks_header(typed)).map(|e| e.as_str().to_owned())
}

/// The line that opens a mail about a demo consultation, else nothing.
pub(crate) fn consultation_demo_notice(c: &Consultation) -> &'static str {
    if c.origin == Origin::Demo { "Cette consultation est une consultation de démonstration.\n\n" } else { "" }
}

/// The public address of the site, without a trailing slash.
pub(crate) fn base_url(config: &WebConfig) -> &str {
    config.public_url.as_deref().unwrap_or("").trim_end_matches('/')
}

/// The end of every mail: where to see or erase one's data.
pub(crate) fn signature(config: &WebConfig) -> String {
    format!(
        "-- \nOsez – le numérique et l'IA pour les TPE et PME\n\
         Message envoyé automatiquement. Vos données : {}/mes-donnees",
        base_url(config)
    )
}

fn about_sender(form: &ContactForm) -> String {
    let company = form.company.as_deref().map(|c| format!("Entreprise : {c}\n")).unwrap_or_default();
    format!(
        "De : {} <{}>\n{company}Commune : {}\nBesoin : {}\n",
        form.name,
        form.email,
        form.commune_label,
        form.need.label()
    )
}

fn quoted(text: &str) -> String {
    text.lines().map(|l| format!("> {l}")).collect::<Vec<_>>().join("\n")
}

/// The message, to one address of the adviser; answering goes to the
/// person who wrote.
pub(crate) fn to_adviser(config: &WebConfig, to: &str, form: &ContactForm, adviser_name: &str) -> NewMail {
    let sig = signature(config);
    let base = base_url(config);
    NewMail {
        message_id: message_id(config),
        kind: "contact_adviser",
        to: to.to_string(),
        reply_to: Some(form.email.to_string()),
        subject: format!("Nouvelle demande via Osez : {}", form.need.label()),
        body: format!(
            "Bonjour,\n\nUne personne a trouvé « {adviser_name} » dans l'annuaire Osez et vous écrit.\n\n{}\n{}\n\n\
             Répondez directement à ce message : votre réponse ira à {}.\n\
             Quand la demande a abouti (ou non), indiquez-le dans votre espace : {base}/admin/demandes\n\n{sig}\n",
            about_sender(form),
            quoted(&form.message),
            form.email
        ),
    }
}

/// The message, to the team's address (a message to the team, or to an
/// adviser who has no account yet, which the team passes on).
pub(crate) fn to_team(config: &WebConfig, to: &str, form: &ContactForm, adviser: Option<&str>) -> NewMail {
    let sig = signature(config);
    let base = base_url(config);
    let (subject, intro) = match adviser {
        Some(name) => (
            format!("Demande à transmettre à « {name} »"),
            format!("Ce message est adressé à « {name} », qui n'a pas encore de compte sur Osez : transmettez-le.\n\n"),
        ),
        None => (format!("Nouveau message : {}", form.need.label()), String::new()),
    };
    NewMail {
        message_id: message_id(config),
        kind: "contact_team",
        to: to.to_string(),
        reply_to: Some(form.email.to_string()),
        subject,
        body: format!(
            "Bonjour,\n\n{intro}{}\n{}\n\nSuivi dans la boîte de l'équipe : {base}/admin/messages\n\n{sig}\n",
            about_sender(form),
            quoted(&form.message)
        ),
    }
}

/// The acknowledgement to the person, with a copy of the message.
pub(crate) fn receipt(config: &WebConfig, form: &ContactForm, recipient: &str) -> NewMail {
    let sig = signature(config);
    NewMail {
        message_id: message_id(config),
        kind: "contact_receipt",
        to: form.email.to_string(),
        reply_to: None,
        subject: format!("Votre message à {recipient} a bien été reçu"),
        // No copy of the text: the form must not let anyone send any text
        // to any address from this site.
        body: format!(
            "Bonjour,\n\nVotre message à {recipient} (besoin : {}) a bien été reçu ; la réponse vous parviendra à cette \
             adresse.\n\nSi vous n'avez rien envoyé, ignorez ce courriel.\n\n\
             Vos données sont conservées {} au plus. Pour les consulter ou les effacer : {}/mes-donnees\n\n{sig}\n",
            form.need.label(),
            retention_label(config.retention_days),
            base_url(config)
        ),
    }
}

/// The team's answer to a message.
pub(crate) fn answer(config: &WebConfig, to: &str, subject: &str, body: &str, original: &str) -> NewMail {
    let sig = signature(config);
    let reply_to = config.team_email.clone();
    NewMail {
        message_id: message_id(config),
        kind: "answer",
        to: to.to_string(),
        reply_to,
        subject: subject.to_string(),
        body: format!("{body}\n\nVotre message :\n{}\n\n{sig}\n", quoted(original)),
    }
}

/// The single-use link to one's data.
pub(crate) fn data_link(config: &WebConfig, to: &str, link: &str, minutes: u64) -> NewMail {
    let sig = signature(config);
    NewMail {
        message_id: message_id(config),
        kind: "data_access",
        to: to.to_string(),
        reply_to: None,
        subject: "Vos données sur Osez : votre lien d'accès".into(),
        body: format!(
            "Bonjour,\n\nVous avez demandé à consulter ou effacer les données qu'Osez conserve sur vous.\n\
             Ce lien sert une seule fois et pendant {minutes} minutes :\n{link}\n\n\
             Si vous n'avez rien demandé, ignorez ce message : rien ne sera fait.\n\n{sig}\n"
        ),
    }
}

/// The single-use link to choose a new password.
pub(crate) fn password_reset(config: &WebConfig, to: &str, link: &str, minutes: u64) -> NewMail {
    let sig = signature(config);
    NewMail {
        message_id: message_id(config),
        kind: "password_reset",
        to: to.to_string(),
        reply_to: None,
        subject: "Osez : choisir un nouveau mot de passe".into(),
        body: format!(
            "Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien (une seule fois, pendant {minutes} minutes) :\n\
             {link}\n\nSi vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.\n\n{sig}\n"
        ),
    }
}

/// To the owner of an account, when someone applied to the directory with
/// its address: nothing was saved, and the page said nothing about the
/// account (so that nobody learns who has one).
pub(crate) fn account_exists(config: &WebConfig, to: &str) -> NewMail {
    let sig = signature(config);
    let base = base_url(config);
    NewMail {
        message_id: message_id(config),
        kind: "account_exists",
        to: to.to_string(),
        reply_to: None,
        subject: "Osez : une candidature avec votre adresse".into(),
        body: format!(
            "Bonjour,\n\nUne candidature à l'annuaire Osez vient d'être envoyée avec votre adresse e-mail. \
             Un compte existe déjà pour cette adresse : la candidature n'a pas été enregistrée et aucun compte \
             n'a été créé.\n\n\
             Si c'était vous, connectez-vous pour suivre vos candidatures : {base}/connexion\n\
             Mot de passe oublié ? Choisissez-en un nouveau : {base}/connexion/oubli\n\n\
             Si vous n'avez rien demandé, ignorez ce message : votre compte ne change pas.\n\n{sig}\n"
        ),
    }
}

// ------------------------------------------------------- claims, invitations

/// To an adviser invited to Osez (a claim accepted, or the team's own
/// invitation): the single-use link that sets the account's password.
pub(crate) fn invitation(config: &WebConfig, to: &str, adviser_name: &str, link: &str, days: u64) -> NewMail {
    let sig = signature(config);
    let base = base_url(config);
    NewMail {
        message_id: message_id(config),
        kind: "invitation",
        to: to.to_string(),
        reply_to: None,
        subject: format!("Osez : votre accès au profil « {adviser_name} »"),
        body: format!(
            "Bonjour,\n\nL'équipe France Num vous donne accès au profil « {adviser_name} » dans l'annuaire Osez. \
             Vous pourrez le mettre à jour et recevoir les demandes des entreprises.\n\n\
             Pour choisir votre mot de passe, ouvrez ce lien (une seule fois, pendant {days} jours) :\n{link}\n\n\
             Ensuite, connectez-vous à {base}/connexion avec cette adresse.\n\n\
             Si vous n'attendiez pas ce message, ignorez-le : aucun accès n'est ouvert sans ce lien.\n\n{sig}\n"
        ),
    }
}

/// To whoever claimed a profile, when the team refuses the claim.
pub(crate) fn claim_refused(config: &WebConfig, to: &str, adviser_name: &str, reason: &str) -> NewMail {
    let sig = signature(config);
    let base = base_url(config);
    NewMail {
        message_id: message_id(config),
        kind: "claim_refused",
        to: to.to_string(),
        reply_to: None,
        subject: format!("Osez : votre demande d'accès au profil « {adviser_name} »"),
        body: format!(
            "Bonjour,\n\nVous avez demandé l'accès au profil « {adviser_name} » de l'annuaire Osez. \
             L'équipe France Num n'a pas pu donner suite à cette demande, pour la raison suivante :\n\n{}\n\n\
             Pour toute question, écrivez à l'équipe : {base}/contact\n\n{sig}\n",
            quoted(reason)
        ),
    }
}

// ------------------------------------------------- decisions on applications

/// What an application was for, as the applicant's mails say it.
fn application_subject(app: &osez_store::Application) -> String {
    let name = &app.form.name;
    match app.kind {
        osez_store::ApplicationKind::Activateur => {
            format!("votre candidature au référencement de « {name} » comme activateur France Num")
        }
        osez_store::ApplicationKind::AmbassadeurIa => format!("la candidature de « {name} » comme ambassadeur IA"),
        osez_store::ApplicationKind::Modification => {
            format!("votre demande de changement de nom ou de SIRET (« {name} »)")
        }
    }
}

fn application_mail(config: &WebConfig, to: &str, kind: &'static str, subject: &str, body: String) -> NewMail {
    NewMail {
        message_id: message_id(config),
        kind,
        to: to.to_string(),
        // Answers go to the team, when it has an address.
        reply_to: config.team_email.clone(),
        subject: subject.to_string(),
        body: format!("Bonjour,\n\n{body}\n\n{}\n", signature(config)),
    }
}

/// To an account of the applicant: the team asks for changes. Only what
/// the applicant gave and the team's note; nothing about the reviewer.
pub(crate) fn application_changes(config: &WebConfig, to: &str, app: &osez_store::Application, note: &str) -> NewMail {
    let base = base_url(config);
    let body = format!(
        "L'équipe France Num a examiné {} et vous demande des modifications :\n\n{}\n\n\
         Corrigez votre candidature puis renvoyez-la depuis votre espace :\n{base}/admin/candidature",
        application_subject(app),
        quoted(note)
    );
    application_mail(config, to, "application_changes", "Osez : votre candidature est à compléter", body)
}

/// To an account of the applicant: refused, with the team's reason.
pub(crate) fn application_refused(
    config: &WebConfig,
    to: &str,
    app: &osez_store::Application,
    reason: &str,
) -> NewMail {
    let base = base_url(config);
    let body = format!(
        "L'équipe France Num a examiné {} et ne l'a pas retenue, pour la raison suivante :\n\n{}\n\n\
         Vos candidatures restent consultables dans votre espace :\n{base}/admin/candidature",
        application_subject(app),
        quoted(reason)
    );
    application_mail(config, to, "application_refused", "Osez : votre candidature n'a pas été retenue", body)
}

/// To an account of the applicant: accepted, the profile is published.
pub(crate) fn application_accepted(
    config: &WebConfig,
    to: &str,
    app: &osez_store::Application,
    profile_id: &str,
) -> NewMail {
    let base = base_url(config);
    let published = match app.kind {
        osez_store::ApplicationKind::Modification => "Le changement est publié dans l'annuaire Osez",
        _ => "Votre profil est publié dans l'annuaire Osez",
    };
    let body = format!(
        "Bonne nouvelle : l'équipe France Num a accepté {}.\n\n\
         {published} :\n{base}/conseillers/{profile_id}\n\n\
         Connectez-vous à votre espace pour tenir votre profil à jour et suivre les demandes qui vous sont \
         adressées :\n{base}/admin",
        application_subject(app)
    );
    application_mail(config, to, "application_accepted", "Osez : votre candidature est acceptée", body)
}

// ---------------------------------------------- decisions on event proposals

/// To an account of the adviser who proposed an event, when the team
/// decides on it; none for a move the organiser need not hear about.
pub(crate) fn event_decision(
    config: &WebConfig,
    to: &str,
    title: &str,
    slug: &str,
    decision: osez_core::resource::Status,
) -> Option<NewMail> {
    use osez_core::resource::Status;
    let base = base_url(config);
    let (kind, subject, body) = match decision {
        Status::Published => (
            "event_published",
            "Osez : votre événement est publié",
            format!(
                "L'équipe France Num a publié l'événement que vous avez proposé, « {title} ». Il paraît dans \
                 l'agenda et sur votre profil, et les entreprises peuvent s'y inscrire :\n{base}/ressources/{slug}"
            ),
        ),
        Status::Scheduled => (
            "event_scheduled",
            "Osez : votre événement est validé",
            format!(
                "L'équipe France Num a validé l'événement que vous avez proposé, « {title} ». Sa publication \
                 est programmée ; il paraîtra alors dans l'agenda et sur votre profil, à cette adresse :\n\
                 {base}/ressources/{slug}"
            ),
        ),
        Status::Draft => (
            "event_returned",
            "Osez : votre proposition d'événement est à revoir",
            format!(
                "L'équipe France Num vous renvoie la proposition « {title} » pour que vous la complétiez ou la \
                 corrigiez. Modifiez-la depuis votre espace ; elle reviendra alors en relecture :\n\
                 {base}/admin/evenements/{slug}\n\nPour toute question, répondez à ce message."
            ),
        ),
        Status::Archived => (
            "event_archived",
            "Osez : votre événement est retiré du site",
            format!(
                "L'équipe France Num a retiré du site l'événement « {title} ». Pour toute question, répondez \
                 à ce message."
            ),
        ),
        Status::Review => return None,
    };
    Some(application_mail(config, to, kind, subject, body))
}
