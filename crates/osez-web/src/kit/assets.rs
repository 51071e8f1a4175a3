//! Static files, compiled into the binary: nothing is loaded from elsewhere.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const STYLE: &str = include_str!("../../static/style.css");
const SCRIPT: &str = include_str!("../../static/app.js");
const ASSISTANT: &str = include_str!("../../static/assistant.js");
const FAVICON: &str = include_str!("../../static/favicon.svg");
// The ALTCHA widget (MIT), copied from npm by tools/altcha.
pub(crate) const ALTCHA: &str = include_str!("../../static/altcha.min.js");
const ALTCHA_CSS: &str = include_str!("../../static/altcha.css");
const ALTCHA_WORKER: &str = include_str!("../../static/altcha-pbkdf2.js");
const ALTCHA_FR: &str = include_str!("../../static/altcha-fr.js");
const ALTCHA_INIT: &str = include_str!("../../static/altcha-init.js");
const ALTCHA_LICENSE: &str = include_str!("../../static/altcha-LICENSE.txt");

pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, mime) = match file.as_str() {
        "style.css" => (STYLE, "text/css; charset=utf-8"),
        "app.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        "assistant.js" => (ASSISTANT, "text/javascript; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        "altcha.min.js" => (ALTCHA, "text/javascript; charset=utf-8"),
        "altcha.css" => (ALTCHA_CSS, "text/css; charset=utf-8"),
        "altcha-pbkdf2.js" => (ALTCHA_WORKER, "text/javascript; charset=utf-8"),
        "altcha-fr.js" => (ALTCHA_FR, "text/javascript; charset=utf-8"),
        "altcha-init.js" => (ALTCHA_INIT, "text/javascript; charset=utf-8"),
        "altcha-LICENSE.txt" => (ALTCHA_LICENSE, "text/plain; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "fichier introuvable").into_response(),
    };
    ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

pub async fn favicon() -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], FAVICON)
        .into_response()
}
