//! Role checks of the back office.

use axum::http::StatusCode;
use axum::response::Response;
use osez_core::account::Role;

use crate::kit::error::{ErrorPage, render};
use crate::kit::page::no_store;
use crate::kit::session::CurrentUser;

/// The French 403 page for a user whose role does not open a page; `None`
/// when it does.
pub(crate) fn refused(current: &CurrentUser, roles: &[Role]) -> Option<Response> {
    if roles.contains(&current.user.role) {
        return None;
    }
    let page = ErrorPage {
        title: "Accès refusé",
        message: format!(
            "Votre rôle ({}) ne donne pas accès à cette page. Demandez à un administrateur si vous en avez besoin.",
            current.user.role.label()
        ),
        demo: false,
    };
    Some(no_store(render(StatusCode::FORBIDDEN, &page)))
}
