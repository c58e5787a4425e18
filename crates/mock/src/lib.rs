//! A fake SaaS API (a CRM) for tests, benchmarks and demos, served with axum on 127.0.0.1.
//!
//! Contacts have ids `1..=records` and are generated from `(seed, id)` on every request,
//! so a million of them cost no memory and the same seed always gives the same bytes.
//! Contact `id` was last updated at `2024-01-01T00:00:00Z` + `id` seconds, so id order is
//! `updated_at` order until contacts are touched.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use holdfast_mock::{MockConfig, MockServer};
//!
//! let config = MockConfig { records: 250, ..MockConfig::default() };
//! let server = MockServer::start(config, "127.0.0.1:0".parse().unwrap()).await?;
//! println!("try {}/cursor/contacts?limit=100", server.url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Data endpoints
//!
//! Each listing takes `updated_since` (RFC 3339: contacts with `updated_at >=` it, ordered
//! by `updated_at`) and a page size (`limit`, or `per_page` for `page`; default 100,
//! clamped to 1..=1000).
//!
//! | Endpoint | Parameters | Body |
//! |---|---|---|
//! | `GET /cursor/contacts` | `cursor` | `{"data":[..], "meta":{"next_cursor": "tok" \| null, "has_more": b, "total": n}}` |
//! | `GET /v2/contacts` | same as `cursor` | same as `cursor` |
//! | `GET /v1/contacts` | same as `cursor` | same as `cursor`, plus `Deprecation` and `Sunset` headers |
//! | `GET /next_url/contacts` | `page_token` | `{"data":[..], "links":{"next": "http://HOST/..." \| null}}` |
//! | `GET /offset/contacts` | `offset` | `{"data":[..], "total": n}` |
//! | `GET /page/contacts` | `page` (from 1), `per_page` | `{"data":[..], "page": p, "total_pages": n}` |
//! | `GET /link_header/contacts` | `page_token` | `{"data":[..]}` + `Link: <..>; rel="first", <..>; rel="next"` |
//! | `GET /github/contacts` | `page` (from 1), `per_page` | `{"data":[..]}` + GitHub's `Link: <..>; rel="prev", <..>; rel="next", <..>; rel="last", <..>; rel="first"` |
//! | `GET /none/contacts` | | `{"data":[every match]}`, streamed |
//! | `GET /v3/contacts` | `cursor`, `updated_since` as `2024-01-01 00:00:10` | `{"data":[{"id":17,"updated_at":"2024-01-01 00:00:17","details":"<the contact as JSON text>"}], "meta":{"next_cursor": ..}}`; with `bad_every = N`, the `details` of contacts `N, 2N, ...` is cut short (not JSON) |
//! | `GET /v2/contacts.csv`, `.jsonl`, `.xml` | `page` (from 1), `per_page`, `gzip=1\|body`, `delimiter` (csv), `broken=ragged\|truncated\|fault` | the contacts as CSV, JSON Lines or a SOAP envelope + `Link: <..>; rel="next"` (see `formats`) |
//! | `GET /v2/contacts/{id}/deals` | | `{"data":[0 to 3 deals]}`; 404 for unknown ids |
//! | `POST /v2/exports` | JSON `{"object":"contacts","format":"csv"\|"jsonl","gzip":b,"rows":n,"since":"RFC 3339","files":n}` | 202 `{"id":"exp_1","state":"pending"}`: an export job (knobs: `pending_polls`, `fail`, `expire_first`, `file_host`, `lie_rows`, `truncate`, `delay_ms`; see `bulk.rs`) |
//! | `GET /v2/exports/{id}` | | `{"state":"pending"}`, then `{"state":"done","files":[{"url":..}],"row_count":n}` or `{"state":"failed","error":..}` |
//! | `GET /v2/exports/{id}/files/{n}?sig=s` | | the file, streamed and generated on the fly (CSV with a header row, or JSON Lines; gzipped when asked); 403 for an expired link; no auth |
//! | `POST /v2/notes` | JSON object body, `Idempotency-Key` header | 201 `{"note":{..,"id":n}}`; a repeated key replays the first answer and creates nothing |
//!
//! `fields=id` on `cursor` (and `/v2/contacts`) answers `{"id": n}` objects only (a
//! keys-only listing). `lie_more=N` on `cursor`, `offset` and `github` makes the listing claim N records
//! more than it serves, as a lying upstream does: `has_more` stays true on the last
//! page (with no next cursor), `total` counts them, and GitHub's `rel="last"` points
//! past the last page served.
//!
//! `GET /_mock/exports` counts export jobs created (`{"created": n, "jobs": [..]}`).
//!
//! `GET /_mock/notes` tells what the notes endpoint did ([`NotesLog`]): notes created
//! (remote effects), replays, repeated keys and requests without a key.
//!
//! A contact:
//! `{"id":17, "email":"ada.lovelace17@example.com", "name":{"first":"Ada","last":"Lovelace"},
//! "properties":{"email":"Ada.Lovelace17@Example.com","phone":null}, "company":"Acme Ltd",
//! "amount":{"value":"1234.50","currency":"EUR"}, "balance":"92360.53", "status":"A",
//! "created":"03/04/2024", "tags":["vip"], "updated_at":"2024-01-01T00:00:17Z", "version":1}`.
//!
//! # A portal and a web app behind it
//!
//! With [`MockAuth::Session`] the mock is a portal: `GET /login` serves a form with a
//! CSRF token, `POST /login` opens a `mock_session` cookie and redirects (`303`) to
//! `/home`, and data requests without a live session are redirected to `/login`.
//! `/home` is a web app with no public API, the kind a user captures in a browser:
//!
//! | Request | Needs | Answer |
//! |---|---|---|
//! | `GET /home` | the session cookie | the list page: `/static/app.css`, `/static/app.js`, `/static/logo.png`, and an image beacon to [`MockConfig::analytics_url`]`/collect?...` when set; `<div id="status">done N</div>` once the script is through |
//! | `GET /api/session` | the session cookie | `{"token": "tok_…", "user": {"username": ..}}` |
//! | `GET /api/contacts` | `limit`, `cursor`; `Authorization: Bearer <token>` | `{"data": [{"id", "name", "email", "updated_at"}], "next_cursor": "<opaque>" \| null}` |
//! | `GET /api/contacts/{id}` | `Authorization: Bearer <token>` | the whole contact; 404 for unknown ids |
//!
//! The script asks for the token, pages through the list (10 a page) and fetches each
//! contact in turn. The `/api/` routes are data requests (logged, rate limited, faulted)
//! that each spend one of the session's requests; a token dies with its session, and
//! without a live cookie or token they answer `401 {"error": "unauthorized"}`.
//!
//! # Bad records and shape drift
//!
//! For testing schema validation, quarantine and drift detection (both off by default):
//!
//! - [`MockConfig::bad_every`] `= N` serves contacts `N, 2N, 3N, ...` deliberately bad, the
//!   kind rotating by `(id / N) % 5` through [`BAD_KINDS`]: `null_email` (`"email": null`),
//!   `string_number` (`"version": "lots"`), `missing_key` (no `"id"`), `renamed_field`
//!   (`"e_mail"` instead of `"email"`) and `bad_date` (`"created": "31/31/2024"`).
//!   [`bad_kind`] tells which ids are bad and how; every other contact is unchanged.
//! - [`MockConfig::shape`] `=` [`ShapeVersion::Drifted`] (or `POST /_mock/shape`, or
//!   [`MockServer::set_shape`] at runtime) changes every contact: `balance` becomes
//!   `{"value": "1234.50", "currency": "EUR"}`, `tags` a single string (the first tag or
//!   `""`), `company` is renamed `organization`, and `"segment": "smb"` appears.
//!
//! Errors are JSON `{"error": "..."}`: 400 names the bad parameter, 401 when
//! [`MockConfig::auth`] is set and the request lacks it, 404 for unknown styles and paths.
//! [`MockConfig::latency`] delays every data response.
//!
//! # Faults and rate limit
//!
//! A data request passes, in order: bookkeeping, [`MockConfig::latency`], auth (a 401
//! stays a 401), the mock's own [`MockRateLimit`] (429), the [`FaultProfile::down`] window
//! (503), then at most one fault drawn from `(seed, sequence number)` (429, 500, 503, slow,
//! dropped connection, HTML page, `200` error body, malformed or truncated JSON), and only
//! then the real page. Faulted requests never carry records.
//!
//! ```
//! use holdfast_mock::{FaultProfile, MockConfig, MockRateLimit};
//!
//! let config = MockConfig {
//!     faults: FaultProfile::parse("429=10%,500=5%,retry_after=2s").unwrap(),
//!     rate_limit: Some(MockRateLimit::parse("50/1s").unwrap()),
//!     ..MockConfig::default()
//! };
//! # let _ = config;
//! ```
//!
//! # Control endpoints (never counted in stats or the request log)
//!
//! - `GET /_mock/stats`: `{"requests": n, "by_path": {"/cursor/contacts": n},
//!   "served_ok": n, "faults": {"429": n}, "rate_limited": n, "retry_after_violations": n}`.
//! - `GET /_mock/requests`: `{"requests": [{"method","path","query","headers","at",
//!   "fault","status"}]}`, the last 1000 data requests.
//! - `POST /_mock/touch?count=N`: moves N distinct contacts past every earlier `updated_at`
//!   and bumps their `version`; `{"touched": [ids]}`.
//! - `POST /_mock/delete?ids=3,7`: deletes those contacts silently (gone from every
//!   listing, lookup and total; no event); `{"deleted": [ids]}`. `GET
//!   /v2/contacts/deleted` lists them as a tombstone endpoint does:
//!   `{"data": [{"id": 3, "deleted": true}]}`.
//! - `POST /_mock/edit?ids=3,7`: bumps their `version` without moving `updated_at` (a
//!   change only a full scan sees); `{"edited": [ids]}`.
//! - `POST /_mock/shape?version=original|drifted`: serves every later response in that
//!   [`ShapeVersion`] (a streaming `none` response keeps the shape it started with);
//!   `{"shape": "drifted"}`, 400 for a missing or unknown `version`.
//! - `POST /_mock/reset`: zeroes stats, the request log and the rate limit window, and
//!   restarts the fault draws (touches and the shape stay).
//! - `GET /healthz`: `ok`.
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

mod admin;
mod app;
mod auth;
mod bulk;
mod config;
mod data;
mod dates;
mod error;
mod export;
mod exports;
mod faults;
mod formats;
mod limit;
mod listing;
mod notebook;
mod notes;
mod pages;
mod portal;
mod query;
mod quirks;
mod routes;
mod search;
mod server;
mod sessions;
mod shape;
mod state;
mod token;

pub use config::{MockAuth, MockConfig, bad_kind};
pub use faults::FaultProfile;
pub use formats::{CSV_COLUMNS, TRICKY_NOTE};
pub use limit::MockRateLimit;
pub use notebook::NotesLog;
pub use portal::LOGIN_PATH;
pub use quirks::BAD_KINDS;
pub use routes::{V1_DEPRECATED, V1_SUNSET, router};
pub use server::MockServer;
pub use sessions::{PortalStats, SESSION_COOKIE};
pub use shape::{ShapeVersion, UnknownShape};
pub use state::{MockState, MockStats, SeenRequest};
