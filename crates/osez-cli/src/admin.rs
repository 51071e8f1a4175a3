//! `osez admin create`: the first admin, and any account, from the shell.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use osez_core::AdviserId;
use osez_core::account::{Email, NewPassword, Role, hash_password};
use rand::Rng;

use crate::DataArgs;
use crate::directory::open_store;

/// Letters and digits without look-alikes (0/O, 1/l/I).
const GENERATED_ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const GENERATED_LENGTH: usize = 20;

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (8 to 128 characters): ")?;
        let second = rpassword::prompt_password("Same password again: ")?;
        if first != second {
            bail!("the two passwords differ; nothing was created");
        }
        Ok(first)
    } else {
        let mut lines = std::io::stdin().lock().lines();
        let first = lines.next().transpose()?.unwrap_or_default();
        let second = lines.next().transpose()?.unwrap_or_default();
        if first != second {
            bail!("the two password lines differ; nothing was created");
        }
        Ok(first)
    }
}

pub async fn create(
    data: &DataArgs,
    email: &str,
    role: &str,
    generate: bool,
    adviser: Option<&str>,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let role = Role::from_slug(role)
        .with_context(|| format!("--role: unknown role {role:?} (admin, editor, moderator, adviser)"))?;
    let adviser = match adviser {
        Some(_) if role != Role::Adviser => bail!("--adviser goes with --role adviser; nothing was created"),
        Some(id) => Some(AdviserId::parse(id).map_err(|e| anyhow::anyhow!("--adviser: {e}; nothing was created"))?),
        None => None,
    };
    let typed = if generate {
        let mut rng = rand::rng();
        (0..GENERATED_LENGTH)
            .map(|_| GENERATED_ALPHABET[rng.random_range(0..GENERATED_ALPHABET.len())] as char)
            .collect()
    } else {
        read_password()?
    };
    let password = NewPassword::parse(&typed).map_err(|e| anyhow::anyhow!("{e}; nothing was created"))?;
    let salt: [u8; 16] = rand::random();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password, &salt)).await?;
    let store = open_store(data).await?;
    store.migrate().await?;
    if let Some(id) = &adviser
        && store.adviser(id).await?.is_none()
    {
        bail!("--adviser: no published profile has the id {id}; nothing was created");
    }
    let user = store.create_user(&email, &hash, role, "cli").await.map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(id) = &adviser {
        store.link_adviser(user.id, id.as_str(), "cli").await?;
        println!("linked to the profile {id}");
    }
    println!("account created: {} ({})", user.email, role.slug());
    if generate {
        // Printed once, here; only its hash is stored.
        println!("generated password (shown once): {typed}");
    }
    if role.requires_totp() {
        println!("this role must set up a second factor (TOTP) at its first sign-in");
    }
    Ok(())
}
