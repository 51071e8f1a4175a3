//! Every state-changing back-office route, sent by every role, on every
//! backend. A role that the route does not admit gets the French 403 "Accès
//! refusé" before anything is read or changed; one that it admits gets past
//! the role check (whatever the form then says). The form token is valid
//! for the session, so that the role is the only thing tested. Pages (GET)
//! are covered by `backoffice.rs`.

mod common;

use axum::http::StatusCode;
use common::*;
use osez_core::account::Role;
use osez_web::Secrets;
use osez_web::form_token;
use osez_web::token_hash;

const ALL: &[Role] = &[Role::Admin, Role::Editor, Role::Moderator, Role::Adviser];
const TEAM: &[Role] = &[Role::Admin, Role::Editor, Role::Moderator];
const REVIEWERS: &[Role] = &[Role::Admin, Role::Editor];
const MODERATORS: &[Role] = &[Role::Admin, Role::Moderator];
const ADMINS: &[Role] = &[Role::Admin];
const ADVISERS: &[Role] = &[Role::Adviser];

/// Every POST of the back office, with the roles it admits.
const POSTS: &[(&str, &[Role])] = &[
    ("/admin/session/prolonger", ALL),
    ("/admin/candidature/1", ADVISERS),
    ("/admin/profil", ADVISERS),
    ("/admin/demandes/1", ADVISERS),
    ("/admin/candidatures/1", REVIEWERS),
    ("/admin/appels", REVIEWERS),
    ("/admin/messages/1", TEAM),
    ("/admin/moderation/demo-act-0001", MODERATORS),
    ("/admin/comptes/1/sessions", ADMINS),
    ("/admin/comptes/1/etat", ADMINS),
    ("/admin/revendications", REVIEWERS),
    ("/admin/revendications/1", REVIEWERS),
];

/// A form token for `action`, bound to the session of `cookie`, as the
/// page of the form would have given it (the tests' key is `[9; 32]`).
fn token_for(action: &str, cookie: &str) -> String {
    let session = cookie.split_once('=').unwrap().1;
    form_token(&Secrets { form_key: [9; 32] }, &format!("{action}|{}", token_hash(session)))
}

#[tokio::test]
async fn each_role_may_send_only_the_forms_of_its_pages() {
    for (backend, state, store) in apps().await {
        for role in Role::ALL {
            let cookie = signed_in(&state, &store, &format!("{}@exemple.fr", role.slug()), *role).await;
            for (path, roles) in POSTS {
                let body = format!("jeton={}&decision=rejeter&note=x&status=closed", enc(&token_for(path, &cookie)));
                let (status, _, page) = post(&state, path, body, Some(&cookie)).await;
                let refused = status == StatusCode::FORBIDDEN && page.contains("Accès refusé");
                assert_eq!(refused, !roles.contains(role), "{backend}: {role:?} POST {path} answered {status}");
                assert!(!page.contains("Requête refusée"), "{backend}: {role:?} POST {path}: the token was refused");
            }
        }
    }
}
