//! Quai's cookies: their names and attributes in one place. Every cookie is HttpOnly with
//! `Path=/` and no `Domain`; when Quai is reached over HTTPS they are `Secure` and carry the
//! `__Host-` prefix, which browsers accept only from a secure origin, for that exact host, so
//! no app and no other subdomain can set or shadow them.

use super::Edge;

/// The prefix of every Quai cookie name (without `__Host-`): the port preview drops app
/// cookies that would use it.
pub const PREFIX: &str = "quai_";

/// The cookie of a student's browser (progress and name).
pub const STUDENT: &str = "quai_student";

impl Edge {
    /// The full name of cookie `base` (`quai_…`) as set and read on this server.
    pub fn cookie_name(&self, base: &str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_string()
        }
    }

    /// Name of the cookie that carries the token of session `id`.
    pub fn session_cookie_name(&self, id: &str) -> String {
        self.cookie_name(&format!("{PREFIX}{id}"))
    }

    /// A `Set-Cookie` value: `base` set to `value` for `max_age` seconds (0 deletes it).
    pub fn set_cookie(&self, base: &str, value: &str, same_site: &str, max_age: u64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}",
            self.cookie_name(base)
        )
    }

    /// The cookie that lets the browser that created session `id` reach it.
    pub fn session_cookie(&self, id: &str, token: &str, max_age: u64) -> String {
        self.set_cookie(&format!("{PREFIX}{id}"), token, "Strict", max_age)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::edge::Edge;

    fn edge(urls: &[&str]) -> Edge {
        let mut config = Config::for_tests("cookies");
        config.public_urls = urls.iter().map(|u| u.to_string()).collect();
        Edge::from_config(&config).unwrap()
    }

    #[test]
    fn cookies_over_https_are_secure_host_cookies() {
        let cookie = edge(&["https://quai.example"]).session_cookie("abc", "t0k", 60);
        assert!(
            cookie.starts_with("__Host-quai_abc=t0k; Path=/;"),
            "{cookie}"
        );
        assert!(cookie.contains("; Secure"), "{cookie}");
        assert!(!cookie.contains("Domain"), "{cookie}");
    }

    #[test]
    fn cookies_over_plain_http_keep_their_plain_names() {
        let cookie = edge(&[]).session_cookie("abc", "t0k", 60);
        assert!(cookie.starts_with("quai_abc=t0k;"), "{cookie}");
        assert!(!cookie.contains("Secure"), "{cookie}");
    }
}
