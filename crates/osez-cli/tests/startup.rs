//! Bad ground at start-up: a database a newer Osez migrated, a migration
//! stopped half way, a full disk. The node says why in a sentence and
//! stops; the database is left as it was.

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};
use sqlx::Connection;

mod common;
use common::BIN;

fn osez(args: &[&str], data_dir: &Path) -> std::process::Output {
    Command::new(BIN).args(args).arg("--data-dir").arg(data_dir).output().expect("run osez")
}

/// The database file's digest (its WAL folded in first).
async fn digest(dir: &Path) -> String {
    let path = dir.join("osez.db");
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut db).await.unwrap();
    db.close().await.unwrap();
    Sha256::digest(std::fs::read(&path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

async fn sql(dir: &Path, statement: &str) {
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", dir.join("osez.db").display())).await.unwrap();
    sqlx::query(statement).execute(&mut db).await.unwrap();
    db.close().await.unwrap();
}

/// `serve` refuses to start; what it said. (Bounded: a node that starts
/// after all is killed after a minute and the test fails.)
fn refused(dir: &Path) -> String {
    let mut child = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve started instead of refusing");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "serve stopped without an error");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_osez_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    assert!(osez(&["migrate"], dir.path()).status.success());
    sql(
        dir.path(),
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', 1, x'00', 0)",
    )
    .await;
    let before = digest(dir.path()).await;
    let said = refused(dir.path());
    assert!(said.contains("version plus récente d'Osez (migration 9999"), "{said}");
    assert!(said.contains("rien n'a été modifié"), "{said}");
    assert_eq!(digest(dir.path()).await, before, "the database is untouched");
}

#[tokio::test]
async fn a_migration_stopped_half_way_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    assert!(osez(&["migrate"], dir.path()).status.success());
    sql(dir.path(), "UPDATE _sqlx_migrations SET success = 0 WHERE version = 18").await;
    let before = digest(dir.path()).await;
    let said = refused(dir.path());
    assert!(said.contains("la migration 18 de la base de données s'est arrêtée en cours de route"), "{said}");
    assert!(said.contains("restaurez la dernière sauvegarde"), "{said}");
    assert_eq!(digest(dir.path()).await, before, "the database is untouched");
}

/// A data directory on a file system of a few megabytes, nearly full: the
/// first start's demo data cannot be written. Needs root (mount); under CI
/// it runs as root, elsewhere it is skipped when not root.
#[tokio::test]
async fn a_full_disk_is_said_and_nothing_is_half_written() {
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI runs as root: the full-disk test must run");
        eprintln!("note: not root, the full-disk test (a small tmpfs) is skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mounted =
        Command::new("mount").args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"]).arg(dir.path()).status().unwrap();
    assert!(mounted.success(), "mount a tmpfs");
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(dir.path());
    assert!(osez(&["migrate"], dir.path()).status.success());
    // Fill the disk, leaving 256 KiB: the schema is there, the demo data
    // (megabytes) will not fit.
    let filler = dir.path().join("filler");
    let stat = Command::new("df").args(["--output=avail", "-B1"]).arg(dir.path()).output().unwrap();
    let avail: u64 = String::from_utf8_lossy(&stat.stdout).lines().nth(1).unwrap().trim().parse().unwrap();
    std::fs::write(&filler, vec![0u8; avail.saturating_sub(256 * 1024) as usize]).unwrap();

    let said = refused(dir.path());
    assert!(said.contains("le disque de la base de données est plein"), "{said}");
    assert!(!said.contains("panicked"), "{said}");
    std::fs::remove_file(&filler).unwrap();
    let mut db =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", dir.path().join("osez.db").display())).await.unwrap();
    let ok: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut db).await.unwrap();
    assert_eq!(ok, "ok");
    let advisers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM advisers").fetch_one(&mut db).await.unwrap();
    assert_eq!(advisers, 0, "the demo directory is all there or not at all");
    db.close().await.unwrap();
}
