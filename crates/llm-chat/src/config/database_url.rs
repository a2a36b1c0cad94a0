//! Parsing `DATABASE_URL` into a [`DatabaseLocation`].
//!
//! Accepted forms (relative paths are relative to the working directory):
//!
//! | value                               | database                         |
//! |-------------------------------------|----------------------------------|
//! | `sqlite:////app/db/conversation.db` | SQLite file `/app/db/conversation.db` (SQLAlchemy style, four slashes) |
//! | `sqlite:///var/lib/chat.db`         | SQLite file `/var/lib/chat.db` (three slashes: absolute) |
//! | `sqlite://data/chat.db`             | SQLite file `data/chat.db` (two slashes: relative) |
//! | `sqlite:data/chat.db`               | SQLite file `data/chat.db`       |
//! | `postgres://…`, `postgresql://…`    | PostgreSQL server                |

use crate::store::DatabaseLocation;
use std::path::PathBuf;

/// Why a `DATABASE_URL` was refused, as a sentence that ends with the fix.
pub fn parse_database_url(value: &str) -> Result<DatabaseLocation, String> {
    let value = value.trim();
    if value.starts_with("postgres://") || value.starts_with("postgresql://") {
        return Ok(DatabaseLocation::Postgres { url: value.to_owned() });
    }
    let Some(rest) = value.strip_prefix("sqlite:") else {
        let scheme = value.split(':').next().unwrap_or_default();
        return Err(format!(
            "the scheme {scheme:?} is not supported; use sqlite:////absolute/path.db (SQLite) or postgres://user:password@host:5432/db (PostgreSQL)"
        ));
    };
    if rest.contains('?') {
        return Err(
            "query parameters (?…) are not used; remove them, e.g. sqlite:////app/db/conversation.db".to_owned(),
        );
    }
    let path = match rest.strip_prefix("//") {
        // `sqlite:///x` and `sqlite:////x` both name the absolute path `/x`.
        Some(after) if after.starts_with('/') => format!("/{}", after.trim_start_matches('/')),
        Some(after) => after.to_owned(),
        None => rest.to_owned(),
    };
    if path.is_empty() || path == "/" {
        return Err("no file path after sqlite://; use e.g. sqlite:////app/db/conversation.db".to_owned());
    }
    if path == ":memory:" || path.starts_with("file:") {
        return Err(
            "in-memory and file: URIs are not supported (data would be lost); name a file, e.g. sqlite:////app/db/conversation.db"
                .to_owned(),
        );
    }
    Ok(DatabaseLocation::Sqlite {
        path: PathBuf::from(path),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(path: &str) -> DatabaseLocation {
        DatabaseLocation::Sqlite {
            path: PathBuf::from(path),
        }
    }

    #[test]
    fn four_slashes_is_the_seed_absolute_path() {
        assert_eq!(
            parse_database_url("sqlite:////app/db/conversation.db"),
            Ok(sqlite("/app/db/conversation.db"))
        );
    }

    #[test]
    fn three_slashes_is_absolute() {
        assert_eq!(parse_database_url("sqlite:///abs/path.db"), Ok(sqlite("/abs/path.db")));
    }

    #[test]
    fn two_slashes_and_none_are_relative() {
        assert_eq!(parse_database_url("sqlite://relative.db"), Ok(sqlite("relative.db")));
        assert_eq!(parse_database_url("sqlite:data/chat.db"), Ok(sqlite("data/chat.db")));
    }

    #[test]
    fn postgres_urls_pass_through() {
        for url in ["postgres://u:p@h:5432/db", "postgresql://h/db"] {
            assert_eq!(
                parse_database_url(url),
                Ok(DatabaseLocation::Postgres { url: url.to_owned() })
            );
        }
    }

    #[test]
    fn unsupported_forms_are_refused_with_the_fix() {
        for bad in [
            "mysql://h/db",
            "sqlite://",
            "sqlite::memory:",
            "sqlite://x.db?mode=rwc",
            "conversation.db",
        ] {
            let err = parse_database_url(bad).expect_err(bad);
            assert!(err.contains("sqlite:"), "{bad}: {err}");
        }
    }
}
