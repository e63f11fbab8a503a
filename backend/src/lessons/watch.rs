//! `quai serve --watch-lessons`: reloads the catalog when a file under the lessons folder
//! changes, so an author sees an edited step by reloading the page. Bursts of events (an
//! editor saving) are gathered into one reload.

use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use super::Lessons;

/// Time to let a burst of changes settle before reloading.
const SETTLE: Duration = Duration::from_millis(250);

/// Watches `lessons.root()` until the returned watcher is dropped.
pub fn watch(lessons: Arc<Lessons>) -> notify::Result<notify::RecommendedWatcher> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| !e.kind.is_access()) {
            let _ = tx.send(());
        }
    })?;
    watcher.watch(lessons.root(), RecursiveMode::Recursive)?;
    tracing::info!(folder = %lessons.root().display(), "watching lessons for changes");
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            tokio::time::sleep(SETTLE).await;
            while rx.try_recv().is_ok() {}
            let lessons = lessons.clone();
            let _ = tokio::task::spawn_blocking(move || lessons.reload()).await;
        }
    });
    Ok(watcher)
}
