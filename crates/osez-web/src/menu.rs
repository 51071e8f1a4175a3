//! The back office's sections, the roles that open each, and the chrome
//! (navigation, session notice) of a page in it.

use osez_core::account::Role;

use crate::kit::guard::{Admins, Advisers, AnyRole, Editors, Moderators, RoleSet, Team};
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

const SECTIONS: &[Section] = &[
    Section { href: "/admin", label: "Accueil", roles: AnyRole::ROLES },
    Section { href: "/admin/candidature", label: "Mes candidatures", roles: Advisers::ROLES },
    Section { href: "/admin/profil", label: "Mon profil", roles: Advisers::ROLES },
    Section { href: "/admin/demandes", label: "Demandes reçues", roles: Advisers::ROLES },
    Section { href: "/admin/evenements", label: "Mes événements", roles: Advisers::ROLES },
    Section { href: "/admin/messages", label: "Messages", roles: Team::ROLES },
    Section { href: "/admin/suivi", label: "Suite des contacts", roles: Team::ROLES },
    Section { href: "/admin/candidatures", label: "Candidatures", roles: Editors::ROLES },
    Section { href: "/admin/appels", label: "Appels", roles: Editors::ROLES },
    Section { href: "/admin/revendications", label: "Revendications", roles: Editors::ROLES },
    Section { href: "/admin/ressources", label: "Ressources", roles: Editors::ROLES },
    Section { href: "/admin/moderation", label: "Modération", roles: Moderators::ROLES },
    Section { href: "/admin/consultations", label: "Consultations", roles: Moderators::ROLES },
    Section { href: "/admin/recherches", label: "Recherches sans résultat", roles: Editors::ROLES },
    Section { href: "/admin/couverture", label: "Couverture", roles: Team::ROLES },
    Section { href: "/admin/journal", label: "Journal", roles: Admins::ROLES },
    Section { href: "/admin/comptes", label: "Comptes", roles: Admins::ROLES },
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
