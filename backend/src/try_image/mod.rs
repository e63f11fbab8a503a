//! "Try an image": `POST /api/try {image}` starts a `docker` playground with that catalog
//! image ready. A server image (one that exposes ports) runs in the background, published on
//! its ports so the preview shows them, with a shell beside it; any other runs in the first
//! terminal (`docker run -it --rm IMAGE`), and leaving it lands in the node's shell.
//! `GET /api/images` lists what can be tried offline.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use quai_protocol::{
    CreateSession, EndReason, ErrorCode, ImageCatalog, Profile, SessionCreated, TryImage,
    TryStarted,
};

use crate::api::{session_cookie, AppError};
use crate::edge::client::Client;
use crate::lessons::full_image_name;
use crate::AppState;

/// Time to pull and start the image in the new node.
const PREPARE_TIMEOUT: Duration = Duration::from_secs(120);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/images", get(catalog))
        .route("/api/try", post(start))
}

/// Names as students type them: `nginx` rather than `nginx:latest`.
fn short(name: &str) -> String {
    name.strip_suffix(":latest").unwrap_or(name).to_string()
}

async fn names(state: &AppState) -> Result<Vec<String>, AppError> {
    Ok(state
        .images
        .names(state.sessions.runtime().as_ref())
        .await?
        .iter()
        .cloned()
        .collect())
}

async fn catalog(State(state): State<AppState>) -> Result<Response, AppError> {
    let images = names(&state).await?.iter().map(|n| short(n)).collect();
    Ok(axum::Json(ImageCatalog { images }).into_response())
}

/// Whether `name` can only be an image reference (so it is safe inside a shell script).
fn plausible(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/:@".contains(&b))
        && !name.starts_with(['-', '.', '/'])
}

/// The ports in `docker image inspect`'s `80/tcp 443/tcp` (TCP only).
fn exposed(text: &str) -> Vec<u16> {
    let mut ports: Vec<u16> = text
        .split_whitespace()
        .filter_map(|p| p.strip_suffix("/tcp"))
        .filter_map(|p| p.parse().ok())
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

async fn start(
    State(state): State<AppState>,
    client: Client,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let request: TryImage = serde_json::from_slice(&body).map_err(|err| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("The request body is not valid JSON for an image to try: {err}."),
        )
    })?;
    let asked = request.image.trim().to_ascii_lowercase();
    let available = names(&state).await?;
    let image = full_image_name(&asked);
    if !plausible(&asked) || !available.contains(&image) {
        let list: Vec<String> = available.iter().map(|n| short(n)).collect();
        return Err(AppError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!(
                "`{}` is not available offline on this playground. You can try: {}.",
                request.image.trim(),
                list.join(", ")
            ),
        ));
    }
    let (session, token) = state
        .sessions
        .create(
            &CreateSession {
                nodes: Some(1),
                profile: Some(Profile::Docker),
            },
            client.admission,
        )
        .await?;
    let ports = match prepare(&state, &session, &image).await {
        Ok(ports) => ports,
        Err(why) => {
            tracing::warn!(%image, error = %why, "trying an image failed");
            let _ = state.sessions.end(&session.id, EndReason::Ended).await;
            return Err(AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                format!("{} could not be started: {why}.", short(&image)),
            ));
        }
    };
    let cookie = session_cookie(&state, &session.id, &token);
    let body = TryStarted {
        created: SessionCreated {
            session: session.info().await,
            token,
        },
        image,
        ports,
    };
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        axum::Json(body),
    )
        .into_response())
}

/// Pulls the image in node1, then runs it in the background (server images) or sets the
/// first terminal to run it. Returns the ports it serves.
async fn prepare(
    state: &AppState,
    session: &crate::session::Session,
    image: &str,
) -> Result<Vec<u16>, String> {
    let node = session.node("node1").ok_or("the node is missing")?;
    let runtime = state.sessions.runtime();
    let pull = format!(
        "docker pull -q {image} >/dev/null && docker image inspect -f '{{{{range $p, $_ := .Config.ExposedPorts}}}}{{{{$p}}}} {{{{end}}}}' {image}"
    );
    let out = runtime
        .exec(&node, &["bash", "-c", &pull], &[], PREPARE_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    if out.exit_code != Some(0) {
        return Err(format!("the node could not pull it: {}", out.output.trim()));
    }
    let ports = exposed(&out.output);
    let name = short(image);
    let script = if ports.is_empty() {
        format!(
            r#"cat >> /root/.bashrc <<'QUAI'
# Quai: the first terminal of this playground runs the image being tried.
if [ ! -e /run/quai/tried ] && [ -t 0 ]; then
  mkdir -p /run/quai && touch /run/quai/tried
  printf '\033[1mQuai:\033[0m docker run -it --rm {name}   (exit to come back to the node'"'"'s shell)\n'
  docker run -it --rm {image}
fi
QUAI"#
        )
    } else {
        let publish: Vec<String> = ports.iter().map(|p| format!("-p {p}:{p}")).collect();
        let list: Vec<String> = ports.iter().map(u16::to_string).collect();
        format!(
            r#"docker run -d --name try {publish} {image} >/dev/null && cat >> /root/.bashrc <<'QUAI'
# Quai: say what runs in this playground.
if [ ! -e /run/quai/told ] && [ -t 0 ]; then
  mkdir -p /run/quai && touch /run/quai/told
  printf '\033[1mQuai:\033[0m {name} runs in the background as the container "try", published on port {ports_text}.\n      Open it from the port above the terminal; docker ps, docker logs try and docker exec -it try sh look inside.\n'
fi
QUAI"#,
            publish = publish.join(" "),
            ports_text = list.join(", "),
        )
    };
    let out = runtime
        .exec(&node, &["bash", "-c", &script], &[], PREPARE_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    if out.exit_code != Some(0) {
        return Err(format!(
            "the node could not start it: {}",
            out.output.trim()
        ));
    }
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_that_could_be_anything_else_are_refused() {
        assert!(plausible("nginx"));
        assert!(plausible("python:3"));
        assert!(plausible("docker/whalesay:latest"));
        assert!(!plausible("nginx; rm -rf /"));
        assert!(!plausible("$(reboot)"));
        assert!(!plausible("-v"));
        assert!(!plausible(""));
    }

    #[test]
    fn exposed_tcp_ports_are_read() {
        assert_eq!(exposed("80/tcp 443/tcp 53/udp "), vec![80, 443]);
        assert!(exposed("").is_empty());
    }
}
