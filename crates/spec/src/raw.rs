//! What the user typed: serde types that mirror the connector file one to one.
//!
//! These types are the user documentation of the file format: every field's
//! `///` text says what it means and what it defaults to. They only reject
//! what serde can see (unknown keys, wrong types, unknown `type:` tags);
//! everything else (names resolve, paths and templates compile, durations
//! parse) is `check`'s job, so that all such problems are reported together.
//! Required keys are `Option`s here for the same reason.

mod bulk;
mod de;
mod format;
mod map;
mod paginate;
mod request;
mod resilience;
mod webhooks;

use serde::Deserialize;

pub(crate) use bulk::{RawBulk, RawBulkPoll, RawBulkRequest, RawDownload, RawDownloadRequest};
pub(crate) use de::{Entries, OffOr, OneOrMany, Scalar};
pub(crate) use format::{RawFormat, RawFormatSettings};
pub(crate) use map::{RawColumn, RawField, RawSchema, Strings};
pub(crate) use paginate::RawPaginate;
pub(crate) use request::{RawGraphql, RawRequest, RawTextBody};
pub(crate) use resilience::{RawBreaker, RawErrorRule, RawRateLimit, RawRetry};
pub(crate) use webhooks::{RawAction, RawActionRequest, RawRoute, RawVerify, RawWebhook};

/// The whole connector file.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `connections:` and `streams:`"
)]
pub(crate) struct RawFile {
    /// Where synced records and checkpoints live, e.g. `sqlite://holdfast.db`
    /// or `postgres://user@host/db`. A template over `env`. Optional: the
    /// `HOLDFAST_STORE` environment variable or the built-in default apply.
    pub(crate) store: Option<String>,
    /// The remote APIs, by name.
    #[serde(default)]
    pub(crate) connections: Entries<RawConnection>,
    /// What to sync, by name, in file order. Each name must be an identifier.
    #[serde(default)]
    pub(crate) streams: Entries<RawStream>,
    /// Inbound webhooks `holdfast serve` receives, by name.
    #[serde(default)]
    pub(crate) webhooks: Entries<RawWebhook>,
    /// Outbound writes (`holdfast act NAME`), by name.
    #[serde(default)]
    pub(crate) actions: Entries<RawAction>,
    /// Alert rules `holdfast serve` evaluates continuously, e.g.
    /// `- { rule: no_records, stream: contacts, for: 1h }`.
    #[serde(default)]
    pub(crate) alerts: Vec<RawAlert>,
    /// Where alerts go besides the log, e.g.
    /// `[ { webhook: "{{ env.ALERT_URL }}" } ]`.
    #[serde(default)]
    pub(crate) notify: Vec<RawNotify>,
    /// What `holdfast test` expects of each stream's replayed cassette, by
    /// stream name, e.g. `contacts: { records: 120, expect: [...] }`.
    #[serde(default)]
    pub(crate) tests: Entries<RawTest>,
}

/// Expectations of one stream's cassette replay (`holdfast test`).
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a stream's test, e.g. `{ records: 120, quarantined: 0, expect: [ { key: 17, fields: { email: ada@example.com } } ] }`"
)]
pub(crate) struct RawTest {
    /// The cassette replayed, relative to the connector file. Default
    /// `cassettes/STREAM.har`.
    pub(crate) cassette: Option<String>,
    /// How many records the replay must land: a number, or `{ min, max }`
    /// (either may be left out).
    pub(crate) records: Option<yaml_serde::Value>,
    /// How many records the replay quarantines. Default 0: any quarantined
    /// record fails the test.
    pub(crate) quarantined: Option<Scalar>,
    /// Records that must be in the stream's table after the replay.
    #[serde(default)]
    pub(crate) expect: Vec<RawExpect>,
}

/// One record a test expects.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an expected record, e.g. `{ key: 17, fields: { email: ada@example.com } }`"
)]
pub(crate) struct RawExpect {
    /// Required. The record's primary key: a value, or a list of values for
    /// a compound key.
    pub(crate) key: Option<yaml_serde::Value>,
    /// Required. Values the record must hold: mapped columns by name, else
    /// top-level fields of the raw record; a name starting with `/` is a
    /// JSON pointer into the raw record.
    pub(crate) fields: Option<yaml_serde::Value>,
}

/// One alert rule: `rule:` names the condition, the other keys tune it
/// (which keys a rule takes is `check`'s job, so that every misuse is
/// reported with the rule's own keys).
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an alert rule (a mapping with `rule:`, e.g. `{ rule: no_records, stream: contacts, for: 1h }`)"
)]
pub(crate) struct RawAlert {
    /// Required. `no_records`, `error_rate`, `token_expiring`,
    /// `queue_depth`, `schema_drift`, `remote_down` or `deprecation`.
    pub(crate) rule: Option<String>,
    /// The stream it watches (`no_records`: required; `schema_drift`:
    /// default every stream).
    pub(crate) stream: Option<String>,
    /// The connection it watches (default every connection).
    pub(crate) connection: Option<String>,
    /// How long the condition is looked at, e.g. `1h`, `10m`.
    #[serde(rename = "for")]
    pub(crate) window: Option<Scalar>,
    /// The threshold: a share for `error_rate` (`5%` or `0.05`), a job
    /// count for `queue_depth`.
    pub(crate) above: Option<Scalar>,
    /// `token_expiring`: how long before expiry a token that cannot be
    /// renewed is reported, e.g. `1h`.
    pub(crate) within: Option<Scalar>,
}

/// One place alerts are delivered to.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a notify target, e.g. `{ webhook: \"{{ env.ALERT_URL }}\" }`"
)]
pub(crate) struct RawNotify {
    /// Required. A URL every firing and resolved alert is POSTed to as
    /// JSON; a template over `env` and `secret`.
    pub(crate) webhook: Option<String>,
}

/// A remote API: where it is and how to talk to it.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a connection (a mapping with `base_url:`)"
)]
pub(crate) struct RawConnection {
    /// Required. The URL every stream path is joined to, e.g.
    /// `https://api.example.com` or `"{{ env.CRM_URL }}"`. A template over
    /// `env`; when it has no template syntax it must be an absolute http(s) URL.
    pub(crate) base_url: Option<String>,
    /// Headers sent with every request, e.g. `{ Api-Version: "2024-06-01" }`.
    /// Values are templates over `env`.
    #[serde(default)]
    pub(crate) headers: Entries<Scalar>,
    /// Total time allowed for one request, body included, e.g. `30s` or
    /// `2m`. Default `30s`.
    pub(crate) timeout: Option<Scalar>,
    /// Time allowed to establish a connection, e.g. `5s`. Default `10s`
    /// (or `timeout` when that is shorter); never more than `timeout`.
    pub(crate) connect_timeout: Option<Scalar>,
    /// How requests authenticate. Default `{ type: none }`.
    #[serde(default, deserialize_with = "de::tagged")]
    pub(crate) auth: Option<RawAuth>,
    /// A client-side limit, e.g. `{ requests: 10, per: 1s, burst: 20 }`.
    /// Default: none (`Retry-After` and rate-limit headers are always honoured).
    pub(crate) rate_limit: Option<RawRateLimit>,
    /// Retries with exponential backoff and full jitter, e.g.
    /// `{ attempts: 8, initial: 250ms, max: 60s, max_wait: 5m }`.
    /// Default `{ attempts: 5, initial: 250ms, max: 60s, max_wait: 5m }`.
    pub(crate) retry: Option<RawRetry>,
    /// Circuit breaker, e.g. `{ failures: 20, cool_down: 60s }` (the default),
    /// or `off`.
    pub(crate) breaker: Option<OffOr<RawBreaker>>,
    /// Responses that lie about success, checked in file order, e.g.
    /// `[{ when: "status == 200 and body.success == false", action: retry }]`.
    pub(crate) errors: Option<Vec<RawErrorRule>>,
    /// Most requests in flight at once on this connection (at least 1). Default 4.
    pub(crate) max_concurrency: Option<Scalar>,
    /// `fixed` (default: always up to `max_concurrency`) or `adaptive`
    /// (start at 1, grow while the API keeps up, halve on 429/5xx or rising
    /// latency, never above `max_concurrency`).
    pub(crate) concurrency: Option<String>,
    /// Other hosts a URL handed over by the API (a next-page link, a
    /// redirect) may lead to, fetched WITHOUT the connection's credentials or
    /// headers, e.g. `[files.example.com, "*.s3.amazonaws.com"]`. Default: none;
    /// any URL outside the `base_url`'s origin is refused.
    pub(crate) allowed_hosts: Option<Vec<String>>,
    /// The most bytes read of one response body, e.g. `64MB` (the default) or
    /// `1GiB`; a larger answer is an error, never half-read.
    pub(crate) max_response: Option<Scalar>,
}

/// How a connection authenticates, chosen by `type:`. Values are templates
/// over `env`, e.g. `token: "{{ env.CRM_TOKEN }}"`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[serde(
    expecting = "an auth mapping with `type:` (none, api_key, basic, bearer, oauth2 or session)"
)]
pub(crate) enum RawAuth {
    /// `{ type: none }`: no credentials.
    None {},
    /// `{ type: api_key, name: X-Api-Key, value: "{{ env.KEY }}", in: header }`.
    ApiKey {
        /// Header or query parameter name. Default `X-Api-Key`.
        name: Option<String>,
        /// Required. The key.
        value: Option<String>,
        /// `header` (default) or `query`.
        #[serde(rename = "in")]
        location: Option<String>,
    },
    /// `{ type: basic, username: …, password: … }`: HTTP basic auth.
    Basic {
        /// Required. User name.
        username: Option<String>,
        /// Required. Password.
        password: Option<String>,
    },
    /// `{ type: bearer, token: … }`: `Authorization: Bearer <token>`.
    Bearer {
        /// Required. The token.
        token: Option<String>,
    },
    /// `{ type: oauth2, grant: client_credentials, token_url: /oauth/token, … }`:
    /// an access token from a token endpoint, refreshed before it expires.
    #[serde(rename = "oauth2")]
    OAuth2 {
        /// Required. `client_credentials` or `refresh_token`.
        grant: Option<String>,
        /// Required. The token endpoint: relative to `base_url` or absolute.
        token_url: Option<String>,
        /// Required. The client id.
        client_id: Option<String>,
        /// Required. The client secret.
        client_secret: Option<String>,
        /// The refresh token; required for `grant: refresh_token`.
        refresh_token: Option<String>,
        /// Space-separated scopes to ask for.
        scope: Option<String>,
        /// The audience to ask for (some providers require it).
        audience: Option<String>,
        /// Extra form parameters sent to the token endpoint.
        #[serde(default)]
        params: Entries<Scalar>,
        /// `basic` (default: an `Authorization: Basic` header) or `body`
        /// (`client_id` and `client_secret` as form parameters).
        client_auth: Option<String>,
        /// Renew this long before the token expires. Default `5m`.
        refresh_before_expiry: Option<Scalar>,
        /// Refresh an idle credential at least this often (keep-alive for
        /// refresh tokens revoked when unused). Default `24h`.
        refresh_at_least_every: Option<Scalar>,
    },
    /// `{ type: session, login: [ … ] }`: a portal login. The `login:`
    /// requests run in order on a fresh cookie jar; values they `extract`
    /// are `session.NAME` in later steps and in `headers:`. Every request of
    /// the connection then carries the cookies; an answer that says the
    /// session expired logs in again once.
    Session {
        /// Required. The login requests, in order (at least one).
        login: Option<Vec<RawLoginStep>>,
        /// Headers added to every request, templates over `env`, `secret`
        /// and `session`, e.g. `X-CSRF-Token: "{{ session.csrf }}"`.
        #[serde(default)]
        headers: Entries<Scalar>,
        /// Statuses that mean the session expired. Default `[401, 403]`.
        expired_status: Option<Vec<Scalar>>,
        /// A condition over `status`, `headers` and `body` that also means
        /// the session expired, e.g. `"body.error == 'session_expired'"`.
        /// A redirect to a login step's page always does.
        expired_when: Option<String>,
    },
}

/// One request of a session login. Templates read `env`, `secret` and the
/// values earlier steps extracted (`session.NAME`).
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a login step (a mapping with `path:`, e.g. `{ method: GET, path: /login }`)"
)]
pub(crate) struct RawLoginStep {
    /// `GET` (default) or `POST`, `PUT`, `PATCH`.
    pub(crate) method: Option<String>,
    /// Required. Joined to the connection's `base_url`, e.g. `/login`
    /// (a template over `env` and `secret` only).
    pub(crate) path: Option<String>,
    /// Query parameters (templates over `env` and `secret` only).
    #[serde(default)]
    pub(crate) params: Entries<Scalar>,
    /// Extra headers.
    #[serde(default)]
    pub(crate) headers: Entries<Scalar>,
    /// A form body (`application/x-www-form-urlencoded`), e.g.
    /// `{ username: "{{ secret.portal_user }}", csrf_token: "{{ session.csrf }}" }`.
    #[serde(default)]
    pub(crate) form: Entries<Scalar>,
    /// A JSON body whose string values are templates (not with `form:`).
    pub(crate) json: Option<yaml_serde::Value>,
    /// Values to take from the answer, by name: each one of `css:` (with
    /// `attr:`, or the element's text), `regex:` (the first group),
    /// `cookie:`, `json:` (a JSONPath) or `header:`.
    #[serde(default)]
    pub(crate) extract: Entries<RawExtract>,
}

/// Where a login step finds a value: exactly one source.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an extraction (`{ css: \"input[name=csrf]\", attr: value }`, `{ regex: … }`, `{ cookie: … }`, `{ json: … }` or `{ header: … }`)"
)]
pub(crate) struct RawExtract {
    /// A CSS selector; the first matching element.
    pub(crate) css: Option<String>,
    /// With `css:`: the attribute to read (default: the element's text).
    pub(crate) attr: Option<String>,
    /// A regex over the body; its first capture group (or the whole match).
    pub(crate) regex: Option<String>,
    /// A cookie the answer set.
    pub(crate) cookie: Option<String>,
    /// An RFC 9535 JSONPath into a JSON body.
    pub(crate) json: Option<String>,
    /// A response header.
    pub(crate) header: Option<String>,
}

/// One stream: a request chain whose records land in one table.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a stream (a mapping with `connection:`, `request:`, `records:` and `primary_key:`)"
)]
pub(crate) struct RawStream {
    /// Required. The name of a connection under `connections:`.
    pub(crate) connection: Option<String>,
    /// Required, unless `bulk:` is given. The first request of each chain.
    pub(crate) request: Option<RawRequest>,
    /// How to get from one page to the next. Default `{ type: none }`.
    #[serde(default, deserialize_with = "de::tagged")]
    pub(crate) paginate: Option<RawPaginate>,
    /// How response bodies (and a `bulk:` job's files) are written: `json`
    /// (the default), `jsonl`, `csv` or `xml`, or settings such as
    /// `{ type: csv, delimiter: ";" }` or
    /// `{ type: xml, records: Envelope/Body/ListResponse/Item }`.
    /// Gzip, deflate and zip bodies are unpacked whatever the format.
    pub(crate) format: Option<RawFormat>,
    /// Not with `bulk:`. An RFC 9535 JSONPath to the records in a response
    /// body (after `format` decoded it), e.g. `"$.data[*]"`. Required with `json` and
    /// with `xml` without an element path; with `jsonl` and `csv` it
    /// defaults to `"$[*]"` (every row), with `xml` and `records:` in the
    /// format to every element at that path.
    pub(crate) records: Option<String>,
    /// Reads the stream through an asynchronous export job instead of
    /// `request:` and `paginate:` (see [`RawBulk`]).
    pub(crate) bulk: Option<RawBulk>,
    /// Required. The record field that identifies a record (`id`), or a list
    /// of fields for a composite key (`[account_id, id]`).
    pub(crate) primary_key: Option<OneOrMany>,
    /// Incremental sync; without it every run is a full refresh.
    pub(crate) incremental: Option<RawIncremental>,
    /// Makes this a child stream: one request chain per record of a parent.
    pub(crate) for_each: Option<RawForEach>,
    /// The table records are upserted into. Default: the stream's name.
    /// An identifier not starting with `_holdfast`; one table per stream.
    pub(crate) into: Option<String>,
    /// The JSON Schema every record must satisfy: a path to a JSON file,
    /// relative to the connector file's folder (`schemas/contact.json`), or
    /// the schema inline as a mapping. Draft 2020-12 unless its `$schema`
    /// names another; remote `$ref`s are never fetched.
    pub(crate) schema: Option<RawSchema>,
    /// A record that fails its schema or its `map`: `quarantine` (default:
    /// kept aside with every violation, the sync goes on) or `fail` (the
    /// stream stops before writing the page).
    pub(crate) on_invalid: Option<String>,
    /// New fields in responses: `evolve` (default: recorded as drift and
    /// accepted) or `freeze` (drift makes the record invalid).
    pub(crate) contract: Option<String>,
    /// The stored columns, in order: column name → a JSONPath
    /// (`id: "$.id"`) or settings (`{ from: "$.email", transform: lower }`).
    /// Column names are identifiers, not starting with `_`, unique
    /// (ignoring case), and not a `primary_key` field (stored already).
    /// Default: none (the key and the raw record are stored).
    #[serde(default)]
    pub(crate) map: Entries<RawColumn>,
    /// When `holdfast serve` syncs the stream: `{ every: 15m, jitter: 2m }`
    /// or `{ cron: "*/5 * * * *", timezone: Europe/Berlin, jitter: 30s }`.
    /// Default: none (only `holdfast sync` runs it).
    pub(crate) schedule: Option<RawSchedule>,
    /// A custom source compiled into this `holdfast` binary reads the
    /// stream, e.g. `source: legacy_erp` (registered with
    /// `Holdfast::new().source("legacy_erp", …)`). Such a stream takes no
    /// other key but `schedule:`: its table and primary key come from the
    /// source.
    pub(crate) source: Option<String>,
    /// How old the local copy may get before the records API calls it
    /// stale (`stale: true`), e.g. `2h`: the time since the stream's last
    /// successful run. Default: none (never stale).
    pub(crate) stale_after: Option<Scalar>,
    /// How the API marks a deleted record, as a condition over `record`,
    /// e.g. `"record.archived == true"`: such records are kept as
    /// tombstones (`_deleted_at` set), not rows that look alive.
    pub(crate) deleted_when: Option<String>,
    /// Makes this a tombstone endpoint of another stream: every record it
    /// reads marks the row with the same key in that stream's table
    /// deleted (`_deleted_at` set, the row's content kept), e.g.
    /// `deletes: contacts` on a stream reading `/contacts/deleted`. Its
    /// `primary_key` names the same fields as that stream's.
    pub(crate) deletes: Option<String>,
    /// The safety net: a full scan of the stream diffed against the table
    /// (see [`RawReconcile`]).
    pub(crate) reconcile: Option<RawReconcile>,
}

/// `reconcile:` of a stream: a full scan of its request chain, diffed
/// against its table, e.g. `{ every: 24h, missing: soft_delete, max_delete: 5% }`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping such as `{ every: 24h, missing: soft_delete, max_delete: 5% }`"
)]
pub(crate) struct RawReconcile {
    /// When `holdfast serve` reconciles, as in `schedule:`: every multiple
    /// of an interval (`24h`) or a `cron:` expression (with `timezone:` and
    /// `jitter:`). Default: none (only `holdfast reconcile` runs it).
    pub(crate) every: Option<Scalar>,
    /// A cron expression for `serve`, instead of `every:`.
    pub(crate) cron: Option<String>,
    /// The time zone of `cron:`. Default `UTC`.
    pub(crate) timezone: Option<String>,
    /// Each reconciliation starts up to this long after its slot. Default `0s`.
    pub(crate) jitter: Option<Scalar>,
    /// What happens to rows upstream no longer has: `soft_delete` (default:
    /// tombstoned, `_deleted_at` set), `hard_delete` (removed) or `report`
    /// (counted only).
    pub(crate) missing: Option<String>,
    /// The most rows one reconciliation may delete: a share of the live
    /// rows (`5%`), a count (`500`), or both (`5% or 500`, whichever is
    /// fewer). More deletes nothing and fires the `reconcile_refused`
    /// alert. Default `10%`.
    pub(crate) max_delete: Option<Scalar>,
    /// Rows seen this long before the scan started are spared too (rows
    /// seen during the scan always are). Default `0s`.
    pub(crate) grace: Option<Scalar>,
    /// A cheaper scan: these query parameters are set on the stream's
    /// request (e.g. `{ fields: id }`) and only the keys of what comes back
    /// are compared. A key missing locally makes the reconciliation read
    /// full records after all; silent edits are not seen. Streams without
    /// `for_each:` only.
    #[serde(default)]
    pub(crate) keys_only: Option<Entries<Scalar>>,
    /// The key scan reads this path instead of the stream's (an endpoint
    /// that lists keys, e.g. `/contacts/ids`), with the stream's pagination,
    /// records path and primary key, and `keys_only:` parameters if any.
    pub(crate) scan: Option<String>,
}

/// Incremental sync: only fetch what changed since the saved cursor.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping with `cursor_field:`")]
pub(crate) struct RawIncremental {
    /// Required. The top-level record field holding the cursor, e.g. `updated_at`.
    pub(crate) cursor_field: Option<String>,
    /// How far back from the saved cursor the next run starts, e.g. `5m`.
    /// Default `0s`.
    pub(crate) lookback: Option<Scalar>,
    /// How the cursor is written, when it is not one of the forms read
    /// without being told (RFC 3339, `YYYY-MM-DD HH:MM:SS[.fff]`,
    /// `YYYY-MM-DD`, epoch seconds or milliseconds): a strftime pattern
    /// (`"%d.%m.%Y %H:%M"`), `rfc3339`, `epoch_seconds` or `epoch_millis`.
    pub(crate) cursor_format: Option<String>,
}

/// A stream's schedule: exactly one of `every:` and `cron:`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a schedule (a mapping with `every:` or `cron:`, e.g. `{ every: 15m, jitter: 2m }`)"
)]
pub(crate) struct RawSchedule {
    /// Runs at every multiple of this interval since the Unix epoch, e.g.
    /// `15m` (:00, :15, :30, :45). At least `1s`.
    pub(crate) every: Option<Scalar>,
    /// Runs at the times of a cron expression (`minute hour day month
    /// weekday`, an optional leading seconds field), e.g. `"*/5 * * * *"`.
    pub(crate) cron: Option<String>,
    /// The IANA time zone `cron:` is read in, e.g. `Europe/Berlin`. Default `UTC`.
    pub(crate) timezone: Option<String>,
    /// Each run starts up to this long after its slot (the same delay in
    /// every process, different per stream and slot), so that streams on
    /// the same schedule do not start together. Default `0s`; smaller than
    /// the interval.
    pub(crate) jitter: Option<Scalar>,
    /// Off-peak windows: heavy runs (bulk reads, full refreshes,
    /// reconciliation scans) start only inside one, and stop at a page
    /// boundary at its end, to resume in the next one.
    pub(crate) windows: Option<Vec<RawWindow>>,
    /// Which runs wait for a window: `heavy` (the default) or `all`.
    pub(crate) windows_apply_to: Option<String>,
    /// Periods in which nothing scheduled runs (e.g. month-end close).
    pub(crate) blackout: Option<Vec<RawBlackout>>,
}

/// One off-peak window: `{ days: mon-fri, from: "22:00", to: "06:00", timezone: Europe/Berlin }`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a window (a mapping with `from:` and `to:`, e.g. `{ days: mon-fri, from: \"22:00\", to: \"06:00\" }`)"
)]
pub(crate) struct RawWindow {
    /// The weekdays it opens on: `[mon, tue]`, `mon-fri`, `sat,sun`. Default: every day.
    pub(crate) days: Option<OneOrMany>,
    /// Required. Opens at this time of day, `HH:MM`.
    pub(crate) from: Option<Scalar>,
    /// Required. Closes at this time of day, `HH:MM` (`24:00`: midnight);
    /// at or before `from`: the next day.
    pub(crate) to: Option<Scalar>,
    /// The IANA time zone `from` and `to` are read in. Default `UTC`.
    pub(crate) timezone: Option<String>,
}

/// A period in which nothing scheduled runs: `{ from: 2026-12-24, to:
/// 2026-12-27 }` (whole days) or `{ month_end: 2 }` (the last days of
/// every month), each with an optional `timezone:`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a blackout (`{ from: 2026-12-24, to: 2026-12-27 }` or `{ month_end: 2 }`)"
)]
pub(crate) struct RawBlackout {
    /// The first day, `YYYY-MM-DD`.
    pub(crate) from: Option<Scalar>,
    /// The last day, `YYYY-MM-DD` (inclusive). Default: `from`.
    pub(crate) to: Option<Scalar>,
    /// The last this many days of every month (1 to 27).
    pub(crate) month_end: Option<Scalar>,
    /// The IANA time zone the days are read in. Default `UTC`.
    pub(crate) timezone: Option<String>,
}

/// A child stream's parent: `{ stream: contacts, as: contact }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping with `stream:` and `as:`")]
pub(crate) struct RawForEach {
    /// Required. The parent stream's name (not this stream, no cycles).
    pub(crate) stream: Option<String>,
    /// Required. The parent record's name in this stream's templates
    /// (`{{ contact.id }}`); an identifier.
    #[serde(rename = "as")]
    pub(crate) alias: Option<String>,
}
