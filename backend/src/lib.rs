//! The quai server: an axum app (`app`) over shared state (`AppState`), and `Server`, which
//! starts it on a listener with the session reaper and stops it gracefully, removing every
//! container it made. Modules: `config` (flags), `api` (REST), `ws` (session socket),
//! `session` (lifecycle), `runtime` (container engine), `images` (the image catalog),
//! `lessons` (the lesson catalog and its scripts), `files` (nodes' files and workspaces),
//! `preview` (the port preview), `progress` (students' progress in SQLite),
//! `edge` (Host, Origin, security headers, cookies), `web` (static files).

pub mod api;
pub mod config;
pub mod edge;
pub mod files;
pub mod images;
pub mod lessons;
pub mod preview;
pub mod progress;
pub mod runtime;
pub mod session;
pub mod try_image;
pub mod web;
pub mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use quai_protocol::EndReason;
use tokio::task::JoinHandle;
use tower_http::trace::TraceLayer;

pub use config::Config;
use runtime::Runtime;
use session::Sessions;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub sessions: Arc<Sessions>,
    pub lessons: Arc<lessons::Lessons>,
    pub progress: Arc<progress::Progress>,
    pub images: Arc<lessons::ImageNames>,
    /// Signs the tickets of per-port preview hosts.
    pub preview_keys: Arc<preview::hosts::Keys>,
    /// Which hosts and origins the main listener answers, and its cookies.
    pub edge: Arc<edge::Edge>,
}

impl AppState {
    /// Loads the lessons of `config.lessons_dir`; progress is kept in `progress`. Refuses
    /// malformed `--public-url`s.
    pub fn new(
        config: Config,
        runtime: Arc<dyn Runtime>,
        progress: progress::Progress,
    ) -> Result<Self, edge::EdgeConfigError> {
        let edge = Arc::new(edge::Edge::from_config(&config)?);
        let config = Arc::new(config);
        Ok(AppState {
            edge,
            sessions: Arc::new(Sessions::new(runtime, config.clone())),
            lessons: Arc::new(lessons::Lessons::load(&config.lessons_dir)),
            progress: Arc::new(progress),
            images: Arc::new(lessons::ImageNames::default()),
            preview_keys: Arc::new(preview::hosts::Keys::default()),
            config,
        })
    }
}

/// The whole HTTP surface: API, session sockets, health, static frontend.
pub fn app(state: AppState) -> Router {
    api::routes()
        .merge(files::routes())
        .merge(preview::redirects())
        .merge(try_image::routes())
        .fallback(web::static_files)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            edge::guard,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A running server; `shutdown` ends its sessions and stops it.
pub struct Server {
    pub addr: SocketAddr,
    /// The port preview's listener.
    pub preview_addr: SocketAddr,
    pub state: AppState,
    stop: tokio::sync::watch::Sender<bool>,
    serving: Vec<JoinHandle<std::io::Result<()>>>,
    /// The reaper, the engine monitor, the warm pool's refill and the registry's keeper.
    tasks: Vec<JoinHandle<()>>,
    /// Reloads lessons on change (`--watch-lessons`) while it lives.
    _watcher: Option<notify::RecommendedWatcher>,
}

impl Server {
    /// Removes this instance's leftovers, binds `config.listen` and starts serving.
    pub async fn start(config: Config, runtime: Arc<dyn Runtime>) -> std::io::Result<Server> {
        match runtime.remove_leftovers().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "removed leftovers of a previous run"),
            Err(err) => {
                tracing::warn!(error = %err, "could not look for leftovers of a previous run")
            }
        }
        let mut registry_ready = false;
        if config.local_registry {
            match runtime
                .prepare_registry(&config.registry_image, config.registry_upstream.as_deref())
                .await
            {
                Ok(mirror) => {
                    registry_ready = true;
                    tracing::info!(%mirror, "docker nodes pull through the local registry")
                }
                Err(err) => {
                    tracing::warn!(error = %err, "no local registry: docker nodes pull from the internet only")
                }
            }
        }
        let progress = progress::Progress::open(&config.database).map_err(std::io::Error::other)?;
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let mut config = config;
        let preview_wanted = config.preview_listen.unwrap_or_else(|| {
            let port = if config.listen.port() == 0 {
                0
            } else {
                addr.port().wrapping_add(1)
            };
            SocketAddr::new(config.listen.ip(), port)
        });
        let preview_listener = tokio::net::TcpListener::bind(preview_wanted).await?;
        let preview_addr = preview_listener.local_addr()?;
        config.preview_listen = Some(preview_addr);
        let watch = config.watch_lessons;
        let state = AppState::new(config, runtime, progress).map_err(std::io::Error::other)?;
        let watcher = if watch {
            match lessons::watch::watch(state.lessons.clone()) {
                Ok(watcher) => Some(watcher),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot watch the lessons folder; edits need a restart");
                    None
                }
            }
        } else {
            None
        };
        session::firewall::check(&state.sessions).await;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let limits = edge::listen::Limits {
            header_timeout: Duration::from_secs(state.config.header_timeout.max(1)),
            max_connections: state.config.max_connections,
        };
        let main = tokio::spawn(edge::listen::serve(
            listener,
            app(state.clone()),
            limits,
            stopped.clone(),
        ));
        let preview = tokio::spawn(edge::listen::serve(
            preview_listener,
            preview::preview_app(state.clone()),
            limits,
            stopped,
        ));
        let serving = vec![main, preview];
        let mut tasks = vec![
            session::reaper::spawn(state.sessions.clone()),
            session::monitor::spawn(state.sessions.clone()),
            session::pool::spawn(state.sessions.clone()),
            session::firewall::spawn(state.sessions.clone()),
        ];
        if registry_ready {
            tasks.push(runtime::registry::watch(
                state.sessions.runtime().clone(),
                state.config.registry_image.clone(),
                state.config.registry_upstream.clone(),
            ));
        }
        Ok(Server {
            addr,
            preview_addr,
            state,
            stop,
            serving,
            tasks,
            _watcher: watcher,
        })
    }

    /// Ends every session (removing its containers), then stops serving within 10 s.
    pub async fn shutdown(self) {
        for task in &self.tasks {
            task.abort();
        }
        self.state.sessions.end_all(EndReason::ServerShutdown).await;
        // A ready session half made when the pool's task stopped.
        if let Err(err) = self.state.sessions.runtime().remove_leftovers().await {
            tracing::warn!(error = %err, "could not remove what remained at shutdown");
        }
        let _ = self.stop.send(true);
        if tokio::time::timeout(
            Duration::from_secs(10),
            futures::future::join_all(self.serving),
        )
        .await
        .is_err()
        {
            tracing::warn!("connections did not close within 10 s; stopping anyway");
        }
    }
}
