//! Sessions kept in the store while no server runs them (`--on-shutdown keep`): listing
//! them and ending them from the command line (`quai sessions list`, `quai sessions end`),
//! a few at a time, removing their containers, network and volumes.

use futures::StreamExt;

use super::ENDING_AT_ONCE;
use crate::runtime::Runtime;
use crate::store::sessions::SessionRecord;
use crate::store::{Store, StoreError};

/// Why kept sessions could not be ended.
#[derive(Debug, thiserror::Error)]
pub enum KeptError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no kept session of this instance has the id {0}")]
    Unknown(String),
}

/// The sessions `instance` keeps.
pub async fn list(store: &Store, instance: &str) -> Result<Vec<SessionRecord>, StoreError> {
    store.sessions(instance).await
}

/// Ends the kept sessions of `instance` named in `ids` (every one when `None`): removes
/// what they run on the engine, then forgets them. Returns how many ended and the ones the
/// engine could not remove (kept, so that a later try finds them).
pub async fn end(
    store: &Store,
    runtime: &dyn Runtime,
    instance: &str,
    ids: Option<&[String]>,
) -> Result<(usize, Vec<(String, String)>), KeptError> {
    let kept = store.sessions(instance).await?;
    let chosen: Vec<String> = match ids {
        None => kept.into_iter().map(|r| r.id).collect(),
        Some(ids) => {
            for id in ids {
                if !kept.iter().any(|r| &r.id == id) {
                    return Err(KeptError::Unknown(id.clone()));
                }
            }
            ids.to_vec()
        }
    };
    let results: Vec<(String, Result<(), String>)> = futures::stream::iter(chosen)
        .map(|id| async move {
            let removed = match runtime.destroy_session(&id).await {
                Ok(()) => store.delete_session(&id).await.map_err(|e| e.to_string()),
                Err(err) => Err(err.to_string()),
            };
            (id, removed)
        })
        .buffer_unordered(ENDING_AT_ONCE)
        .collect()
        .await;
    let mut ended = 0;
    let mut failed = Vec::new();
    for (id, result) in results {
        match result {
            Ok(()) => ended += 1,
            Err(why) => failed.push((id, why)),
        }
    }
    Ok((ended, failed))
}
