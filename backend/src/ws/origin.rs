//! The Origin check of the session socket: a page may open a socket only if it was served
//! by this server (same host and port) or by an origin the operator allowed. Clients that
//! send no Origin (not browsers) rely on the token alone.

use axum::http::{header, HeaderMap, StatusCode};
use quai_protocol::ErrorCode;

use crate::api::AppError;

pub fn check(headers: &HeaderMap, allowed: &[String]) -> Result<(), AppError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    if (!host.is_empty() && origin_host.eq_ignore_ascii_case(host))
        || allowed.iter().any(|a| a.eq_ignore_ascii_case(origin))
    {
        return Ok(());
    }
    Err(AppError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
        "This page's origin may not open Quai sessions.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn pages_of_this_server_may_connect() {
        assert!(check(
            &headers(Some("http://127.0.0.1:8080"), "127.0.0.1:8080"),
            &[]
        )
        .is_ok());
        assert!(check(&headers(Some("https://quai.example"), "quai.example"), &[]).is_ok());
    }

    #[test]
    fn other_origins_are_refused_unless_allowed() {
        assert!(check(&headers(Some("http://evil.example"), "127.0.0.1:8080"), &[]).is_err());
        assert!(check(
            &headers(Some("http://127.0.0.1:9999"), "127.0.0.1:8080"),
            &[]
        )
        .is_err());
        let allowed = vec!["http://lab.example".to_string()];
        assert!(check(
            &headers(Some("http://lab.example"), "127.0.0.1:8080"),
            &allowed
        )
        .is_ok());
    }

    #[test]
    fn clients_without_origin_rely_on_the_token() {
        assert!(check(&headers(None, "127.0.0.1:8080"), &[]).is_ok());
    }
}
