//! The real binary, started as an operator would: `serve` on a loopback
//! port with a fresh data directory, SIGTERM, a second start, and imports.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use osez_mail::testing::SmtpSink;

mod common;
use common::*;

#[test]
fn serve_starts_answers_stops_and_restarts_without_rebuilding() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert_eq!(http_get(&server.addr, "/healthz").0, 200);
    let (status, body) = http_get(&server.addr, "/recherche?q=cybersecurite+bordeaux");
    assert_eq!(status, 200);
    assert!(body.contains("class=\"result-link\""));
    let (status, log) = server.stop();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}\n{log}");
    assert!(log.contains("demo directory loaded"), "{log}");
    assert!(log.contains("rebuilt=true"), "{log}");
    assert!(dir.path().join("osez.db").exists());

    let again = Server::start(dir.path());
    assert_eq!(http_get(&again.addr, "/healthz").0, 200);
    let (status, log) = again.stop();
    assert!(status.success());
    assert!(!log.contains("demo directory loaded"), "demo loaded once only: {log}");
    assert!(log.contains("rebuilt=false"), "index reused: {log}");
}

#[test]
fn the_audit_log_is_purged_after_audit_retention_days() {
    let dir = tempfile::tempdir().unwrap();
    let refused = Command::new(BIN).args(["serve", "--audit-retention-days", "0"]).output().unwrap();
    assert!(!refused.status.success(), "0 days is refused");
    let server = Server::start_with(dir.path(), &["--audit-retention-days", "30"]);
    assert_eq!(http_get(&server.addr, "/healthz").0, 200);
    // The purge is a task of its own, started with the server: wait for its
    // line (bounded) rather than race it to the stop.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !server.log().contains("audit log purge") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, log) = server.stop();
    assert!(status.success(), "{log}");
    assert!(log.contains("audit log purge") && log.contains("audit_days=30"), "the purge ran at start: {log}");
}

fn osez(args: &[&str], data_dir: &Path) -> std::process::Output {
    Command::new(BIN).args(args).arg("--data-dir").arg(data_dir).output().expect("run osez")
}

async fn count(data_dir: &Path) -> i64 {
    let store = osez_store::Store::open_sqlite(data_dir).await.unwrap();
    store.migrate().await.unwrap();
    store.advisers_count().await.unwrap()
}

#[tokio::test]
async fn import_is_all_or_nothing_then_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("activateurs.csv");
    let good = "101;Agence Essai;Agence de communication, marketing;Privée;1 rue A;35000;Rennes;Bretagne;https://www.francenum.gouv.fr/activateurs/101\n\
                102;CCI Essai;Organisme public;Publique;;69003;LYON;Auvergne-Rhône-Alpes;\n";
    let bad_rows =
        "103;Sans Lieu;Indépendant;Privée;;00000;Nulle Part;;\n101;Doublon;Indépendant;Privée;;35000;Rennes;;\n";
    std::fs::write(&file, format!("\u{feff}{HEADER}{good}{bad_rows}")).unwrap();

    let out = osez(&["import", "advisers", file.to_str().unwrap()], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("ligne 4") && err.contains("commune introuvable"), "{err}");
    assert!(err.contains("ligne 5") && err.contains("en double"), "{err}");
    assert!(err.contains("nothing imported"), "{err}");
    assert_eq!(count(dir.path()).await, 0, "nothing half-imported");

    std::fs::write(&file, format!("{HEADER}{good}")).unwrap();
    let out = osez(&["import", "advisers", file.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("2 new, 0 updated, 0 unchanged"), "{said}");
    assert_eq!(count(dir.path()).await, 2);

    let out = osez(&["import", "advisers", file.to_str().unwrap()], dir.path());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("0 new, 0 updated, 2 unchanged"), "{said}");

    // The same data as the JSON export.
    let json = dir.path().join("activateurs.json");
    std::fs::write(
        &json,
        r#"[{"Identifiant de la structure":"101","Nom de la structure":"Agence Essai renommée","Type":"Agence de communication, marketing","Catégorie":"Privée","Code postal":"35000","Ville":"Rennes"}]"#,
    )
    .unwrap();
    let out = osez(&["import", "advisers", json.to_str().unwrap()], dir.path());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("0 new, 1 updated"), "{said}");

    let out = osez(&["import", "advisers", "/nonexistent/file.csv"], dir.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("impossible de lire"));
}

#[test]
fn reindex_rebuilds_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let out = osez(&["reindex"], dir.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("index rebuilt: 0 advisers"));
}

#[test]
fn a_running_server_follows_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let file = dir.path().join("activateurs.csv");
    std::fs::write(&file, format!("{HEADER}777;Agence Suivie;Indépendant;Privée;;29200;Brest;;\n")).unwrap();
    let out = osez(&["import", "advisers", file.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = http_get(&server.addr, "/api/v1/advisers/777");
        if status == 200 {
            assert!(body.contains("Agence Suivie"));
            break;
        }
        assert!(Instant::now() < deadline, "the server never saw the import");
        std::thread::sleep(Duration::from_millis(200));
    }
    // The demo profiles were replaced by the import.
    let (_, body) = http_get(&server.addr, "/api/v1/advisers?per_page=1");
    assert!(body.contains("\"total\":1"), "{body}");
    let (status, log) = server.stop();
    assert!(status.success());
    assert!(log.contains("directory reloaded"), "{log}");
}

/// Two nodes on one PostgreSQL database, each with its own index: both
/// serve the demo directory loaded once, and both follow an import.
#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_share_one_postgres_database() {
    let Some(url) = osez_store::testing::fresh_postgres_url().await else {
        return;
    };
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Server::start_with(dir_a.path(), &["--database-url", &url]);
    let b = Server::start_with(dir_b.path(), &["--database-url", &url]);
    for node in [&a, &b] {
        let (status, body) = http_get(&node.addr, "/api/v1/advisers?q=ia+lyon&per_page=1");
        assert_eq!(status, 200);
        assert!(body.contains("\"kind\":\"ambassadeur_ia\""), "{body}");
    }
    let file = dir_a.path().join("activateurs.csv");
    std::fs::write(&file, format!("{HEADER}888;Agence Partagée;Indépendant;Privée;;13001;Marseille;;\n")).unwrap();
    let out = Command::new(BIN)
        .args(["import", "advisers", "--keep-demo", "--database-url", &url, "--data-dir"])
        .arg(dir_a.path())
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let deadline = Instant::now() + Duration::from_secs(30);
    for node in [&a, &b] {
        loop {
            if http_get(&node.addr, "/api/v1/advisers/888").0 == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "node {} never saw the import", node.addr);
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    let (_, body) = http_get(&b.addr, "/api/v1/advisers?per_page=1");
    assert!(body.contains("\"total\":4301"), "demo kept, one more: {body}");
    for node in [a, b] {
        let (status, log) = node.stop();
        assert!(status.success(), "{log}");
    }
}

#[tokio::test]
async fn admin_create_with_a_typed_or_generated_password() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(BIN)
            .args(["admin", "create"])
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(&["--email", "Admin@Exemple.fr"], "un mot de passe assez long\nun mot de passe assez long\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("account created: admin@exemple.fr (admin)"));

    let mismatch = run(&["--email", "b@exemple.fr"], "un mot de passe assez long\nun autre mot de passe\n");
    assert!(!mismatch.status.success());
    assert!(String::from_utf8_lossy(&mismatch.stderr).contains("differ"));
    let short = run(&["--email", "b@exemple.fr"], "court\ncourt\n");
    assert!(String::from_utf8_lossy(&short.stderr).contains("au moins 8 caractères"));
    let taken = run(&["--email", "admin@exemple.fr"], "un mot de passe assez long\nun mot de passe assez long\n");
    assert!(String::from_utf8_lossy(&taken.stderr).contains("existe déjà"));
    let bad_role = run(&["--email", "c@exemple.fr", "--role", "roi"], "");
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("unknown role"));

    let generated = run(&["--email", "editeur@exemple.fr", "--role", "editor", "--generate-password"], "");
    let said = String::from_utf8_lossy(&generated.stdout);
    let password =
        said.lines().find_map(|l| l.strip_prefix("generated password (shown once): ")).expect("printed once");
    assert_eq!(password.len(), 20);

    let store = osez_store::Store::open_sqlite(dir.path()).await.unwrap();
    let user =
        store.user_by_email(&osez_core::account::Email::parse("editeur@exemple.fr").unwrap()).await.unwrap().unwrap();
    assert!(osez_core::account::verify_password(password, &user.password_hash));
    assert!(!user.password_hash.contains(password), "only the hash is kept");
    let admin =
        store.user_by_email(&osez_core::account::Email::parse("admin@exemple.fr").unwrap()).await.unwrap().unwrap();
    assert!(osez_core::account::verify_password("un mot de passe assez long", &admin.password_hash));
    assert_eq!(store.audit_entries(10).await.unwrap().len(), 2, "two creations logged");
}

fn hidden(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {name}"))
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

/// The password reset link arrives by e-mail, through a real SMTP server
/// on loopback; the test uses it once.
#[test]
fn a_forgotten_password_is_reset_through_a_single_use_link() {
    let Some(sink) = SmtpSink::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut create = Command::new(BIN)
        .args(["admin", "create", "--email", "moderatrice@exemple.fr", "--role", "moderator", "--data-dir"])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    create.stdin.take().unwrap().write_all(b"ancien mot de passe\nancien mot de passe\n").unwrap();
    assert!(create.wait().unwrap().success());

    let server =
        Server::start_with(dir.path(), &["--public-url", "https://osez.example.fr", "--smtp-url", &sink.url()]);
    let page = http_get(&server.addr, "/connexion/oubli").1;
    let body = format!("jeton={}&email=moderatrice%40exemple.fr", hidden(&page, "jeton"));
    let (status, _, answer) = http_post(&server.addr, "/connexion/oubli", &body, None);
    assert_eq!(status, 200);
    assert!(answer.contains("Si un compte existe"));
    // An unknown address gets the same answer and no link.
    let page = http_get(&server.addr, "/connexion/oubli").1;
    let body = format!("jeton={}&email=personne%40exemple.fr", hidden(&page, "jeton"));
    assert!(http_post(&server.addr, "/connexion/oubli", &body, None).2.contains("Si un compte existe"));

    let mails = sink.wait_for(1, Duration::from_secs(20));
    assert_eq!(mails.len(), 1, "one mail: {}", server.log());
    assert_eq!(mails[0].rcpt_tos, ["moderatrice@exemple.fr"]);
    let link =
        mails[0].body.split_whitespace().find(|w| w.starts_with("https://")).expect("a link in the mail").to_string();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.received().len(), 1, "none for the unknown address");
    let path = link.strip_prefix("https://osez.example.fr").expect("the configured public URL, not Host");
    let page = http_get(&server.addr, path).1;
    let link_token = hidden(&page, "lien");
    let form =
        |p1: &str, p2: &str| format!("jeton={}&lien={link_token}&password={p1}&password2={p2}", hidden(&page, "jeton"));
    assert_eq!(http_post(&server.addr, "/connexion/nouveau", &form("court", "court"), None).0, 422);
    assert_eq!(
        http_post(&server.addr, "/connexion/nouveau", &form("nouveau+mot+de+passe", "autre+chose+encore"), None).0,
        422
    );
    let (status, head, _) =
        http_post(&server.addr, "/connexion/nouveau", &form("nouveau+mot+de+passe", "nouveau+mot+de+passe"), None);
    assert_eq!(status, 303, "{head}");
    // The link works once.
    assert_eq!(http_get(&server.addr, path).0, 410);
    assert_eq!(http_post(&server.addr, "/connexion/nouveau", &form("encore+un+autre", "encore+un+autre"), None).0, 410);

    let sign_in = |password: &str| {
        let page = http_get(&server.addr, "/connexion").1;
        let body = format!("jeton={}&email=moderatrice%40exemple.fr&password={password}", hidden(&page, "jeton"));
        http_post(&server.addr, "/connexion", &body, None).0
    };
    assert_eq!(sign_in("ancien+mot+de+passe"), 401);
    assert_eq!(sign_in("nouveau+mot+de+passe"), 303);
    let (status, _) = server.stop();
    assert!(status.success());
}

/// A profile reported by three clients leaves the running server's
/// directory at once: the node that hid it reloads without waiting for its
/// periodic check (set to an hour here). The clients are told apart by the
/// trusted proxy header, as behind a reverse proxy.
#[test]
fn a_profile_reported_three_times_leaves_the_directory_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--reload-secs", "3600", "--trusted-proxy-header", "X-Forwarded-For", "--min-fill-secs", "0"];
    let server = Server::start_with(dir.path(), &args);
    let id = "demo-act-0001";
    assert_eq!(http_get(&server.addr, &format!("/api/v1/advisers/{id}")).0, 200);
    let path = format!("/conseillers/{id}/signaler");
    let report = |n: u32, ip: &str| {
        let page = http_get(&server.addr, &path).1;
        let body = format!(
            "jeton={}&reason=demarchage&message=appel+n{n}&site_web=&question={}&reponse={}",
            hidden(&page, "jeton"),
            hidden(&page, "question"),
            sum_asked(&page)
        );
        http_post_with(&server.addr, &path, &body, &format!("X-Forwarded-For: {ip}\r\n"))
    };
    let (status, _, page) = report(1, "198.51.100.1");
    assert_eq!(status, 200, "{page}");
    let (status, _, page) = report(2, "198.51.100.1");
    assert!(status == 200 && page.contains("déjà signalé ce profil"), "one client counts once: {page}");
    assert_eq!(http_get(&server.addr, &format!("/api/v1/advisers/{id}")).0, 200, "still listed");
    for (n, ip) in [(3, "198.51.100.2"), (4, "2001:db8::7")] {
        assert_eq!(report(n, ip).0, 200, "report {n}");
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while http_get(&server.addr, &format!("/api/v1/advisers/{id}")).0 != 404 {
        assert!(Instant::now() < deadline, "the hidden profile is still served");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(http_get(&server.addr, &format!("/conseillers/{id}")).0, 404);
    let (status, log) = server.stop();
    assert!(status.success());
    assert!(log.contains("profile hidden pending review") && log.contains("directory reloaded"), "{log}");
}

/// The answer to the question in words of a contact form.
fn sum_asked(page: &str) -> u32 {
    const WORDS: [&str; 10] = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"];
    let text = page.split("Combien font ").nth(1).expect("a question").split(" ?").next().unwrap();
    let (a, b) = text.split_once(" plus ").unwrap();
    let n = |w: &str| WORDS.iter().position(|x| *x == w).unwrap() as u32;
    n(a) + n(b)
}

/// Writes to the team through the running binary, as a person without
/// JavaScript would; the status (303 to the confirmation when saved).
fn write_to_team(addr: &str, n: usize) -> u16 {
    let page = http_get(addr, "/contact").1;
    let body = format!(
        "jeton={}&name=Personne+{n}&email=personne{n}%40exemple.fr&company=&commune=69003&need=autre\
         &message=Bonjour%2C+voici+mon+message+num%C3%A9ro+{n}.&site_web=&question={}&reponse={}",
        hidden(&page, "jeton"),
        hidden(&page, "question"),
        sum_asked(&page)
    );
    http_post(addr, "/contact", &body, None).0
}

fn contact_args(sink: &SmtpSink) -> Vec<String> {
    [
        "--smtp-url",
        &sink.url(),
        "--mail-from",
        "Osez (test) <ne-pas-repondre@osez.test>",
        "--team-email",
        "equipe@osez.test",
        "--public-url",
        "https://osez.example.fr",
        "--contacts-per-hour",
        "0",
        "--forms-per-minute",
        "0",
        "--min-fill-secs",
        "0",
        "--mail-retry-secs",
        "1",
        "--mail-lease-secs",
        "2",
    ]
    .map(String::from)
    .to_vec()
}

/// A message written on the site reaches a real SMTP server: the team's
/// copy answers to the person, the person's receipt quotes the message.
#[test]
fn a_contact_message_reaches_the_smtp_server() {
    let Some(sink) = SmtpSink::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let args = contact_args(&sink);
    let server = Server::start_with(dir.path(), &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(write_to_team(&server.addr, 1), 303, "{}", server.log());
    let got = sink.wait_for(2, Duration::from_secs(30));
    assert_eq!(got.len(), 2, "{}", server.log());
    let team = got.iter().find(|m| m.rcpt_tos == ["equipe@osez.test"]).expect("the team's copy");
    assert_eq!(team.reply_to, "personne1@exemple.fr");
    assert_eq!(team.mail_from, "ne-pas-repondre@osez.test");
    assert!(team.message_id.ends_with("@osez.test>"), "{}", team.message_id);
    assert!(team.body.contains("> Bonjour, voici mon message numéro 1."), "{}", team.body);
    assert!(team.body.contains("https://osez.example.fr/admin/messages"));
    let receipt = got.iter().find(|m| m.rcpt_tos == ["personne1@exemple.fr"]).expect("the receipt");
    assert_eq!(receipt.subject, "Votre message à l'équipe France Num a bien été reçu");
    assert!(receipt.body.contains("https://osez.example.fr/mes-donnees"));
    assert!(!receipt.header_names.iter().any(|h| h.eq_ignore_ascii_case("bcc")));
    let log = server.log();
    assert!(log.contains("retention purge") && log.contains("days=365"), "the retention job ran at start: {log}");
}

/// `osez` killed (SIGKILL) while it delivers a batch, then started again:
/// every mail of every acknowledged message arrives. Exactly once as far
/// as SMTP allows: the mails in flight at the kill (up to
/// `--mail-connections`, 8) may be sent again, with the same Message-ID,
/// which receivers use to drop the copy.
#[test]
fn acknowledged_messages_arrive_after_a_kill_mid_batch() {
    let Some(sink) = SmtpSink::start_slow(150) else { return };
    let dir = tempfile::tempdir().unwrap();
    let args = contact_args(&sink);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start_with(dir.path(), &args);
    let acknowledged: Vec<usize> = (0..12).filter(|&n| write_to_team(&server.addr, n) == 303).collect();
    assert_eq!(acknowledged.len(), 12, "{}", server.log());
    // 24 mails at 150 ms each: kill once a few have arrived.
    let before = sink.wait_for(5, Duration::from_secs(30)).len();
    server.kill_hard();
    let at_kill = sink.received().len();
    assert!((5..24).contains(&at_kill), "the kill came mid-batch ({before}, then {at_kill} of 24)");

    let again = Server::start_with(dir.path(), &args);
    // 24 different mails, copies aside (several mails are in flight at once).
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60)
        && sink.received().iter().map(|m| m.message_id.clone()).collect::<std::collections::BTreeSet<_>>().len() < 24
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let got = sink.received();
    for n in &acknowledged {
        let to = format!("personne{n}@exemple.fr");
        let receipts: std::collections::BTreeSet<&str> =
            got.iter().filter(|m| m.rcpt_tos == [to.as_str()]).map(|m| m.message_id.as_str()).collect();
        assert_eq!(receipts.len(), 1, "one receipt for message {n}: {receipts:?}\n{}", again.log());
        let team: std::collections::BTreeSet<&str> = got
            .iter()
            .filter(|m| m.rcpt_tos == ["equipe@osez.test"] && m.reply_to == to)
            .map(|m| m.message_id.as_str())
            .collect();
        assert_eq!(team.len(), 1, "one team copy for message {n}");
    }
    let distinct: std::collections::BTreeSet<&str> = got.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(distinct.len(), 24, "24 different mails");
    assert!(got.len() - distinct.len() <= 8, "at most the mails in flight sent again: {} copies", got.len());
}

/// Runs the binary to its end, or kills it after `limit` (then `None`): a
/// server that should have refused to start would otherwise run for ever.
fn run_bounded(cmd: &mut Command, limit: Duration) -> Option<std::process::Output> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run osez");
    let start = Instant::now();
    while child.try_wait().expect("wait for osez").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(child.wait_with_output().expect("output of osez"))
}

/// Issue 9: with an SMTP server and no public address, mails carried
/// relative links that lead nowhere.
#[test]
fn serve_refuses_an_smtp_server_without_a_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_bounded(
        Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--smtp-url", "smtp://127.0.0.1:2525", "--data-dir"])
            .arg(dir.path())
            .env_remove("OSEZ_PUBLIC_URL")
            .env("OSEZ_LOG", "warn"),
        Duration::from_secs(20),
    )
    .expect("serve started without --public-url");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("--smtp-url demande --public-url"), "a French message naming the flag: {err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing created before the refusal");
}

/// Issue 9: `--help` printed the values of the environment, passwords
/// included.
#[test]
fn help_does_not_print_the_passwords_of_the_database_and_smtp_urls() {
    let out = run_bounded(
        Command::new(BIN)
            .args(["serve", "--help"])
            .env("OSEZ_DATABASE_URL", "postgres://osez:secret-de-la-base@db.exemple.fr/osez")
            .env("OSEZ_SMTP_URL", "smtps://osez:secret-du-smtp@smtp.exemple.fr:465"),
        Duration::from_secs(20),
    )
    .expect("--help ends");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(help.contains("OSEZ_DATABASE_URL") && help.contains("OSEZ_SMTP_URL"), "{help}");
    assert!(!help.contains("secret"), "a password printed: {help}");
}

/// `osez admin invite --csv`: line-numbered errors and nothing written,
/// then a dry run that writes nothing, then every invitation at once.
#[tokio::test]
async fn bulk_invitations_are_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = dir.path().join("activateurs.csv");
    let good = "101;Agence Essai;Agence de communication, marketing;Privée;1 rue A;35000;Rennes;Bretagne;\n\
                102;CCI Essai;Organisme public;Publique;;69003;LYON;Auvergne-Rhône-Alpes;\n";
    std::fs::write(&profiles, format!("{HEADER}{good}")).unwrap();
    assert!(osez(&["import", "advisers", profiles.to_str().unwrap()], dir.path()).status.success());
    let store = osez_store::Store::open_sqlite(dir.path()).await.unwrap();
    let ids: Vec<String> = store.all_advisers().await.unwrap().iter().map(|a| a.id.as_str().to_string()).collect();
    assert_eq!(ids.len(), 2);
    let outbox = || async { store.outbox_status().await.unwrap().pending };
    let file = dir.path().join("invitations.csv");
    let invite = |extra: &[&str]| {
        let mut args =
            vec!["admin", "invite", "--csv", file.to_str().unwrap(), "--public-url", "https://osez.example.fr"];
        args.extend_from_slice(extra);
        osez(&args, dir.path())
    };

    std::fs::write(
        &file,
        format!(
            "\u{feff}identifiant;email\n{};a@exemple.fr\ninconnu;b@exemple.fr\n{};pas-une-adresse\n",
            ids[0], ids[1]
        ),
    )
    .unwrap();
    let out = invite(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("ligne 3 : aucun profil") && err.contains("ligne 4 : adresse e-mail invalide"), "{err}");
    assert!(err.contains("nothing invited"), "{err}");
    assert_eq!(outbox().await, 0);

    std::fs::write(&file, format!("{};a@exemple.fr\n{};b@exemple.fr\n", ids[0], ids[1])).unwrap();
    let out = invite(&["--dry-run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("dry run: nothing saved"));
    assert_eq!(outbox().await, 0);

    let out = invite(&[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(outbox().await, 2);
    let a = store.user_by_email(&osez_core::account::Email::parse("b@exemple.fr").unwrap()).await.unwrap().unwrap();
    assert_eq!(a.adviser_id.as_deref(), Some(ids[1].as_str()));
    let mails = store.take_due_mail(10, 60_000).await.unwrap();
    assert!(
        mails.iter().all(|m| m.kind == "invitation" && m.body.contains("https://osez.example.fr/invitation?jeton="))
    );
}
