//! The HTTP interface: routes, what each request may do, and the answers. Every refusal is a
//! status a client can act on, with a one-line JSON reason: 400 a bad request (no channel, a
//! name PostgreSQL refuses), 401 no valid credential, 403 a channel not served or not granted,
//! 413 a payload over PostgreSQL's limit, 503 the subscriber limit or a database that is down.
//! Untrusted text (channel names from the query, payloads) never reaches a header: it is
//! JSON-encoded into a body, where a CR or LF cannot start a new header or SSE field.

use super::access::{check, Auth, Grant, Patterns, Refusal};
use super::hub::Hub;
use super::metrics::Metrics;
use super::net::Wire;
use crate::limits::{check_payload, MAX_PAYLOAD_BYTES};
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Everything a request handler needs.
pub struct App {
    pub hub: Hub,
    /// `--channel`: what is served at all.
    pub served: Patterns,
    pub auth: Auth,
    pub allow_publish: bool,
    /// `--allow-origin`: origins whose pages may read and publish (CORS); `*` for any.
    pub allow_origin: Vec<String>,
}

type Shared = State<Arc<App>>;

/// Most channels one stream may ask for: each costs the database session a LISTEN, and the
/// server checks every notification against the session's channels.
const MAX_CHANNELS: usize = 100;

/// The routes, with CORS when origins are allowed.
pub fn router(app: App) -> Router {
    let cors = cors(&app.allow_origin);
    let router = Router::new()
        .route("/", get(viewer_page))
        .route("/viewer.js", get(viewer_script))
        .route("/viewer.css", get(viewer_style))
        .route("/listen", get(listen))
        .route("/notify/{channel}", post(notify))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(|| async { refuse(StatusCode::NOT_FOUND, "no such page") })
        .with_state(Arc::new(app));
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::HeaderName::from_static("last-event-id"),
            ])
            .max_age(Duration::from_secs(3600)),
    )
}

/// `GET /listen?channel=A&channel=B`: an event stream of those channels.
async fn listen(
    State(app): Shared,
    Extension(wire): Extension<Arc<Wire>>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let query = Query::parse(parts.uri.query());
    let grant = match app.admit(&parts.headers, &query) {
        Ok(grant) => grant,
        Err(refused) => return app.refused(*refused),
    };
    let mut channels: Vec<String> = Vec::new();
    for channel in query.all("channel") {
        if !channels.contains(&channel) {
            channels.push(channel);
        }
    }
    if channels.is_empty() {
        return app.refused(refuse(
            StatusCode::BAD_REQUEST,
            "no channel: GET /listen?channel=NAME (repeat channel= for more)",
        ));
    }
    if channels.len() > MAX_CHANNELS {
        return app.refused(refuse(
            StatusCode::BAD_REQUEST,
            &format!("at most {MAX_CHANNELS} channels per stream"),
        ));
    }
    for channel in &channels {
        if let Err(refusal) = check(&app.served, &grant, channel, false) {
            return app.refused(refusal.into_response());
        }
    }
    let last_event_id = parts
        .headers
        .get("last-event-id")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let Some(stream) = app
        .hub
        .subscribe(channels, grant.expires, last_event_id, wire)
    else {
        let mut response = refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many subscribers (serve --max-subscribers); try again later",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return app.refused(response);
    };
    let headers = [
        (header::CONTENT_TYPE, "text/event-stream"),
        (header::CACHE_CONTROL, "no-store"),
        // nginx: pass each event on at once instead of buffering the response.
        (header::HeaderName::from_static("x-accel-buffering"), "no"),
        // A stream ends only when it must (cut off, expired, shutdown): then the connection
        // goes too, so that one whose reader stalls can be closed without a doubt.
        (header::CONNECTION, "close"),
    ];
    (headers, Body::new(stream)).into_response()
}

/// `POST /notify/CHANNEL` with the payload as the body (with `--allow-publish`).
async fn notify(State(app): Shared, Path(channel): Path<String>, request: Request) -> Response {
    if !app.allow_publish {
        return app.refused(refuse(
            StatusCode::FORBIDDEN,
            "publishing is off (start serve with --allow-publish)",
        ));
    }
    let (parts, body) = request.into_parts();
    let query = Query::parse(parts.uri.query());
    let grant = match app.admit(&parts.headers, &query) {
        Ok(grant) => grant,
        Err(refused) => return app.refused(*refused),
    };
    if let Err(response) = app.same_origin(&parts.headers) {
        return app.refused(*response);
    }
    if let Err(refusal) = check(&app.served, &grant, &channel, true) {
        return app.refused(refusal.into_response());
    }
    let too_large = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the payload is over {MAX_PAYLOAD_BYTES} bytes, PostgreSQL's limit"),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_PAYLOAD_BYTES) {
        return app.refused(too_large());
    }
    let bytes = match axum::body::to_bytes(body, MAX_PAYLOAD_BYTES).await {
        Ok(bytes) => bytes,
        Err(err) => {
            let limited = std::error::Error::source(&err)
                .is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
            return match limited {
                true => app.refused(too_large()),
                false => refuse(
                    StatusCode::BAD_REQUEST,
                    "the request body could not be read",
                ),
            };
        }
    };
    let Ok(payload) = String::from_utf8(bytes.to_vec()) else {
        return app.refused(refuse(StatusCode::BAD_REQUEST, "the payload is not UTF-8"));
    };
    if let Err(why) = check_payload(&payload) {
        return app.refused(refuse(StatusCode::BAD_REQUEST, &why));
    }
    let Some(pool) = app.hub.pool() else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database session is down",
        );
    };
    let sent = sqlx::query("SELECT pg_notify($1, $2)")
        .bind(&channel)
        .bind(&payload)
        .persistent(false)
        .execute(&pool)
        .await;
    match sent {
        Ok(_) => {
            Metrics::count(&app.hub.metrics.published);
            json(StatusCode::OK, serde_json::json!({ "sent": 1 }))
        }
        Err(sqlx::Error::Database(err)) => refuse(
            StatusCode::BAD_GATEWAY,
            &format!("the server refused: {}", err.message()),
        ),
        Err(err) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("the database is unavailable: {err}"),
        ),
    }
}

/// `GET /healthz`: 200 while the database session listens, 503 while it reconnects.
async fn healthz(State(app): Shared) -> Response {
    let health = app.hub.health();
    let metrics = &app.hub.metrics;
    let load = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
    let millis = health.since.elapsed().as_millis() as u64;
    if health.up {
        json(
            StatusCode::OK,
            serde_json::json!({
                "status": "ok",
                "session": "listening",
                "up_ms": millis,
                "channels": load(&metrics.channels),
                "subscribers": load(&metrics.subscribers),
            }),
        )
    } else {
        json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({
                "status": "unavailable",
                "session": "reconnecting",
                "down_ms": millis,
                "reason": health.reason,
            }),
        )
    }
}

/// `GET /metrics`: Prometheus text.
async fn metrics(State(app): Shared) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.hub.metrics.render(),
    )
        .into_response()
}

/// The live viewer: a page, a script and a style sheet built into the binary. The policy
/// lets the page run only its own script and connect only back here, so a payload shown on
/// it can never become code.
async fn viewer_page() -> Response {
    static_file("text/html; charset=utf-8", include_str!("viewer.html"))
}

async fn viewer_script() -> Response {
    static_file("text/javascript; charset=utf-8", include_str!("viewer.js"))
}

async fn viewer_style() -> Response {
    static_file("text/css; charset=utf-8", include_str!("viewer.css"))
}

fn static_file(kind: &'static str, text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                 base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        text,
    )
        .into_response()
}

impl App {
    /// The request's grant, or the answer refusing it: its credential (Authorization: Bearer,
    /// else `access_token` in the query) when authentication is on, else its Host, which
    /// must name the loopback server itself.
    fn admit(&self, headers: &HeaderMap, query: &Query) -> Result<Grant, Box<Response>> {
        if !self.auth.required() && !loopback_host(headers) {
            return Err(Box::new(refuse(
                StatusCode::MISDIRECTED_REQUEST,
                "without authentication only requests addressed to localhost or an IP address \
                 are served (this guards against DNS rebinding); behind a proxy, send \
                 Host: localhost, or use --tokens or --jwt-*",
            )));
        }
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string());
        let credential = bearer.or_else(|| query.all("access_token").next());
        let presented = credential.is_some();
        self.auth.grant(credential.as_deref()).map_err(|refusal| {
            let mut response = refusal.into_response();
            let challenge = match presented {
                true => "Bearer realm=\"pgpubsub\", error=\"invalid_token\"",
                false => "Bearer realm=\"pgpubsub\"",
            };
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
            Box::new(response)
        })
    }

    /// A browser's cross-site POST (a form on another site) carries an Origin that is neither
    /// this server nor an allowed origin: refused, so that a page elsewhere cannot publish
    /// through a user's unauthenticated local server.
    fn same_origin(&self, headers: &HeaderMap) -> Result<(), Box<Response>> {
        let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
            return Ok(());
        };
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let own = host.is_some_and(|host| {
            origin
                .split_once("://")
                .is_some_and(|(_, rest)| rest == host)
        });
        let allowed = self.allow_origin.iter().any(|o| o == "*" || o == origin);
        match own || allowed {
            true => Ok(()),
            false => Err(Box::new(refuse(
                StatusCode::FORBIDDEN,
                "a page of another origin may not publish here (see serve --allow-origin)",
            ))),
        }
    }

    /// Count a refusal.
    fn refused(&self, response: Response) -> Response {
        Metrics::count(&self.hub.metrics.refused);
        response
    }
}

/// Whether the Host header names the server by a loopback name or an address (a DNS name
/// could be re-pointed at 127.0.0.1 by a hostile page's domain).
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let name = match host.strip_prefix('[') {
        Some(v6) => {
            return v6
                .split(']')
                .next()
                .is_some_and(|a| a.parse::<std::net::Ipv6Addr>().is_ok())
        }
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::Ipv4Addr>().is_ok()
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Unauthenticated(why) => refuse(StatusCode::UNAUTHORIZED, why),
            Refusal::Forbidden(why) => refuse(StatusCode::FORBIDDEN, &why),
            Refusal::BadChannel(why) => refuse(StatusCode::BAD_REQUEST, &why),
        }
    }
}

/// A refusal: `status` with `{"error": why}`.
fn refuse(status: StatusCode, why: &str) -> Response {
    json(status, serde_json::json!({ "error": why }))
}

fn json(status: StatusCode, value: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{value}\n"),
    )
        .into_response()
}

/// A request's query parameters, decoded.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(query: Option<&str>) -> Query {
        Query(
            url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// Every value of `name`, in order.
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = String> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        let host = |h: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_str(h).unwrap());
            loopback_host(&headers)
        };
        assert!(host("localhost:8080"));
        assert!(host("127.0.0.1:8080"));
        assert!(host("[::1]:8080"));
        assert!(host("10.0.0.5"));
        assert!(!host("evil.example:8080"));
        assert!(!host("[evil]:80"));
        assert!(loopback_host(&HeaderMap::new()));
    }

    #[test]
    fn query_values_are_decoded_in_order() {
        let q = Query::parse(Some("channel=a%0D%0Ab&x=1&channel=c+d"));
        assert_eq!(q.all("channel").collect::<Vec<_>>(), ["a\r\nb", "c d"]);
    }
}
