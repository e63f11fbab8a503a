//! Bodies of the REST API under `/api` and of `/healthz`.

use serde::{Deserialize, Serialize};

/// What a node is allowed to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// A hardened, unprivileged shell.
    Shell,
    /// A shell with Docker Engine inside (`docker`, `docker-compose` ready).
    #[default]
    Docker,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Shell => "shell",
            Profile::Docker => "docker",
        }
    }
}

/// `POST /api/sessions`: what the browser asks for. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSession {
    /// Number of nodes (containers) in the session; the server's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<u8>,
    /// Profile of every node; `docker` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

/// A node of a session: one container with its own hostname.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// `node1`, `node2`, …: also the hostname inside the session network.
    pub name: String,
}

/// A terminal that lives in a session (it outlives the socket that opened it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalInfo {
    pub term: u16,
    pub node: String,
}

/// `GET /api/sessions/{id}` and the body of a successful `POST /api/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// 128-bit random id, 32 lowercase hex characters.
    pub id: String,
    /// Unix time (seconds) when the session was created.
    pub created_at: u64,
    /// Unix time (seconds) when the session ends unless extended.
    pub expires_at: u64,
    /// Latest `expires_at` that extending may reach.
    pub max_expires_at: u64,
    pub profile: Profile,
    pub nodes: Vec<NodeInfo>,
    /// Most nodes this session may have.
    pub max_nodes: u8,
    pub terminals: Vec<TerminalInfo>,
    /// Slug of the lesson this session was started for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson: Option<String>,
}

/// Body of a successful `POST /api/sessions` (201). The token is also set as an HttpOnly
/// cookie; the browser relies on the cookie, other clients may send it back themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCreated {
    #[serde(flatten)]
    pub session: SessionInfo,
    pub token: String,
}

/// What went wrong, as a machine-readable code the frontend turns into a banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request or a socket message was malformed or out of range.
    BadRequest,
    /// No such session, or not yours: the two are indistinguishable on purpose.
    NotFound,
    /// The socket's Origin is not this server.
    Forbidden,
    /// The playground is full; `retry_after_secs` says when a place frees up.
    Capacity,
    /// Too many requests from this client; `retry_after_secs` says when to retry.
    RateLimited,
    /// The container engine cannot be reached.
    RuntimeUnavailable,
    /// The session has ended (expired, ended by its owner, or lost).
    SessionEnded,
    /// The session already has as many nodes as it may.
    NodeLimit,
    /// The session cannot be extended any further.
    ExtendLimit,
    /// The two sides speak different protocol versions.
    ProtocolVersion,
    /// A terminal could not be opened or used.
    Terminal,
    /// The lesson cannot run here (an image it needs is missing) or the step is locked.
    Lesson,
    /// A name and password that do not match, a sign-in link used or expired, or no
    /// instructor signed in.
    SignIn,
    /// No class has this join code.
    WrongCode,
    /// The class opens later; the message says when.
    ClassNotStarted,
    /// The class is over.
    ClassEnded,
    /// Every seat of the class is taken.
    ClassFull,
    /// Anything else; the message says what, without internals.
    Internal,
}

/// Error body of every non-2xx API response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    /// One sentence a person can read.
    pub message: String,
    /// When retrying makes sense (capacity, rate limit), in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` when everything the server needs answers, `degraded` otherwise.
    pub status: String,
    pub docker: DockerHealth,
    pub sessions: usize,
    /// Ready sessions the warm pool holds, all profiles together; only for loopback clients
    /// and the bearer of the operator token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm: Option<usize>,
    pub version: String,
}

/// Reachability of the container engine as seen by `/healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DockerHealth {
    pub reachable: bool,
    /// Engine version when reachable, the error sentence otherwise; only for loopback
    /// clients and the bearer of the operator token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T>(value: &T)
    where
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
    {
        let text = serde_json::to_string(value).unwrap();
        let back: T = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, value, "{text}");
    }

    fn info() -> SessionInfo {
        SessionInfo {
            id: "0123456789abcdef0123456789abcdef".into(),
            created_at: 1,
            expires_at: 7201,
            max_expires_at: 14401,
            profile: Profile::Docker,
            max_nodes: 5,
            nodes: vec![NodeInfo {
                name: "node1".into(),
            }],
            terminals: vec![TerminalInfo {
                term: 1,
                node: "node1".into(),
            }],
            lesson: None,
        }
    }

    #[test]
    fn create_session_round_trips_and_accepts_an_empty_body() {
        round_trip(&CreateSession {
            nodes: Some(2),
            profile: Some(Profile::Shell),
        });
        assert!(serde_json::to_string(&Profile::Docker)
            .unwrap()
            .contains("docker"));
        round_trip(&CreateSession::default());
        assert_eq!(
            serde_json::from_str::<CreateSession>("{}").unwrap(),
            CreateSession::default()
        );
    }

    #[test]
    fn session_bodies_round_trip() {
        round_trip(&info());
        let created = SessionCreated {
            session: info(),
            token: "t".into(),
        };
        round_trip(&created);
        let text = serde_json::to_string(&created).unwrap();
        assert!(
            text.contains("\"id\":\"0123") && text.contains("\"token\":\"t\""),
            "{text}"
        );
    }

    #[test]
    fn errors_round_trip_with_snake_case_codes() {
        let err = ApiError {
            code: ErrorCode::Capacity,
            message: "The playground is full.".into(),
            retry_after_secs: Some(120),
        };
        round_trip(&err);
        assert!(serde_json::to_string(&err)
            .unwrap()
            .contains("\"code\":\"capacity\""));
        round_trip(&ApiError {
            code: ErrorCode::RuntimeUnavailable,
            message: "x".into(),
            retry_after_secs: None,
        });
    }

    #[test]
    fn health_round_trips() {
        round_trip(&Health {
            status: "ok".into(),
            docker: DockerHealth {
                reachable: true,
                detail: Some("28.2.2".into()),
            },
            sessions: 3,
            warm: Some(2),
            version: "0.1.0".into(),
        });
    }
}
