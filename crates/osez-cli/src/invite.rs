//! `osez admin invite --csv FILE`: invitations to adviser accounts in bulk,
//! all or nothing. Each line is `identifiant;email`; a header line and a
//! byte order mark are allowed. Every line is checked first and the errors
//! are listed with their line numbers; then every invitation (account,
//! link to the profile, invitation mail) is written in one transaction.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};
use osez_core::account::{Email, NewPassword, Role, hash_password};

use crate::DataArgs;
use crate::directory::open_store;

pub struct Options {
    pub public_url: Option<String>,
    pub mail_from: String,
    pub dry_run: bool,
}

#[derive(Debug, PartialEq, Eq)]
struct Row {
    line: usize,
    adviser: String,
    email: Email,
}

/// The good rows of the file, and the French reason of each bad line.
fn parse(text: &str) -> (Vec<Row>, Vec<(usize, String)>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    let mut first = true;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let fields: Vec<&str> = raw.split(';').map(|f| f.trim().trim_matches('"').trim()).collect();
        if std::mem::take(&mut first) && fields[0].eq_ignore_ascii_case("identifiant") {
            continue;
        }
        if fields.len() != 2 {
            errors.push((line, format!("{} colonnes au lieu de 2 (identifiant;email)", fields.len())));
            continue;
        }
        if fields[0].is_empty() {
            errors.push((line, "identifiant de profil manquant".into()));
            continue;
        }
        match Email::parse(fields[1]) {
            Ok(email) => rows.push(Row { line, adviser: fields[0].to_string(), email }),
            Err(_) => errors.push((line, format!("adresse e-mail invalide : {}", fields[1]))),
        }
    }
    (rows, errors)
}

pub async fn csv(data: &DataArgs, file: &Path, options: Options) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("impossible de lire {}", file.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{}: not UTF-8 text", file.display()))?;
    let public_url = options
        .public_url
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .context("--public-url (or OSEZ_PUBLIC_URL) is required: the invitation link must point to the site")?;
    let (rows, mut errors) = parse(&text);
    let store = open_store(data).await?;
    store.migrate().await?;
    let names: HashMap<String, String> =
        store.all_advisers().await?.into_iter().map(|a| (a.id.as_str().to_string(), a.name)).collect();
    let mut seen: HashMap<&str, (&str, usize)> = HashMap::new();
    for row in &rows {
        if !names.contains_key(&row.adviser) {
            errors.push((row.line, format!("aucun profil n'a l'identifiant {}", row.adviser)));
        }
        match seen.insert(row.email.as_str(), (&row.adviser, row.line)) {
            Some((other, at)) if other != row.adviser => errors
                .push((row.line, format!("{} est déjà invitée ligne {at} pour un autre profil ({other})", row.email))),
            _ => {}
        }
        if let Some(user) = store.user_by_email(&row.email).await? {
            if user.role != Role::Adviser {
                errors.push((row.line, format!("{} est l'adresse d'un compte de l'équipe", row.email)));
            } else if let Some(other) = user.adviser_id.filter(|p| *p != row.adviser) {
                errors.push((row.line, format!("{} a déjà un compte lié au profil {other}", row.email)));
            }
        }
    }
    errors.sort();
    for (line, reason) in &errors {
        eprintln!("ligne {line} : {reason}");
    }
    println!("{} : {} rows read, {} errors", file.display(), rows.len(), errors.len());
    if !errors.is_empty() {
        bail!("nothing invited: {} rejected rows (listed above); fix them and run again", errors.len());
    }
    if rows.is_empty() {
        bail!("nothing to invite");
    }
    if options.dry_run {
        println!("dry run: nothing saved");
        return Ok(());
    }
    let config = osez_web::WebConfig {
        public_url: Some(public_url),
        mail_domain: osez_mail::domain_of(&options.mail_from).unwrap_or("osez.invalid").to_string(),
        ..osez_web::WebConfig::default()
    };
    let prepared: Vec<_> = rows
        .iter()
        .map(|r| osez_web::prepare_invitation(&config, &r.adviser, &names[&r.adviser], r.email.clone()))
        .collect();
    // The password of the new accounts until their link is used: the hash
    // of a random secret printed nowhere.
    let secret = NewPassword::parse(&format!("{:032x}", rand::random::<u128>())).map_err(|e| anyhow::anyhow!("{e}"))?;
    let salt: [u8; 16] = rand::random();
    let placeholder = tokio::task::spawn_blocking(move || hash_password(&secret, &salt)).await?;
    let invitations: Vec<_> = prepared.iter().map(|p| p.invitation(&placeholder)).collect();
    if let Err((i, e)) = store.invite_advisers(&invitations, "cli").await {
        let line = rows.get(i).map(|r| r.line).unwrap_or(0);
        eprintln!("ligne {line} : {e}");
        bail!("nothing invited: line {line} was refused while writing");
    }
    let days = osez_web::INVITATION_TTL.as_secs() / 86_400;
    println!(
        "invited: {} accounts; their mails wait in the outbox for `osez serve` (links valid {days} days)",
        rows.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_bom_and_blank_lines_are_allowed() {
        let (rows, errors) = parse("\u{feff}identifiant;email\r\n\r\nabc-1;a@exemple.fr\n\"abc-2\" ; b@exemple.fr\n");
        assert!(errors.is_empty());
        assert_eq!(rows.iter().map(|r| (r.line, r.adviser.as_str())).collect::<Vec<_>>(), [(3, "abc-1"), (4, "abc-2")]);
        assert_eq!(parse("abc-1;a@exemple.fr").0.len(), 1);
    }

    #[test]
    fn every_bad_line_is_named() {
        let (rows, errors) =
            parse("identifiant;email\nabc;pas-une-adresse\n;a@exemple.fr\nabc;a@exemple.fr;x\nabc;c@exemple.fr\n");
        assert_eq!(rows.len(), 1);
        assert_eq!(errors.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [2, 3, 4]);
        assert!(errors[0].1.contains("adresse e-mail invalide"));
    }
}
