//! A resource's files: uploads checked by content and size with nothing
//! half-saved, range requests on the replay, the player and its captions,
//! format and size shown beside each download.

mod common;

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use osez_core::resource::attachment::size_label;
use osez_web::WebConfig;

const WEBINAR: &str = "webinaire-ia-et-relation-client";
const BOUNDARY: &str = "----osez-test-boundary";

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((filename, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload_request(slug: &str, cookie: &str, body: Body, length: Option<u64>) -> Request<Body> {
    let mut b = Request::post(format!("/admin/ressources/{slug}/fichiers"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::COOKIE, cookie);
    if let Some(n) = length {
        b = b.header(header::CONTENT_LENGTH, n);
    }
    b.body(body).unwrap()
}

/// Signs the editor in; returns the cookie, the upload token and the head.
async fn editor(state: &std::sync::Arc<osez_web::AppState>, slug: &str) -> (String, String, String) {
    let cookie = cookie_of(&sign_in(state, "editrice@exemple.fr", PASSWORD).await.1);
    let page = get(state, &format!("/admin/ressources/{slug}"), Some(&cookie)).await.2;
    let action = format!("/admin/ressources/{slug}/fichiers");
    let form = page.split(&format!("action=\"{action}\"")).nth(1).expect("upload form");
    let token = form.split("name=\"jeton\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let head = form.split("name=\"from_head\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    (cookie, token, head)
}

async fn upload(
    state: &std::sync::Arc<osez_web::AppState>,
    slug: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    file: (&str, &[u8]),
) -> (StatusCode, String) {
    let body = multipart(fields, Some(file));
    let n = body.len() as u64;
    let (status, _, page) = send(state, upload_request(slug, cookie, Body::from(body), Some(n))).await;
    (status, page)
}

/// Apps whose attachments go to `dir`, removed when the test ends.
async fn apps_in(
    dir: &tempfile::TempDir,
) -> Vec<(&'static str, std::sync::Arc<osez_web::AppState>, osez_store::Store)> {
    apps_with(WebConfig { files_dir: Some(dir.path().to_path_buf()), ..test_config() }).await
}

fn pdf() -> Vec<u8> {
    let mut b = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    b.extend(std::iter::repeat_n(b'x', 3000));
    b.extend_from_slice(b"\ntrailer << /Root 1 0 R >>\nstartxref\n9\n%%EOF\n");
    b
}

/// An MP4 header then bytes that number their own offsets, so that a range
/// can be checked byte for byte.
fn mp4() -> Vec<u8> {
    let mut b = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
    b.extend((0..20_000u32).map(|i| (i % 251) as u8));
    b
}

/// Files stored under `dir`, temporary ones included.
fn stored(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path().display().to_string());
            }
        }
    }
    out
}

#[tokio::test]
async fn slides_join_a_version_and_are_served_with_their_type_once_published() {
    let dir = tempfile::tempdir().unwrap();
    for (name, state, store) in apps_in(&dir).await {
        let (cookie, token, head) = editor(&state, WEBINAR).await;
        let (status, page) = upload(
            &state,
            WEBINAR,
            &cookie,
            &[("jeton", &token), ("from_head", &head), ("label", "Support du webinaire")],
            ("diapos.bin", &pdf()),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}: {page}");
        let row = store.resource_row(WEBINAR).await.unwrap().unwrap();
        assert_eq!(row.content.attachments.len(), 1, "{name}");
        let a = &row.content.attachments[0];
        assert_eq!((a.kind.mime(), a.size), ("application/pdf", pdf().len() as u64), "{name}: typed by content");
        let file = format!("{}.pdf", a.id);

        // The editors see it at once; the public once published.
        let (status, headers, _) =
            get(&state, &format!("/admin/ressources/{WEBINAR}/fichiers/{file}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/pdf", "{name}");
        let public = format!("/ressources/{WEBINAR}/fichiers/{file}");
        assert_eq!(get(&state, &public, None).await.0, StatusCode::NOT_FOUND, "{name}: not before publication");
        let action = format!("/admin/ressources/{WEBINAR}/etat");
        let page = get(&state, &format!("/admin/ressources/{WEBINAR}?fait=fichiers"), Some(&cookie)).await.2;
        let shown = format!("(PDF, {})", size_label(pdf().len() as u64));
        assert!(page.contains("Support du webinaire") && page.contains(&shown), "{name}: {shown}");
        post(&state, &action, format!("jeton={}&to=published", token_in(&page, &action)), Some(&cookie)).await;
        let (status, headers, body) = get(&state, &public, None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/pdf", "{name}");
        assert_eq!(headers[header::CONTENT_DISPOSITION], "inline; filename=\"support-du-webinaire.pdf\"", "{name}");
        assert!(body.starts_with("%PDF-1.4"), "{name}");
        let (_, _, show) = get(&state, &format!("/ressources/{WEBINAR}"), None).await;
        assert!(show.contains("Documents à télécharger") && show.contains(&shown), "{name}: format and size");
        // An address that names no file of the resource.
        let other = format!("/ressources/{WEBINAR}/fichiers/{}.pdf", "0".repeat(64));
        assert_eq!(get(&state, &other, None).await.0, StatusCode::NOT_FOUND, "{name}");
        assert_eq!(
            get(&state, &format!("/ressources/{WEBINAR}/fichiers/..%2F..%2Fetc"), None).await.0,
            StatusCode::NOT_FOUND,
            "{name}"
        );

        // Removing it is a new version too; the old version keeps it.
        let page = get(&state, &format!("/admin/ressources/{WEBINAR}"), Some(&cookie)).await.2;
        let remove = format!("/admin/ressources/{WEBINAR}/fichiers/retirer");
        let form = format!("jeton={}&from_head={}&id={}", token_in(&page, &remove), row.head, a.id);
        assert_eq!(post(&state, &remove, form, Some(&cookie)).await.0, StatusCode::SEE_OTHER, "{name}");
        let after = store.resource_row(WEBINAR).await.unwrap().unwrap();
        assert!(after.content.attachments.is_empty() && after.head == row.head + 1, "{name}");
    }
}

#[tokio::test]
async fn what_is_not_what_it_says_or_too_big_is_refused_in_french_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let config = WebConfig { files_dir: Some(dir.path().to_path_buf()), max_video_mb: 1, ..test_config() };
    for (name, state, store) in apps_with(config).await {
        let (cookie, token, head) = editor(&state, WEBINAR).await;
        let fields = [("jeton", token.as_str()), ("from_head", head.as_str())];
        let mut truncated = pdf();
        truncated.truncate(200);
        let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
            (
                "diapos.pdf",
                b"Ceci n'est pas un PDF, seulement du texte.".to_vec(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "reconnu à son contenu",
            ),
            ("diapos.pdf", truncated, StatusCode::UNPROCESSABLE_ENTITY, "pas de fin de document"),
            ("vide.pdf", Vec::new(), StatusCode::UNPROCESSABLE_ENTITY, "est vide"),
            ("programme.exe", b"MZ\x90\0\x03\0\0\0\x04\0".to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "pas accepté"),
            (
                "sous-titres.vtt",
                b"WEBVTT\n\n00:00:09.000 --> 00:00:06.000\nx\n".to_vec(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "la fin du sous-titre",
            ),
        ];
        for (filename, bytes, status, message) in &cases {
            let (got, page) = upload(&state, WEBINAR, &cookie, &fields, (filename, bytes)).await;
            assert_eq!(got, *status, "{name}: {filename}");
            let text = unescape(&page);
            assert!(
                text.contains(message) && text.contains("Rien n'a été enregistré"),
                "{name}: {filename}: {message}"
            );
        }

        // A 2 GB upload: refused from its declared length, before a byte is read.
        let req = upload_request(WEBINAR, &cookie, Body::from(multipart(&fields, None)), Some(2 * 1024 * 1024 * 1024));
        let (status, _, page) = send(&state, req).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{name}");
        assert!(
            unescape(&page).contains("trop volumineux. Tailles maximales : 1 Mo pour une vidéo, 50 Mo pour un PDF"),
            "{name}: {page}"
        );

        // A video over the limit, sent without a length: cut off while it streams.
        let mut big = mp4();
        big.resize(1024 * 1024 + 1, 7);
        let body = multipart(&fields, Some(("replay.mp4", &big)));
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
        let req = upload_request(WEBINAR, &cookie, Body::from_stream(futures_util::stream::iter(chunks)), None);
        let (status, _, page) = send(&state, req).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(unescape(&page).contains("Ce fichier MP4 dépasse la taille permise (1 Mo au plus)"), "{name}");

        // A forged token writes nothing either.
        let (status, _) =
            upload(&state, WEBINAR, &cookie, &[("jeton", "faux"), ("from_head", &head)], ("d.pdf", &pdf())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");

        let row = store.resource_row(WEBINAR).await.unwrap().unwrap();
        assert_eq!(row.head.to_string(), head, "{name}: no version saved");
        assert!(row.content.attachments.is_empty(), "{name}");
        assert!(stored(dir.path()).is_empty(), "{name}: nothing left on disk: {:?}", stored(dir.path()));
    }
}

#[tokio::test]
async fn the_replay_plays_in_the_page_with_captions_and_answers_range_requests() {
    let dir = tempfile::tempdir().unwrap();
    for (name, state, store) in apps_in(&dir).await {
        let (cookie, token, head) = editor(&state, WEBINAR).await;
        let video = mp4();
        let (status, page) =
            upload(&state, WEBINAR, &cookie, &[("jeton", &token), ("from_head", &head)], ("replay.bin", &video)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}: {page}");
        // A second video is refused: a webinar has one replay.
        let (cookie, token, head) = editor(&state, WEBINAR).await;
        let mut other = mp4();
        other.push(1);
        let (status, page) =
            upload(&state, WEBINAR, &cookie, &[("jeton", &token), ("from_head", &head)], ("autre.mp4", &other)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(unescape(&page).contains("une seule vidéo"), "{name}");

        // New captions replace the transcript.
        let vtt = "WEBVTT\n\n00:00:02.000 --> 00:00:05.000\n<v Claire>Bonjour et bienvenue.\n\n00:00:12.000 --> 00:00:15.000\n<v Claire>Parlons des avis clients.\n";
        let (status, _) =
            upload(&state, WEBINAR, &cookie, &[("jeton", &token), ("from_head", &head)], ("s.vtt", vtt.as_bytes()))
                .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        let row = store.resource_row(WEBINAR).await.unwrap().unwrap();
        assert_eq!(row.content.transcript.len(), 2, "{name}");
        let page = get(&state, &format!("/admin/ressources/{WEBINAR}"), Some(&cookie)).await.2;
        let action = format!("/admin/ressources/{WEBINAR}/etat");
        post(&state, &action, format!("jeton={}&to=published", token_in(&page, &action)), Some(&cookie)).await;

        let a = row.content.attachments.iter().find(|a| a.kind.is_video()).unwrap();
        let src = format!("/ressources/{WEBINAR}/fichiers/{}.mp4", a.id);
        let (_, _, show) = get(&state, &format!("/ressources/{WEBINAR}"), None).await;
        assert!(show.contains(&format!("<source src=\"{src}\" type=\"video/mp4\">")), "{name}");
        assert!(show.contains("<track kind=\"captions\" srclang=\"fr\""), "{name}: captions");
        assert!(show.contains(&format!("href=\"{src}#t=12\" data-t=\"12\"")), "{name}: a transcript line seeks");
        assert!(show.contains("id=\"t-12\""), "{name}: a search hit lands on its line");
        let (status, headers, captions) = get(&state, &format!("/ressources/{WEBINAR}/sous-titres.vtt"), None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/vtt"), "{name}");
        assert!(captions.starts_with("WEBVTT") && captions.contains("00:00:12.000 --> 00:00:15.000"), "{name}");

        // A range: 206 with exactly those bytes.
        let req = Request::get(&src).header(header::RANGE, "bytes=1000-1999").body(Body::empty()).unwrap();
        let res = tower::ServiceExt::oneshot(osez_web::router(state.clone()), req).await.unwrap();
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT, "{name}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "video/mp4", "{name}");
        assert_eq!(res.headers()[header::CONTENT_RANGE], format!("bytes 1000-1999/{}", video.len()), "{name}");
        assert_eq!(res.headers()[header::ACCEPT_RANGES], "bytes", "{name}");
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        assert_eq!(&bytes[..], &video[1000..2000], "{name}");
        // A range past the end.
        let req = Request::get(&src).header(header::RANGE, "bytes=999999-").body(Body::empty()).unwrap();
        let res = tower::ServiceExt::oneshot(osez_web::router(state.clone()), req).await.unwrap();
        assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{name}");
    }
}
