//! The accounts file (`--accounts FILE`, TOML): who may use the service, their streams and
//! their limits.
//!
//! ```
//! let accounts = powertrack_serve::config::Accounts::parse(r#"
//! [[account]]
//! name = "acme"
//! password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$6N0HtbXHPBmhwPT9d7pZUnbq1L/j6yU/6JyL1xJSQ1c"
//! streams = ["prod", "dev"]
//! "#)?;
//! let acme = &accounts.accounts[0];
//! assert_eq!((acme.max_connections, acme.credits_per_hour, acme.posts_per_day), (2, 10_000, 500_000));
//! # Ok::<(), powertrack_serve::config::ConfigError>(())
//! ```

use std::fmt;
use std::path::Path;

use serde::Deserialize;

/// Rules a stream holds at most unless the account says otherwise (PowerTrack's contract).
pub const DEFAULT_MAX_RULES: usize = 250_000;

/// The whole accounts file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accounts {
    /// `[[account]]` tables.
    #[serde(rename = "account", default)]
    pub accounts: Vec<Account>,
}

/// One `[[account]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The account name, as in `…/accounts/{account}/…` paths and the Basic auth user.
    pub name: String,
    /// The password as an argon2 PHC string (`powertrack passwd` prints one).
    pub password_hash: String,
    /// Stream labels, as in `…/publishers/twitter/{label}.json`.
    pub streams: Vec<String>,
    /// Connections allowed per stream at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Credits per hour for Rules API calls.
    #[serde(default = "default_credits")]
    pub credits_per_hour: u64,
    /// Posts delivered per UTC day, over all of the account's streams.
    #[serde(default = "default_posts_per_day")]
    pub posts_per_day: u64,
    /// Rules per stream.
    #[serde(default = "default_max_rules")]
    pub max_rules: usize,
}

fn default_max_connections() -> usize {
    2
}
fn default_credits() -> u64 {
    10_000
}
fn default_posts_per_day() -> u64 {
    500_000
}
fn default_max_rules() -> usize {
    DEFAULT_MAX_RULES
}

/// Why an accounts file was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Accounts {
    /// Reads and checks an accounts file.
    pub fn load(path: &Path) -> Result<Accounts, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        Accounts::parse(&text).map_err(|e| ConfigError(format!("{}: {}", path.display(), e.0)))
    }

    /// Parses and checks the text of an accounts file: unknown keys are errors naming the key
    /// and its line; every password must be an argon2 hash; names and labels are URL-safe and
    /// unique.
    pub fn parse(text: &str) -> Result<Accounts, ConfigError> {
        let accounts: Accounts =
            toml::from_str(text).map_err(|e| ConfigError(e.to_string().trim_end().to_owned()))?;
        let mut names = std::collections::HashSet::new();
        for a in &accounts.accounts {
            check_name("account name", &a.name)?;
            if !names.insert(a.name.as_str()) {
                return Err(ConfigError(format!(
                    "account '{}' is defined twice",
                    a.name
                )));
            }
            if argon2::PasswordHash::new(&a.password_hash)
                .ok()
                .is_none_or(|h| !h.algorithm.as_str().starts_with("argon2"))
            {
                return Err(ConfigError(format!(
                    "account '{}': password_hash is not an argon2 hash (a PHC string such as \
                     \"$argon2id$v=19$…\"); plain-text passwords are refused. Make one with \
                     `powertrack passwd`",
                    a.name
                )));
            }
            if a.streams.is_empty() {
                return Err(ConfigError(format!("account '{}' has no streams", a.name)));
            }
            let mut labels = std::collections::HashSet::new();
            for s in &a.streams {
                check_name("stream label", s)?;
                if !labels.insert(s.as_str()) {
                    return Err(ConfigError(format!(
                        "account '{}': stream '{s}' is listed twice",
                        a.name
                    )));
                }
            }
            if a.max_connections == 0 {
                return Err(ConfigError(format!(
                    "account '{}': max_connections must be at least 1",
                    a.name
                )));
            }
        }
        Ok(accounts)
    }
}

fn check_name(what: &str, name: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ConfigError(format!(
            "{what} '{name}' must be 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'"
        )))
    }
}

/// The argon2id hash line of a password, as `powertrack passwd` prints it (OWASP's parameters:
/// m=19456 KiB, t=2, p=1, a random salt).
pub fn hash_password(password: &str) -> Result<String, ConfigError> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ConfigError(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches the PHC `hash`.
pub fn verify_password(password: &[u8], hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    argon2::PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password, &h)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$6N0HtbXHPBmhwPT9d7pZUnbq1L/j6yU/6JyL1xJSQ1c";

    #[test]
    fn unknown_keys_name_the_key_and_line() {
        let text = format!(
            "[[account]]\nname = \"acme\"\npassword_hash = \"{HASH}\"\nstreams = [\"prod\"]\nmax_conections = 3\n"
        );
        let e = Accounts::parse(&text).unwrap_err().to_string();
        assert!(e.contains("line 5"), "{e}");
        assert!(e.contains("unknown field `max_conections`"), "{e}");
    }

    #[test]
    fn plain_text_passwords_are_refused() {
        let text =
            "[[account]]\nname = \"acme\"\npassword_hash = \"hunter2\"\nstreams = [\"prod\"]\n";
        let e = Accounts::parse(text).unwrap_err().to_string();
        assert!(
            e.starts_with("account 'acme': password_hash is not an argon2 hash"),
            "{e}"
        );
    }

    #[test]
    fn names_labels_and_duplicates_are_checked() {
        let one = |name: &str, streams: &str| {
            format!(
                "[[account]]\nname = \"{name}\"\npassword_hash = \"{HASH}\"\nstreams = {streams}\n"
            )
        };
        let e = Accounts::parse(&one("a/b", "[\"prod\"]")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "account name 'a/b' must be 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'"
        );
        let e = Accounts::parse(&one("a", "[\"p\", \"p\"]")).unwrap_err();
        assert_eq!(e.to_string(), "account 'a': stream 'p' is listed twice");
        let twice = format!("{}{}", one("a", "[\"p\"]"), one("a", "[\"q\"]"));
        let e = Accounts::parse(&twice).unwrap_err();
        assert_eq!(e.to_string(), "account 'a' is defined twice");
    }

    #[test]
    fn hashes_verify() {
        let h = hash_password("s3cret").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(b"s3cret", &h));
        assert!(!verify_password(b"s3creT", &h));
    }
}
