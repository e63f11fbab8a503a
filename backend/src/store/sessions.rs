//! Live sessions in the store: one row per session of a server instance (its token as a
//! sha256, its times, lesson and owner), its nodes (the engine's container ids) and its
//! terminals (which node each runs on). Saved whole after every change, deleted when the
//! session ends, read back at start-up to adopt what still runs.

use quai_protocol::Profile;
use rusqlite::{params, Connection};

use super::{Store, StoreError};

/// A session as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub token_hash: [u8; 32],
    pub profile: Profile,
    pub created_at: u64,
    pub expires_at: u64,
    pub max_expires_at: u64,
    /// Lowest expiry warning already sent.
    pub warned_at: Option<u64>,
    pub lesson: Option<String>,
    /// The client it counts against, as `ClientKey` displays it.
    pub owner: Option<String>,
    pub claimed: bool,
    pub nodes: Vec<NodeRecord>,
    /// Terminal number and the node it runs on.
    pub terminals: Vec<(u16, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRecord {
    pub name: String,
    pub container: String,
    pub user: Option<String>,
}

fn profile_of(text: &str) -> Profile {
    match text {
        "shell" => Profile::Shell,
        _ => Profile::Docker,
    }
}

impl Store {
    /// Writes `record` for `instance`, replacing what was kept of it.
    pub async fn save_session(
        &self,
        instance: &str,
        record: SessionRecord,
    ) -> Result<(), StoreError> {
        let instance = instance.to_string();
        self.call(move |db| save(db, &instance, &record)).await
    }

    /// Forgets session `id` (its nodes and terminals with it).
    pub async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_string();
        self.call(move |db| {
            db.execute("DELETE FROM sessions WHERE id = ?1", params![id])?;
            Ok(())
        })
        .await
    }

    /// Every session kept for `instance`.
    pub async fn sessions(&self, instance: &str) -> Result<Vec<SessionRecord>, StoreError> {
        let instance = instance.to_string();
        self.call(move |db| load(db, &instance)).await
    }
}

fn save(db: &mut Connection, instance: &str, record: &SessionRecord) -> rusqlite::Result<()> {
    let tx = db.transaction()?;
    tx.execute(
        "INSERT INTO sessions (id, instance, token_hash, profile, created_at, expires_at,
             max_expires_at, warned_at, lesson, owner, claimed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at,
             warned_at = excluded.warned_at, lesson = excluded.lesson,
             claimed = excluded.claimed, token_hash = excluded.token_hash",
        params![
            record.id,
            instance,
            &record.token_hash[..],
            record.profile.as_str(),
            record.created_at as i64,
            record.expires_at as i64,
            record.max_expires_at as i64,
            record.warned_at.map(|w| w as i64),
            record.lesson,
            record.owner,
            record.claimed,
        ],
    )?;
    tx.execute("DELETE FROM nodes WHERE session = ?1", params![record.id])?;
    for node in &record.nodes {
        tx.execute(
            "INSERT INTO nodes (session, name, container, user) VALUES (?1, ?2, ?3, ?4)",
            params![record.id, node.name, node.container, node.user],
        )?;
    }
    tx.execute(
        "DELETE FROM terminals WHERE session = ?1",
        params![record.id],
    )?;
    for (term, node) in &record.terminals {
        tx.execute(
            "INSERT INTO terminals (session, term, node) VALUES (?1, ?2, ?3)",
            params![record.id, term, node],
        )?;
    }
    tx.commit()
}

fn load(db: &mut Connection, instance: &str) -> rusqlite::Result<Vec<SessionRecord>> {
    let mut rows = db.prepare(
        "SELECT id, token_hash, profile, created_at, expires_at, max_expires_at, warned_at,
             lesson, owner, claimed
         FROM sessions WHERE instance = ?1 ORDER BY created_at, id",
    )?;
    let mut records = rows
        .query_map(params![instance], |row| {
            let hash: Vec<u8> = row.get(1)?;
            let mut token_hash = [0u8; 32];
            if hash.len() == 32 {
                token_hash.copy_from_slice(&hash);
            }
            Ok(SessionRecord {
                id: row.get(0)?,
                token_hash,
                profile: profile_of(&row.get::<_, String>(2)?),
                created_at: row.get::<_, i64>(3)? as u64,
                expires_at: row.get::<_, i64>(4)? as u64,
                max_expires_at: row.get::<_, i64>(5)? as u64,
                warned_at: row.get::<_, Option<i64>>(6)?.map(|w| w as u64),
                lesson: row.get(7)?,
                owner: row.get(8)?,
                claimed: row.get(9)?,
                nodes: Vec::new(),
                terminals: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut nodes =
        db.prepare("SELECT name, container, user FROM nodes WHERE session = ?1 ORDER BY name")?;
    let mut terminals =
        db.prepare("SELECT term, node FROM terminals WHERE session = ?1 ORDER BY term")?;
    for record in &mut records {
        record.nodes = nodes
            .query_map(params![record.id], |row| {
                Ok(NodeRecord {
                    name: row.get(0)?,
                    container: row.get(1)?,
                    user: row.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        record.terminals = terminals
            .query_map(params![record.id], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(records)
}

/// Whether session `id` is kept (tests).
#[cfg(test)]
fn is_kept(store: &Store, id: &str) -> bool {
    use rusqlite::OptionalExtension;
    store
        .call_now(|db| {
            db.query_row("SELECT 1 FROM sessions WHERE id = ?1", params![id], |_| {
                Ok(())
            })
            .optional()
        })
        .ok()
        .flatten()
        .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> SessionRecord {
        SessionRecord {
            id: id.to_string(),
            token_hash: [7; 32],
            profile: Profile::Shell,
            created_at: 10,
            expires_at: 20,
            max_expires_at: 30,
            warned_at: None,
            lesson: Some("first".into()),
            owner: Some("192.0.2.1".into()),
            claimed: false,
            nodes: vec![NodeRecord {
                name: "node1".into(),
                container: "c1".into(),
                user: Some("student".into()),
            }],
            terminals: vec![(1, "node1".into())],
        }
    }

    #[tokio::test]
    async fn a_session_is_read_back_as_saved_and_changes_replace_it() {
        let store = Store::in_memory();
        let mut ada = record("ada");
        store.save_session("here", ada.clone()).await.unwrap();
        store
            .save_session("elsewhere", record("bob"))
            .await
            .unwrap();
        assert_eq!(store.sessions("here").await.unwrap(), vec![ada.clone()]);
        ada.expires_at = 25;
        ada.warned_at = Some(600);
        ada.claimed = true;
        ada.nodes.push(NodeRecord {
            name: "node2".into(),
            container: "c2".into(),
            user: None,
        });
        ada.terminals = vec![(1, "node1".into()), (2, "node2".into())];
        store.save_session("here", ada.clone()).await.unwrap();
        assert_eq!(store.sessions("here").await.unwrap(), vec![ada]);
        store.delete_session("ada").await.unwrap();
        assert!(store.sessions("here").await.unwrap().is_empty());
        assert!(!is_kept(&store, "ada"));
        // Nodes and terminals went with it.
        let left: i64 = store
            .call_now(|db| db.query_row("SELECT count(*) FROM nodes", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(left, 1, "only bob's node is left");
    }
}
