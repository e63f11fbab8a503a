//! HTTP calls for the files of a session's nodes (list a folder, read and save a text file,
//! the folder a terminal is in), the addresses the browser downloads from or uploads to, the
//! workspace archive, and "try an image".

use gloo::net::http::Request;
use quai_protocol::{ImageCatalog, Listing, TextFile, TryImage, TryStarted, WorkingDir};

use super::api::{parse, session_path, ApiFailure};

/// `/api/sessions/{id}/nodes/{node}/files`, with the node kept to the characters of names.
fn files_path(id: &str, node: &str) -> String {
    let node: String = node.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("{}/nodes/{node}/files", session_path(id))
}

/// `GET …/files?path=DIR`: the folder's entries, folders first.
pub async fn list(id: &str, node: &str, dir: &str) -> Result<Listing, ApiFailure> {
    let url = format!("{}?path={}", files_path(id, node), encode(dir));
    parse(Request::get(&url).send().await).await
}

/// `GET …/files/text?path=FILE`: a text file to edit (413 too big, 415 not text).
pub async fn read_text(id: &str, node: &str, path: &str) -> Result<TextFile, ApiFailure> {
    let url = format!("{}/text?path={}", files_path(id, node), encode(path));
    parse(Request::get(&url).send().await).await
}

/// `PUT …/files/text`: saves (or creates) a text file.
pub async fn write_text(id: &str, node: &str, file: &TextFile) -> Result<TextFile, ApiFailure> {
    let url = format!("{}/text", files_path(id, node));
    let request = Request::put(&url)
        .json(file)
        .map_err(|_| ApiFailure::BadBody)?;
    parse(request.send().await).await
}

/// `GET /api/sessions/{id}/terminals/{term}/cwd`: where files dropped on a terminal go.
pub async fn cwd(id: &str, term: u16) -> Result<WorkingDir, ApiFailure> {
    let url = format!("{}/terminals/{term}/cwd", session_path(id));
    parse(Request::get(&url).send().await).await
}

/// Where the browser downloads a file (as is) or a folder (`NAME.tar.gz`).
pub fn download_url(id: &str, node: &str, path: &str) -> String {
    format!("{}/download?path={}", files_path(id, node), encode(path))
}

/// Where an upload (a tar of files and folders) for folder `dir` is sent.
pub fn upload_url(id: &str, node: &str, dir: &str) -> String {
    format!("{}/upload?dir={}", files_path(id, node), encode(dir))
}

/// "Download my work": the chosen folders of every node, as one tar.gz.
pub fn workspace_url(id: &str, dirs: &[String]) -> String {
    format!(
        "{}/workspace?dirs={}",
        session_path(id),
        encode(&dirs.join(","))
    )
}

/// Where an exported workspace is sent back.
pub fn import_url(id: &str) -> String {
    format!("{}/workspace", session_path(id))
}

/// `GET /api/images`: the images that can be tried offline.
pub async fn images() -> Result<ImageCatalog, ApiFailure> {
    parse(Request::get("/api/images").send().await).await
}

/// `POST /api/try {image}`: a Docker playground with `image` ready (the cookie is set).
pub async fn try_image(image: &str) -> Result<TryStarted, ApiFailure> {
    let request = Request::post("/api/try")
        .json(&TryImage {
            image: image.trim().to_string(),
        })
        .map_err(|_| ApiFailure::BadBody)?;
    parse(request.send().await).await
}

/// `text` for a query string: everything but unreserved characters and `/` percent-encoded.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `/root/app/main.py` → (`/root/app`, `main.py`); `/x` → (`/`, `x`).
pub fn split_path(path: &str) -> (String, String) {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some(("", name)) => ("/".into(), name.into()),
        Some((dir, name)) => (dir.into(), name.into()),
        None => ("/".into(), trimmed.into()),
    }
}

/// `name` inside folder `dir`.
pub fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The folders of `path`, each with its own absolute path, for a breadcrumb:
/// `/root/app` → `[("/", "/"), ("root", "/root"), ("app", "/root/app")]`.
pub fn crumbs(path: &str) -> Vec<(String, String)> {
    let mut out = vec![("/".to_string(), "/".to_string())];
    let mut at = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        at.push('/');
        at.push_str(part);
        out.push((part.to_string(), at.clone()));
    }
    out
}

/// `1.2 MB`, `340 KB`, `12 B` (powers of 1000, as file managers say).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.5 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if value < 9.95 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded_but_keep_their_slashes() {
        assert_eq!(
            encode("/root/my app/ça&x=1"),
            "/root/my%20app/%C3%A7a%26x%3D1"
        );
        assert_eq!(
            upload_url("ab12", "node1", "/root/x y"),
            "/api/sessions/ab12/nodes/node1/files/upload?dir=/root/x%20y"
        );
        assert_eq!(
            download_url("ab12", "../node1", "/root/a+b"),
            "/api/sessions/ab12/nodes/node1/files/download?path=/root/a%2Bb"
        );
        assert_eq!(
            workspace_url("ab12", &["/root".into(), "/srv".into()]),
            "/api/sessions/ab12/workspace?dirs=/root%2C/srv"
        );
    }

    #[test]
    fn paths_split_join_and_make_breadcrumbs() {
        assert_eq!(
            split_path("/root/app/main.py"),
            ("/root/app".into(), "main.py".into())
        );
        assert_eq!(split_path("/x"), ("/".into(), "x".into()));
        assert_eq!(join("/", "etc"), "/etc");
        assert_eq!(join("/root", "a.txt"), "/root/a.txt");
        assert_eq!(
            crumbs("/root/app"),
            vec![
                ("/".to_string(), "/".to_string()),
                ("root".to_string(), "/root".to_string()),
                ("app".to_string(), "/root/app".to_string())
            ]
        );
        assert_eq!(crumbs("/").len(), 1);
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1000), "1.0 KB");
        assert_eq!(human_size(1_234_567), "1.2 MB");
        assert_eq!(human_size(45_000), "45 KB");
        assert_eq!(human_size(999_999), "1.0 MB");
    }
}
