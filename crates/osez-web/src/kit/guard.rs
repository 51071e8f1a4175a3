//! Who may open a page, stated in the handler's signature.
//!
//! A handler that takes a [`Guard<R>`] admits the roles of `R` and no one
//! else: the extractor sends someone without a session to the sign-in page
//! and answers anyone else with the French 403 before the handler runs. The
//! signed-in user is only reachable through a guard (or, on a public page
//! whose content depends on who looks, through a [`Visitor`]): a route
//! without a guard is public by construction, and `tests/layout.rs` lists
//! every route with its guard.

use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use osez_core::account::Role;

use crate::kit::error::{ErrorPage, render};
use crate::kit::page::Base;
use crate::kit::page::no_store;
use crate::kit::session::{CurrentUser, session_user};
use crate::kit::state::AppState;

/// A set of roles that a guard admits.
pub(crate) trait RoleSet: Send + Sync + 'static {
    const ROLES: &'static [Role];

    /// True when `current`'s role is in the set (for a public page that
    /// shows something else to some roles; access is the guard's job).
    fn admits(current: &CurrentUser) -> bool {
        Self::ROLES.contains(&current.user.role)
    }
}

macro_rules! role_set {
    ($(#[$doc:meta])* $name:ident = [$($role:ident),+]) => {
        $(#[$doc])*
        pub(crate) struct $name;

        impl RoleSet for $name {
            const ROLES: &'static [Role] = &[$(Role::$role),+];
        }
    };
}

role_set!(
    /// Every signed-in account.
    AnyRole = [Admin, Editor, Moderator, Adviser]
);
role_set!(
    /// The France Num team: administrators, editors, moderators.
    Team = [Admin, Editor, Moderator]
);
role_set!(
    /// Those who edit the network: applications, calls, claims, searches.
    Editors = [Admin, Editor]
);
role_set!(
    /// Those who decide on abuse reports.
    Moderators = [Admin, Moderator]
);
role_set!(
    /// Accounts and the audit log.
    Admins = [Admin]
);
role_set!(
    /// An adviser's own applications, profile and requests.
    Advisers = [Adviser]
);

/// The signed-in user, admitted by the roles of `R`.
pub(crate) struct Guard<R: RoleSet> {
    current: CurrentUser,
    roles: PhantomData<R>,
}

impl<R: RoleSet> Deref for Guard<R> {
    type Target = CurrentUser;

    fn deref(&self) -> &CurrentUser {
        &self.current
    }
}

impl<R: RoleSet> FromRequestParts<Arc<AppState>> for Guard<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Response> {
        let current = session_user(parts, state).await?;
        if !R::admits(&current) {
            return Err(forbidden(&current));
        }
        Ok(Guard { current, roles: PhantomData })
    }
}

/// Whoever looks at a public page: signed in or not. No role is checked.
pub(crate) struct Visitor(pub Option<CurrentUser>);

impl FromRequestParts<Arc<AppState>> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        Ok(Visitor(session_user(parts, state).await.ok()))
    }
}

/// The French 403 page for a user whose role does not open a page.
fn forbidden(current: &CurrentUser) -> Response {
    let page = ErrorPage {
        title: "Accès refusé",
        message: format!(
            "Votre rôle ({}) ne donne pas accès à cette page. Demandez à un administrateur si vous en avez besoin.",
            current.user.role.label()
        ),
        base: Base::bare(),
    };
    no_store(render(StatusCode::FORBIDDEN, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_is_somewhere_and_any_role_is_all_of_them() {
        assert_eq!(AnyRole::ROLES, Role::ALL);
        for role in Role::ALL {
            let sets = [Team::ROLES, Editors::ROLES, Moderators::ROLES, Admins::ROLES, Advisers::ROLES];
            assert!(sets.iter().any(|s| s.contains(role)), "{role:?}");
        }
        assert!(!Team::ROLES.contains(&Role::Adviser) && !Advisers::ROLES.contains(&Role::Admin));
    }
}
