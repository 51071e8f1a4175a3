//! The back office's sections, the roles that open each, and the chrome
//! (navigation, session notice) of a page in it.

use osez_core::account::Role;

use crate::kit::page::{Chrome, NavLink};
use crate::kit::session::{CurrentUser, session_binding};
use crate::kit::state::AppState;
use crate::kit::tokens::{form_token, now_ms};

/// A section of the back office and the roles that open it.
struct Section {
    href: &'static str,
    label: &'static str,
    roles: &'static [Role],
}

pub(crate) const TEAM: &[Role] = &[Role::Admin, Role::Editor, Role::Moderator];

pub(crate) const MODERATION: &[Role] = &[Role::Admin, Role::Moderator];

pub(crate) const EDITORS: &[Role] = &[Role::Admin, Role::Editor];

pub(crate) const ADMINS: &[Role] = &[Role::Admin];

const SECTIONS: &[Section] = &[
    Section { href: "/admin", label: "Accueil", roles: Role::ALL },
    Section { href: "/admin/candidature", label: "Mes candidatures", roles: &[Role::Adviser] },
    Section { href: "/admin/profil", label: "Mon profil", roles: &[Role::Adviser] },
    Section { href: "/admin/demandes", label: "Demandes reçues", roles: &[Role::Adviser] },
    Section { href: "/admin/messages", label: "Messages", roles: TEAM },
    Section { href: "/admin/suivi", label: "Suite des contacts", roles: TEAM },
    Section { href: "/admin/candidatures", label: "Candidatures", roles: EDITORS },
    Section { href: "/admin/appels", label: "Appels", roles: EDITORS },
    Section { href: "/admin/revendications", label: "Revendications", roles: EDITORS },
    Section { href: "/admin/moderation", label: "Modération", roles: MODERATION },
    Section { href: "/admin/recherches", label: "Recherches sans résultat", roles: EDITORS },
    Section { href: "/admin/couverture", label: "Couverture", roles: TEAM },
    Section { href: "/admin/journal", label: "Journal", roles: ADMINS },
    Section { href: "/admin/comptes", label: "Comptes", roles: ADMINS },
];

/// The navigation, session notice and sign-out form of a page at `here`.
pub(crate) fn chrome(state: &AppState, current: &CurrentUser, here: &str) -> Chrome {
    let token = |action: &str| {
        state.ready().map(|r| form_token(&r.secrets, &session_binding(action, current))).unwrap_or_default()
    };
    let idle_ms = (current.idle_deadline_ms - now_ms()).max(0);
    let role = current.user.role;
    Chrome {
        email: current.user.email.to_string(),
        role: role.label(),
        nav: SECTIONS
            .iter()
            .filter(|s| s.roles.contains(&role))
            .map(|s| NavLink { href: s.href, label: s.label, current: s.href == here })
            .collect(),
        idle_seconds: idle_ms / 1000,
        minutes_left: idle_ms / 60_000,
        token_extend: token("/admin/session/prolonger"),
        token_sign_out: token("/deconnexion"),
        here: here.to_string(),
    }
}
