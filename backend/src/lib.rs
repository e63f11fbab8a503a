//! The quai server: an axum app (`app`) over shared state (`AppState`), and `Server`, which
//! starts it on a listener with the session reaper, adopting the sessions a previous run
//! left running, and stops it gracefully, keeping its sessions for the next start or ending
//! them (`--on-shutdown`). Modules: `config` (flags), `api` (REST), `ws` (session socket),
//! `session` (lifecycle), `runtime` (container engine), `images` (the image catalog),
//! `lessons` (the lesson catalog and its scripts), `files` (nodes' files and workspaces),
//! `preview` (the port preview), `progress` (students' progress), `instructors` (instructor
//! accounts and sign-in), `classes` (classes, joins and their prepared seats), `store` (the SQLite database and its migrations),
//! `edge` (Host, Origin, security headers, cookies), `web` (the page, its files, compression).

pub mod api;
pub mod classes;
pub mod config;
pub mod edge;
pub mod files;
pub mod fuzzing;
pub mod images;
pub mod instructors;
pub mod lessons;
pub mod playground;
pub mod preview;
pub mod progress;
pub mod recording;
pub mod runtime;
pub mod session;
pub mod store;
pub mod timing;
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
use runtime::{Engine, HostSetup, Runtime};
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
    /// Starts playgrounds, for every purpose.
    pub playgrounds: Arc<playground::Playgrounds>,
    /// Checks lesson steps.
    pub steps: Arc<lessons::steps::Steps>,
    /// The files of sessions' nodes, and workspaces.
    pub files: Arc<files::Files>,
    /// Terminal recordings.
    pub recordings: Arc<recording::Recordings>,
    /// Instructor accounts and their signed-in browsers.
    pub instructors: Arc<instructors::Instructors>,
    /// Classes, joins and their seats.
    pub classes: Arc<classes::Classes>,
    /// Classes going on: peeking, help, the demo and its broadcast.
    pub live: Arc<classes::live::Live>,
}

impl AppState {
    /// Loads the lessons of `config.lessons_dir`; sessions and progress are kept in
    /// `store`. Refuses malformed `--public-url`s.
    pub fn new(
        config: Config,
        runtime: Arc<dyn Runtime>,
        store: store::Store,
    ) -> Result<Self, edge::EdgeConfigError> {
        let edge = Arc::new(edge::Edge::from_config(&config)?);
        let config = Arc::new(config);
        let sessions = Arc::new(Sessions::new(runtime, config.clone(), store.clone()));
        let lessons = Arc::new(lessons::Lessons::load(&config.lessons_dir));
        let images = Arc::new(lessons::ImageNames::default());
        let recordings = Arc::new(recording::Recordings::new(
            config.recordings_dir(),
            store.clone(),
            config.recording_limit_mb,
        ));
        let progress = Arc::new(progress::Progress::new(store.clone()));
        let playgrounds = Arc::new(playground::Playgrounds::new(
            sessions.clone(),
            lessons.clone(),
            images.clone(),
        ));
        let classes = Arc::new(classes::Classes::new(
            store.clone(),
            sessions.clone(),
            playgrounds.clone(),
            lessons.clone(),
            classes::base_url(&config.public_urls, config.listen),
        ));
        let live = Arc::new(classes::live::Live::new(
            store.clone(),
            sessions.clone(),
            playgrounds.clone(),
        ));
        Ok(AppState {
            edge,
            live,
            playgrounds,
            instructors: Arc::new(instructors::Instructors::new(store)),
            classes,
            steps: Arc::new(lessons::steps::Steps::new(
                sessions.clone(),
                lessons.clone(),
                progress.clone(),
            )),
            files: Arc::new(files::Files::new(
                sessions.clone(),
                config.transfer_limit_mb,
            )),
            recordings,
            sessions,
            lessons,
            progress,
            images,
            preview_keys: Arc::new(preview::hosts::Keys::default()),
            config,
        })
    }
}

/// The whole HTTP surface: API, session sockets, health, static frontend.
pub fn app(state: AppState) -> Router {
    api::routes()
        .merge(api::classes::routes())
        .merge(api::teaching::routes())
        .merge(files::routes())
        .merge(recording::routes())
        .merge(preview::redirects())
        .merge(try_image::routes())
        .fallback(web::static_files)
        .layer(web::compression())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            edge::guard,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A running server; `shutdown` keeps or ends its sessions (`--on-shutdown`) and stops it.
pub struct Server {
    pub addr: SocketAddr,
    /// The port preview's listener.
    pub preview_addr: SocketAddr,
    pub state: AppState,
    stop: tokio::sync::watch::Sender<bool>,
    serving: Vec<JoinHandle<std::io::Result<()>>>,
    /// The reaper, the engine monitor, the warm pool's refill, the firewall's keeper, the
    /// class seat keeper and the registry's keeper.
    tasks: Vec<JoinHandle<()>>,
    /// The engine's host: what a shutdown that ends sessions cleans up.
    host: Arc<dyn HostSetup>,
    /// Reloads lessons on change (`--watch-lessons`) while it lives.
    _watcher: Option<notify::RecommendedWatcher>,
}

impl Server {
    /// Adopts the sessions a previous run of this instance left running, removes the rest
    /// of what it left, binds `config.listen` and starts serving: sessions on
    /// `engine.runtime`, the firewall and the local registry on `engine.host`.
    pub async fn start(config: Config, engine: Engine) -> std::io::Result<Server> {
        let Engine { runtime, host } = engine;
        let store = store::Store::open(&config.database).map_err(std::io::Error::other)?;
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
        // Links printed for classes name the port actually bound.
        config.listen = addr;
        let watch = config.watch_lessons;
        let state = AppState::new(config, runtime, store).map_err(std::io::Error::other)?;
        let config = state.config.clone();
        let adopted = match state.sessions.adopt().await {
            Ok(adopted) => adopted,
            Err(err) => {
                tracing::warn!(error = %err, "could not read the sessions of a previous run");
                session::Adopted::default()
            }
        };
        // Ready class seats taken back stay held for their class.
        state.classes.hold_ready().await;
        if adopted != session::Adopted::default() {
            tracing::info!(
                sessions = adopted.sessions,
                terminals = adopted.terminals,
                lost = adopted.lost,
                expired = adopted.expired,
                "took back the sessions of a previous run"
            );
        }
        // Recordings a stopped server left open are closed; those of sessions gone, removed.
        if let Err(err) = state.recordings.sweep(true).await {
            tracing::warn!(error = %err, "could not tidy the recordings of a previous run");
        }
        // With sessions taken back, their firewall rules stay in place (the check below
        // adds what is missing); without, everything of a previous run goes.
        let leftovers = if adopted.sessions == 0 {
            host.remove_leftovers().await
        } else {
            state.sessions.remove_unknown().await
        };
        match leftovers {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "removed leftovers of a previous run"),
            Err(err) => {
                tracing::warn!(error = %err, "could not look for leftovers of a previous run")
            }
        }
        let mut registry_ready = false;
        if config.local_registry {
            match host
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
        session::firewall::check(&state.sessions, host.as_ref()).await;
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
            session::firewall::spawn(state.sessions.clone(), host.clone()),
            recording::spawn_sweeper(state.recordings.clone()),
            classes::seats::spawn(state.classes.clone()),
        ];
        if registry_ready {
            tasks.push(runtime::registry::watch(
                host.clone(),
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
            host,
            _watcher: watcher,
        })
    }

    /// Keeps every session for the next start (`--on-shutdown keep`) or ends them all,
    /// removing their containers (`end`); then stops serving within 10 s.
    pub async fn shutdown(self) {
        let policy = self.state.config.on_shutdown;
        self.shutdown_with(policy).await
    }

    /// `shutdown`, with sessions kept or ended as `policy` says.
    pub async fn shutdown_with(self, policy: config::OnShutdown) {
        for task in &self.tasks {
            task.abort();
        }
        match policy {
            config::OnShutdown::Keep => {
                self.state.sessions.drop_pool().await;
                self.state.sessions.keep_all().await;
                // A ready session the pool's task was still making when it stopped.
                if let Err(err) = self.state.sessions.remove_unknown().await {
                    tracing::warn!(error = %err, "could not remove what remained at shutdown");
                }
                tracing::info!(
                    sessions = self.state.sessions.count(),
                    "sessions kept for the next start"
                );
            }
            config::OnShutdown::End => {
                self.state.sessions.end_all(EndReason::ServerShutdown).await;
                // A ready session half made when the pool's task stopped.
                if let Err(err) = self.host.remove_leftovers().await {
                    tracing::warn!(error = %err, "could not remove what remained at shutdown");
                }
            }
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
