/// Errors of the storage layer. Callers show users a generic message and log
/// the cause; nothing here is meant for end users as is.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    #[error("cannot create data directory {0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database's schema is not one this binary can use (a newer
    /// version, a migration stopped half way): the French message says why.
    #[error("{0}")]
    Schema(String),
    #[error("corrupt row {id}: {reason}")]
    Corrupt { id: String, reason: String },
}

impl StoreError {
    /// True when the database cannot be reached or cannot take the request
    /// now (down, restarting, full, too busy), as opposed to a mistake in
    /// the request or in our data: the caller answers 503 and the user may
    /// retry.
    pub fn is_unavailable(&self) -> bool {
        is_unavailable(self)
    }
}

/// True when `error`, or an error it was caused by, says that the database
/// is unavailable (see [`StoreError::is_unavailable`]). For callers that
/// only hold their own error type, wrapping a store error.
pub fn is_unavailable(error: &(dyn std::error::Error + 'static)) -> bool {
    sqlx_cause(error).is_some_and(sqlx_unavailable)
}

/// True when `error`, or an error it was caused by, says that the disk of
/// the database is full (SQLite's FULL, PostgreSQL's disk_full).
pub fn is_disk_full(error: &(dyn std::error::Error + 'static)) -> bool {
    let code = match sqlx_cause(error) {
        Some(sqlx::Error::Database(db)) => db.code(),
        _ => None,
    };
    code.is_some_and(|c| c == "53100" || c.parse::<u32>().is_ok_and(|n| n & 0xff == 13))
}

/// The first sqlx error in the chain of `error`.
fn sqlx_cause<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a sqlx::Error> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        match e.downcast_ref::<StoreError>() {
            Some(StoreError::Database(sqlx)) => return Some(sqlx),
            Some(StoreError::Migrate(sqlx::migrate::MigrateError::Execute(sqlx))) => return Some(sqlx),
            Some(_) => return None,
            None => {}
        }
        if let Some(sqlx) = e.downcast_ref::<sqlx::Error>() {
            return Some(sqlx);
        }
        cause = e.source();
    }
    None
}

fn sqlx_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| unavailable_code(&code)),
        _ => false,
    }
}

/// PostgreSQL's SQLSTATE classes of an unavailable server, and SQLite's
/// result codes of a busy, locked, failing or full database.
fn unavailable_code(code: &str) -> bool {
    // PostgreSQL: 08 connection exception, 53 insufficient resources (disk
    // full, out of memory, too many connections), 57P01–57P05 the server
    // shutting down or starting, 40001/40P01 a conflict to retry.
    if code.starts_with("08") || code.starts_with("53") || code.starts_with("57P") || code == "40001" || code == "40P01"
    {
        return true;
    }
    // SQLite: an extended result code, whose low byte is the primary one:
    // 5 BUSY, 6 LOCKED, 10 IOERR, 13 FULL, 14 CANTOPEN.
    code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6 | 10 | 13 | 14))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_codes_are_told_from_mistakes() {
        for code in ["08006", "57P01", "57P03", "53100", "53300", "40001", "5", "517", "13", "778"] {
            assert!(unavailable_code(code), "{code}");
        }
        // A unique violation, a syntax error, SQLite's constraint (19) and
        // its unique constraint (2067) are ours or the request's.
        for code in ["23505", "42601", "22P02", "19", "2067", "1"] {
            assert!(!unavailable_code(code), "{code}");
        }
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_unavailable());
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_unavailable());
        #[derive(Debug, thiserror::Error)]
        #[error("wrapped")]
        struct Wrapped(#[source] StoreError);
        assert!(is_unavailable(&Wrapped(StoreError::Database(sqlx::Error::PoolTimedOut))));
        assert!(!is_unavailable(&Wrapped(StoreError::Database(sqlx::Error::RowNotFound))));
        assert!(!is_unavailable(&std::io::Error::other("disk")));
    }
}
