//! "Try an image", its HTTP side: `POST /api/try {image}` starts a `docker` playground with
//! that catalog image ready (see `playground::try_image` for what happens in the node), and
//! `GET /api/images` lists what can be tried offline.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use quai_protocol::{ImageCatalog, TryImage, TryStarted};

use crate::api::{created, AppError, JsonBody};
use crate::edge::client::Client;
use crate::playground::{try_image::short, Purpose};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/images", get(catalog))
        .route("/api/try", post(start))
}

async fn catalog(State(state): State<AppState>) -> Result<Response, AppError> {
    let names = state
        .images
        .names(state.sessions.runtime().as_ref())
        .await?;
    let images = names.iter().map(|n| short(n)).collect();
    Ok(axum::Json(ImageCatalog { images }).into_response())
}

async fn start(
    State(state): State<AppState>,
    client: Client,
    JsonBody(request): JsonBody<TryImage>,
) -> Result<Response, AppError> {
    let started = state
        .playgrounds
        .start(Purpose::Image(request.image), client.admission)
        .await?;
    let (image, ports) = started.image.clone().unwrap_or_default();
    let body = TryStarted {
        created: started.created().await,
        image,
        ports,
    };
    Ok(created(&state, &started, body))
}
