//! Instructor accounts: added from the command line (`quai instructors add NAME`), each with
//! a one-time sign-in link (a random token kept as its sha256, valid `LINK_TTL`, used once)
//! through which the instructor sets a password (argon2id, hashed and checked on a blocking
//! thread, never on the async threads); signing in with name and password opens an
//! instructor session (a random token in an HttpOnly cookie, kept as its sha256, valid
//! `SESSION_TTL`). Failed sign-ins are counted per client and refused past
//! `FAILED_PER_MINUTE`. `passwords` holds the hashing.

pub mod passwords;

use rusqlite::{params, OptionalExtension};

use crate::session::admission::{ClientKey, Limiter};
use crate::session::{token, unix_now};
use crate::store::{Store, StoreError};

/// How long a sign-in link stays valid.
pub const LINK_TTL: u64 = 24 * 3600;
/// How long an instructor stays signed in.
pub const SESSION_TTL: u64 = 12 * 3600;
/// Failed sign-ins one client may make a minute.
pub const FAILED_PER_MINUTE: u32 = 5;
/// Longest instructor name.
pub const MAX_NAME: usize = 64;

/// An instructor, by the id the store gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instructor {
    pub id: i64,
    pub name: String,
}

/// An instructor as `quai instructors list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub has_password: bool,
    pub created_at: u64,
    pub classes: u64,
}

/// A one-time sign-in link's secret, to put after `/teach/welcome#`.
#[derive(Debug, Clone)]
pub struct Link {
    pub token: String,
    pub expires_at: u64,
}

/// Why `add` or `link` failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an instructor name is 1 to {MAX_NAME} letters, digits, dots, dashes or underscores")]
    BadName,
    #[error("there is already an instructor named {0}")]
    Taken(String),
    #[error("there is no instructor named {0}")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a sign-in link did not set a password.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("this sign-in link was already used or has expired; ask for a new one (`quai instructors link NAME`)")]
    Invalid,
    #[error("{0}")]
    WeakPassword(String),
    #[error("too many failed attempts; try again in {0} seconds")]
    RateLimited(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("this name and password do not match")]
    Mismatch,
    #[error("too many failed sign-ins; try again in {0} seconds")]
    RateLimited(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The instructor accounts and their signed-in browsers.
pub struct Instructors {
    store: Store,
    failed: Limiter,
}

/// Names safe to print and to type: letters, digits, `.`, `-`, `_`.
pub fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

impl Instructors {
    pub fn new(store: Store) -> Self {
        Instructors {
            store,
            failed: Limiter::new(FAILED_PER_MINUTE),
        }
    }

    /// Adds instructor `name`, without a password, and issues its first sign-in link.
    pub async fn add(&self, name: &str) -> Result<Link, AccountError> {
        if !valid_name(name) {
            return Err(AccountError::BadName);
        }
        let owned = name.to_string();
        let added = self
            .store
            .call(move |db| {
                let changed = db.execute(
                    "INSERT INTO instructors (name, created_at) VALUES (?1, ?2)
                     ON CONFLICT (name) DO NOTHING",
                    params![owned, unix_now() as i64],
                )?;
                Ok(changed == 1)
            })
            .await?;
        if !added {
            return Err(AccountError::Taken(name.to_string()));
        }
        self.link(name).await
    }

    /// Issues a new sign-in link for instructor `name` (a lost password); earlier unused
    /// links stop working.
    pub async fn link(&self, name: &str) -> Result<Link, AccountError> {
        let token = token::new_token();
        let hash = token::hash_token(&token);
        let expires_at = unix_now() + LINK_TTL;
        let owned = name.to_string();
        let issued = self
            .store
            .call(move |db| {
                let tx = db.transaction()?;
                let id: Option<i64> = tx
                    .query_row(
                        "SELECT id FROM instructors WHERE name = ?1",
                        params![owned],
                        |r| r.get(0),
                    )
                    .optional()?;
                let Some(id) = id else { return Ok(false) };
                tx.execute(
                    "DELETE FROM instructor_links WHERE instructor = ?1",
                    params![id],
                )?;
                tx.execute(
                    "INSERT INTO instructor_links (token_hash, instructor, expires_at)
                     VALUES (?1, ?2, ?3)",
                    params![hash.to_vec(), id, expires_at as i64],
                )?;
                tx.commit()?;
                Ok(true)
            })
            .await?;
        if !issued {
            return Err(AccountError::Unknown(name.to_string()));
        }
        Ok(Link { token, expires_at })
    }

    /// Every instructor, by name.
    pub async fn list(&self) -> Result<Vec<Listed>, StoreError> {
        self.store
            .call(|db| {
                let mut query = db.prepare(
                    "SELECT name, password IS NOT NULL, created_at,
                        (SELECT count(*) FROM classes WHERE classes.instructor = instructors.id)
                     FROM instructors ORDER BY name",
                )?;
                let rows = query.query_map([], |r| {
                    Ok(Listed {
                        name: r.get(0)?,
                        has_password: r.get(1)?,
                        created_at: r.get::<_, i64>(2)? as u64,
                        classes: r.get::<_, i64>(3)? as u64,
                    })
                })?;
                rows.collect()
            })
            .await
    }

    /// The only instructor, when there is exactly one.
    pub async fn only(&self) -> Result<Option<Instructor>, StoreError> {
        self.store
            .call(|db| {
                let mut query = db.prepare("SELECT id, name FROM instructors LIMIT 2")?;
                let all: Vec<Instructor> = query
                    .query_map([], |r| {
                        Ok(Instructor {
                            id: r.get(0)?,
                            name: r.get(1)?,
                        })
                    })?
                    .collect::<Result<_, _>>()?;
                Ok((all.len() == 1).then(|| all[0].clone()))
            })
            .await
    }

    /// The instructor named `name`.
    pub async fn named(&self, name: &str) -> Result<Option<Instructor>, StoreError> {
        let name = name.to_string();
        self.store
            .call(move |db| {
                db.query_row(
                    "SELECT id, name FROM instructors WHERE name = ?1",
                    params![name],
                    |r| {
                        Ok(Instructor {
                            id: r.get(0)?,
                            name: r.get(1)?,
                        })
                    },
                )
                .optional()
            })
            .await
    }

    /// Sets the password of the link's instructor and signs it in: the link is used up.
    /// Returns the instructor and the token of its new session. A wrong token counts as a
    /// failed attempt of `client`.
    pub async fn redeem(
        &self,
        link: &str,
        password: &str,
        client: Option<ClientKey>,
    ) -> Result<(Instructor, String), LinkError> {
        if let Some(wait) = client.and_then(|c| self.failed.blocked(c)) {
            return Err(LinkError::RateLimited(wait));
        }
        passwords::acceptable(password).map_err(LinkError::WeakPassword)?;
        let link_hash = token::hash_token(link).to_vec();
        // Looked at before the (slow) hashing, then used up in one statement with the
        // password, so that two uses of one link cannot both win.
        let probe = link_hash.clone();
        let valid: bool = self
            .store
            .call(move |db| {
                db.query_row(
                    "SELECT count(*) FROM instructor_links
                     WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
                    params![probe, unix_now() as i64],
                    |r| r.get::<_, i64>(0),
                )
                .map(|n| n == 1)
            })
            .await?;
        if !valid {
            self.failed_attempt(client);
            return Err(LinkError::Invalid);
        }
        let hashed = passwords::hash(password.to_string()).await;
        let session = token::new_token();
        let session_hash = token::hash_token(&session).to_vec();
        let redeemed = self
            .store
            .call(move |db| {
                let tx = db.transaction()?;
                let now = unix_now() as i64;
                let id: Option<i64> = tx
                    .query_row(
                        "UPDATE instructor_links SET used_at = ?2
                         WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2
                         RETURNING instructor",
                        params![link_hash, now],
                        |r| r.get(0),
                    )
                    .optional()?;
                let Some(id) = id else { return Ok(None) };
                tx.execute(
                    "UPDATE instructors SET password = ?2 WHERE id = ?1",
                    params![id, hashed],
                )?;
                // A new password signs out every browser signed in with the old one.
                tx.execute(
                    "DELETE FROM instructor_sessions WHERE instructor = ?1",
                    params![id],
                )?;
                tx.execute(
                    "INSERT INTO instructor_sessions (token_hash, instructor, expires_at)
                     VALUES (?1, ?2, ?3)",
                    params![session_hash, id, now + SESSION_TTL as i64],
                )?;
                let name: String =
                    tx.query_row("SELECT name FROM instructors WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })?;
                tx.commit()?;
                Ok(Some(Instructor { id, name }))
            })
            .await?;
        let instructor = redeemed.ok_or(LinkError::Invalid)?;
        tracing::info!(instructor = %instructor.name, "instructor set a password");
        Ok((instructor, session))
    }

    /// Signs `name` in with `password`; returns the instructor and its new session's token.
    /// Unknown names cost the same work as wrong passwords.
    pub async fn sign_in(
        &self,
        name: &str,
        password: &str,
        client: Option<ClientKey>,
    ) -> Result<(Instructor, String), SignInError> {
        if let Some(wait) = client.and_then(|c| self.failed.blocked(c)) {
            return Err(SignInError::RateLimited(wait));
        }
        let owned = name.to_string();
        let found: Option<(i64, String, Option<String>)> = self
            .store
            .call(move |db| {
                db.query_row(
                    "SELECT id, name, password FROM instructors WHERE name = ?1",
                    params![owned],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
            })
            .await?;
        let stored = found.as_ref().and_then(|(_, _, hash)| hash.clone());
        let matches = passwords::verify(password.to_string(), stored).await;
        let Some((id, name, _)) = found.filter(|_| matches) else {
            self.failed_attempt(client);
            return Err(SignInError::Mismatch);
        };
        let session = token::new_token();
        let hash = token::hash_token(&session).to_vec();
        self.store
            .call(move |db| {
                let now = unix_now() as i64;
                db.execute(
                    "DELETE FROM instructor_sessions WHERE expires_at <= ?1",
                    params![now],
                )?;
                db.execute(
                    "INSERT INTO instructor_sessions (token_hash, instructor, expires_at)
                     VALUES (?1, ?2, ?3)",
                    params![hash, id, now + SESSION_TTL as i64],
                )?;
                Ok(())
            })
            .await?;
        Ok((Instructor { id, name }, session))
    }

    /// The instructor signed in with session token `token`, if it is valid and not expired.
    pub async fn session(&self, token: &str) -> Result<Option<Instructor>, StoreError> {
        let hash = token::hash_token(token).to_vec();
        self.store
            .call(move |db| {
                db.query_row(
                    "SELECT i.id, i.name FROM instructor_sessions s
                     JOIN instructors i ON i.id = s.instructor
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                    params![hash, unix_now() as i64],
                    |r| {
                        Ok(Instructor {
                            id: r.get(0)?,
                            name: r.get(1)?,
                        })
                    },
                )
                .optional()
            })
            .await
    }

    /// Ends the instructor session of `token`.
    pub async fn sign_out(&self, token: &str) -> Result<(), StoreError> {
        let hash = token::hash_token(token).to_vec();
        self.store
            .call(move |db| {
                db.execute(
                    "DELETE FROM instructor_sessions WHERE token_hash = ?1",
                    params![hash],
                )?;
                Ok(())
            })
            .await
    }

    fn failed_attempt(&self, client: Option<ClientKey>) {
        if let Some(client) = client {
            let _ = self.failed.check(client);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructor_names_are_plain() {
        assert!(valid_name("ada.lovelace-2"));
        assert!(!valid_name(""));
        assert!(!valid_name("ada lovelace"));
        assert!(!valid_name("<b>"));
        assert!(!valid_name(&"a".repeat(MAX_NAME + 1)));
    }

    #[tokio::test]
    async fn a_link_sets_a_password_once_and_the_password_signs_in() {
        let instructors = Instructors::new(Store::in_memory());
        let link = instructors.add("ada").await.unwrap();
        assert!(matches!(
            instructors.add("ada").await,
            Err(AccountError::Taken(_))
        ));
        let (ada, session) = instructors
            .redeem(&link.token, "correct horse battery", None)
            .await
            .unwrap();
        assert_eq!(ada.name, "ada");
        assert_eq!(
            instructors.session(&session).await.unwrap(),
            Some(ada.clone())
        );
        assert!(matches!(
            instructors
                .redeem(&link.token, "another long password", None)
                .await,
            Err(LinkError::Invalid)
        ));
        assert!(matches!(
            instructors.sign_in("ada", "wrong password", None).await,
            Err(SignInError::Mismatch)
        ));
        assert!(matches!(
            instructors
                .sign_in("nobody", "correct horse battery", None)
                .await,
            Err(SignInError::Mismatch)
        ));
        let (_, second) = instructors
            .sign_in("ada", "correct horse battery", None)
            .await
            .unwrap();
        instructors.sign_out(&second).await.unwrap();
        assert_eq!(instructors.session(&second).await.unwrap(), None);
        let listed = instructors.list().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].has_password);
    }

    #[tokio::test]
    async fn failed_sign_ins_are_limited_per_client() {
        let instructors = Instructors::new(Store::in_memory());
        let link = instructors.add("ada").await.unwrap();
        instructors
            .redeem(&link.token, "correct horse battery", None)
            .await
            .unwrap();
        let client = Some(ClientKey::of("192.0.2.1".parse().unwrap()));
        for _ in 0..FAILED_PER_MINUTE {
            assert!(matches!(
                instructors.sign_in("ada", "wrong", client).await,
                Err(SignInError::Mismatch)
            ));
        }
        // Even the right password waits now.
        assert!(matches!(
            instructors
                .sign_in("ada", "correct horse battery", client)
                .await,
            Err(SignInError::RateLimited(_))
        ));
        let other = Some(ClientKey::of("192.0.2.2".parse().unwrap()));
        assert!(instructors
            .sign_in("ada", "correct horse battery", other)
            .await
            .is_ok());
    }
}
