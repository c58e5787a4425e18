//! The checked connector file: what the engine runs.
//!
//! Every value here has passed `check`: names resolve, JSONPaths and templates
//! compile, durations parse. Templates keep their source text and are rendered
//! by the engine at run time (they may read `cursor` or a parent record).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use serde_json_path::JsonPath;

/// A whole connector file, checked.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The file it was read from (for messages).
    pub origin: PathBuf,
    /// The store URL (`sqlite://holdfast.db`), if the file names one.
    pub store: Option<Template>,
    /// Connections by name.
    pub connections: BTreeMap<String, Connection>,
    /// Streams in file order.
    pub streams: Vec<Stream>,
    /// Streams read by custom sources (`source:`), in file order.
    pub custom_streams: Vec<crate::CustomStream>,
    /// Inbound webhooks in file order.
    pub webhooks: Vec<Webhook>,
    /// Outbound actions in file order.
    pub actions: Vec<Action>,
    /// Alert rules in file order.
    pub alerts: Vec<AlertRule>,
    /// Where alerts are delivered besides the log.
    pub notify: Vec<Notify>,
    /// The secret names the file's templates read (`{{ secret.NAME }}`).
    pub secrets: BTreeSet<String>,
}

impl Spec {
    /// The stream called `name`, if any.
    pub fn stream(&self, name: &str) -> Option<&Stream> {
        self.streams.iter().find(|s| s.name == name)
    }

    /// The webhook called `name`, if any.
    pub fn webhook(&self, name: &str) -> Option<&Webhook> {
        self.webhooks.iter().find(|w| w.name == name)
    }

    /// The action called `name`, if any.
    pub fn action(&self, name: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.name == name)
    }
}

/// A remote API: where it is and how to talk to it.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The name under `connections:`.
    pub name: String,
    /// Base URL every stream path is joined to.
    pub base_url: Template,
    /// Headers sent with every request (e.g. a pinned API version).
    pub headers: Vec<(String, Template)>,
    /// Total time allowed for one request, body included. Default 30 s.
    pub timeout: Duration,
    /// Time allowed to establish a connection. Default 10 s (never more than `timeout`).
    pub connect_timeout: Duration,
    /// How requests authenticate.
    pub auth: Auth,
    /// Client-side rate limit (a token bucket), if any.
    pub rate_limit: Option<RateLimit>,
    /// Retries with exponential backoff and full jitter.
    pub retry: Retry,
    /// Circuit breaker; `None` when the file says `breaker: off`.
    pub breaker: Option<Breaker>,
    /// Responses that lie about success, and what to do with them, in file order.
    pub errors: Vec<ErrorRule>,
    /// How many requests may be in flight on this connection at once.
    pub concurrency: Concurrency,
    /// Other hosts that URLs handed over by the API may lead to, fetched
    /// without credentials (`allowed_hosts:`); anywhere else is refused.
    pub allowed_hosts: Vec<AllowedHost>,
    /// The most bytes read of one response body (`max_response:`, default 64 MB).
    pub max_response: u64,
}

/// One entry of `allowed_hosts:`: `files.example.com`, `files.example.com:8443`,
/// `*.example.com` (any subdomain, not the domain itself) or, with a scheme,
/// `http://127.0.0.1:9000`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// `http` or `https` when the entry names one; `None`: https (and http too
    /// when the connection's base URL is http).
    pub scheme: Option<String>,
    /// The host name, lowercase, or an IP address.
    pub host: String,
    /// True for `*.host`: every subdomain of `host`.
    pub subdomains: bool,
    /// The port when the entry names one; `None`: the scheme's default.
    pub port: Option<u16>,
}

/// `rate_limit: { requests, per, burst }`: never more than `requests` per
/// `per` on average, with bursts of up to `burst` (default: `requests`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per period (>= 1).
    pub requests: u32,
    /// The period (> 0).
    pub per: Duration,
    /// Bucket size (>= 1).
    pub burst: u32,
}

/// `retry: { attempts, initial, max, max_wait }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Total attempts per request, the first included (>= 1; 1 = no retries). Default 5.
    pub attempts: u32,
    /// Backoff before the first retry, doubled each time (full jitter). Default 250 ms.
    pub initial: Duration,
    /// Largest single backoff. Default 60 s.
    pub max: Duration,
    /// Cap on the total time one request may spend waiting between attempts
    /// (Retry-After included); past it the request fails. Default 5 min.
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 5,
            initial: Duration::from_millis(250),
            max: Duration::from_secs(60),
            max_wait: Duration::from_secs(300),
        }
    }
}

/// `breaker: { failures, cool_down }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breaker {
    /// Consecutive failed attempts that open the breaker (>= 1). Default 20.
    pub failures: u32,
    /// How long it stays open before one probe request. Default 60 s.
    pub cool_down: Duration,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            failures: 20,
            cool_down: Duration::from_secs(60),
        }
    }
}

/// One `errors:` rule: a Jinja condition over `status`, `headers` and `body`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRule {
    /// The condition (an expression, no braces), e.g. `status == 200 and body.success == false`.
    pub when: Template,
    /// What to do when it holds.
    pub action: ErrorAction,
}

/// What to do with a response an `errors:` rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorAction {
    /// A transient failure: retry it like a 503.
    Retry,
    /// A permanent failure: fail the stream with the response excerpt.
    Fail,
    /// Not an error and no data: the page yields no records and the chain ends.
    Skip,
}

/// `max_concurrency` and `concurrency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    /// At most this many requests in flight (`max_concurrency: N`, default 4).
    Fixed(u32),
    /// `concurrency: adaptive`: start at 1, raise while latency and errors stay
    /// flat, halve on 429/5xx or rising latency, never above `max` (`max_concurrency`).
    Adaptive {
        /// The ceiling.
        max: u32,
    },
}

/// How a connection authenticates.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials.
    None,
    /// A key sent in a header or a query parameter.
    ApiKey {
        /// Header or query parameter name (default header `X-Api-Key`).
        name: String,
        /// The key.
        value: Template,
        /// Where the key goes.
        location: KeyLocation,
    },
    /// HTTP basic auth.
    Basic {
        /// User name.
        username: Template,
        /// Password.
        password: Template,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        token: Template,
    },
    /// An OAuth2 access token from a token endpoint, refreshed ahead of expiry.
    OAuth2(OAuth2),
    /// A portal login: cookies from a chain of login requests.
    Session(Session),
}

/// `auth: { type: session, … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The login requests, in order (at least one).
    pub login: Vec<LoginStep>,
    /// Headers added to every request (templates over `env`, `secret`, `session`).
    pub headers: Vec<(String, Template)>,
    /// Statuses that mean the session expired (default 401 and 403).
    pub expired_status: Vec<u16>,
    /// A condition over `status`, `headers` and `body` that also means it.
    pub expired_when: Option<Template>,
}

/// One request of a session login.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginStep {
    /// The method.
    pub method: Method,
    /// Joined to the connection's `base_url`.
    pub path: Template,
    /// Query parameters.
    pub params: Vec<(String, Template)>,
    /// Extra headers.
    pub headers: Vec<(String, Template)>,
    /// The body.
    pub body: LoginBody,
    /// Values to take from the answer, by name.
    pub extract: Vec<(String, Extract)>,
}

/// A login step's body.
#[derive(Debug, Clone, PartialEq)]
pub enum LoginBody {
    /// None.
    None,
    /// Form fields.
    Form(Vec<(String, Template)>),
    /// JSON whose strings are templates.
    Json(serde_json::Value),
}

/// Where a login step finds a value in its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extract {
    /// The first element matching a CSS selector: `attr`, or its text.
    Css {
        /// The selector (checked).
        selector: String,
        /// The attribute; `None` for the element's text.
        attr: Option<String>,
    },
    /// A regex (checked): its first capture group, or the whole match.
    Regex(String),
    /// A cookie's value.
    Cookie(String),
    /// A JSONPath (checked) into a JSON body.
    Json(String),
    /// A response header.
    Header(String),
}

/// `auth: { type: oauth2, … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuth2 {
    /// How tokens are obtained.
    pub grant: Grant,
    /// The token endpoint: relative to `base_url` or absolute.
    pub token_url: Template,
    /// The client id.
    pub client_id: Template,
    /// The client secret.
    pub client_secret: Template,
    /// The initial refresh token (`grant: refresh_token` only).
    pub refresh_token: Option<Template>,
    /// Scopes to ask for.
    pub scope: Option<Template>,
    /// The audience to ask for.
    pub audience: Option<Template>,
    /// Extra form parameters for the token endpoint.
    pub params: Vec<(String, Template)>,
    /// How the client authenticates to the token endpoint.
    pub client_auth: ClientAuth,
    /// Renew this long before expiry.
    pub refresh_before_expiry: Duration,
    /// Refresh an idle credential at least this often.
    pub refresh_at_least_every: Duration,
}

/// An OAuth2 grant type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// `client_credentials`.
    ClientCredentials,
    /// `refresh_token`.
    RefreshToken,
}

/// How the client authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// An `Authorization: Basic` header (RFC 6749 §2.3.1, the default).
    #[default]
    Basic,
    /// `client_id` and `client_secret` as form parameters.
    Body,
}

/// Where an API key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLocation {
    /// As a request header.
    Header,
    /// As a query parameter.
    Query,
}

/// One stream: a request chain whose records land in one table.
#[derive(Debug, Clone)]
pub struct Stream {
    /// The name under `streams:`.
    pub name: String,
    /// The connection it reads through.
    pub connection: String,
    /// The first request of each chain.
    pub request: Request,
    /// How to get from one page to the next.
    pub paginate: Paginate,
    /// Where the records are in a response body.
    pub records: Path,
    /// Fields that identify a record; one or more top-level keys.
    pub primary_key: Vec<String>,
    /// Incremental sync settings; `None` means full refresh every run.
    pub incremental: Option<Incremental>,
    /// Child stream: one request chain per record of a parent stream.
    pub for_each: Option<ForEach>,
    /// The table records are upserted into.
    pub into: String,
    /// The JSON Schema every record must satisfy, if any.
    pub schema: Option<Schema>,
    /// What happens to a record that fails its schema or its mapping.
    pub on_invalid: OnInvalid,
    /// Whether new fields in responses are an error (`freeze`) or accepted (`evolve`).
    pub contract: Contract,
    /// The transformation layer: stored columns computed from each raw
    /// record, in file order. Empty: only the primary key and `_raw` are stored.
    pub map: Vec<FieldMap>,
    /// When `holdfast serve` syncs it; `None`: only on demand.
    pub schedule: Option<Schedule>,
}

/// `schedule:` when `holdfast serve` syncs a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The slots: an interval or a cron expression.
    pub trigger: Trigger,
    /// Each run starts up to this long after its slot; less than the interval.
    pub jitter: Duration,
}

/// The slots of a [`Schedule`].
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// Every multiple of this interval since the Unix epoch (at least 1s).
    Every(Duration),
    /// The times of a cron expression, in a time zone.
    Cron {
        /// The expression as written (checked to parse with `croner`).
        expression: String,
        /// The IANA time zone it is read in.
        timezone: chrono_tz::Tz,
    },
}

impl std::fmt::Display for Schedule {
    /// `every 15m (jitter 2m)`, `cron "0 6 * * *" Europe/Berlin`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.trigger {
            Trigger::Every(every) => write!(f, "every {}", humantime::format_duration(*every))?,
            Trigger::Cron {
                expression,
                timezone,
            } => write!(f, "cron \"{expression}\" {}", timezone.name())?,
        }
        if !self.jitter.is_zero() {
            write!(f, " (jitter {})", humantime::format_duration(self.jitter))?;
        }
        Ok(())
    }
}

/// A stream's JSON Schema (draft 2020-12), already read.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Where it came from: the file path as written (resolved against the
    /// connector file's folder in `path`), or `inline`.
    pub origin: String,
    /// The file it was read from, when it came from a file.
    pub path: Option<PathBuf>,
    /// The schema document.
    pub document: serde_json::Value,
}

/// `on_invalid:` what to do with a record that fails validation or mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnInvalid {
    /// Keep it in quarantine with every violation, and go on (the default).
    #[default]
    Quarantine,
    /// Stop the stream before writing the page.
    Fail,
}

/// `contract:` how new fields in responses are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Contract {
    /// New fields are recorded as drift and accepted (the default).
    #[default]
    Evolve,
    /// A new field is drift and makes the record invalid (handled by `on_invalid`).
    Freeze,
}

/// One mapped column.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMap {
    /// The column name (an identifier; not a primary key column, not `_…`).
    pub column: String,
    /// Where the value comes from.
    pub source: FieldSource,
    /// The stored type and how raw values are coerced into it.
    pub kind: FieldKind,
    /// Filters applied after the value is taken and before it is coerced.
    pub transform: Vec<Transform>,
    /// Raw value → stored value, for enums (`{ A: active, I: inactive }`); a
    /// value not in the map gets `default` (or is invalid when there is none).
    pub values: Option<Vec<(String, serde_json::Value)>>,
    /// The value when the source is missing or null (or not in `values`).
    pub default: Option<serde_json::Value>,
    /// True when a missing or null value (with no `default`) makes the record invalid.
    pub required: bool,
}

/// Where a mapped value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldSource {
    /// A JSONPath into the raw record (`$.properties.email`); the first match.
    Path(Path),
    /// A Jinja expression over `record` (the raw record), for computed fields:
    /// `record.name.first ~ ' ' ~ record.name.last`.
    Expr(Template),
}

impl PartialEq for Path {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// A filter in `transform:`.
#[derive(Debug, Clone, PartialEq)]
pub enum Transform {
    /// Lower-case a string.
    Lower,
    /// Upper-case a string.
    Upper,
    /// Trim whitespace around a string.
    Trim,
    /// Read a string as JSON text (`parse: json`); other values pass as
    /// they are, text that is not JSON makes the record invalid.
    ParseJson,
    /// A Jinja expression over `value` (the value so far) and `record`.
    Expr(Template),
}

/// The stored type of a mapped column.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum FieldKind {
    /// The value as it is (JSON).
    #[default]
    Any,
    /// Text; numbers and booleans are written as text.
    String,
    /// A whole number; "42" and 42.0 are accepted, 4.2 is not.
    Integer,
    /// An exact decimal kept as text (never a float): "1234.50".
    Decimal {
        /// The thousands separator to remove first, if the API uses one ("1,234.50").
        thousands: Option<char>,
        /// The decimal separator (default '.'; "1.234,50" has ',').
        point: char,
    },
    /// true/false from booleans, "true"/"false", "yes"/"no", "y"/"n", "1"/"0", 1/0.
    Boolean,
    /// An instant, stored as RFC 3339 UTC text.
    Timestamp {
        /// Accepted input formats, tried in order: strftime patterns
        /// (`%d/%m/%Y %H:%M`), `rfc3339`, `epoch_seconds`, `epoch_millis`.
        /// Empty: `rfc3339`, then epoch seconds/millis for numbers.
        formats: Vec<String>,
    },
    /// A calendar date, stored as `YYYY-MM-DD`.
    Date {
        /// Accepted input formats (strftime, or `rfc3339` for a timestamp's date).
        formats: Vec<String>,
    },
}

/// The request template of a stream.
#[derive(Debug, Clone)]
pub struct Request {
    /// HTTP method. Default GET.
    pub method: Method,
    /// Path joined to the connection's base URL (or a full URL).
    pub path: Template,
    /// Query parameters; one that renders empty is not sent.
    pub params: Vec<(String, Template)>,
    /// Extra headers for this stream.
    pub headers: Vec<(String, Template)>,
}

/// HTTP methods: streams use GET or POST, actions POST, PUT, PATCH or DELETE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

/// Pagination: the strategy plus the guards every strategy shares.
#[derive(Debug, Clone)]
pub struct Paginate {
    /// How the next page is found.
    pub strategy: Strategy,
    /// Stop when this is true for a page (besides the strategy's own end).
    pub stop_when: Option<StopWhen>,
    /// Fail the stream past this many pages in one chain (a runaway guard).
    pub max_pages: Option<u64>,
    /// A boolean in the body saying more pages follow: true on a page the
    /// chain ends at is an error.
    pub expect_more: Option<Path>,
    /// The number of records the chain should have, in the body: fewer read
    /// when the chain ends is an error.
    pub expect_total: Option<Path>,
}

/// How the next page is found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Strategy {
    /// A single request.
    None,
    /// A token in the body, sent back as a query parameter.
    Cursor {
        /// Where the token is in the body.
        next: Path,
        /// The query parameter it is sent as.
        param: String,
    },
    /// A full URL in the body.
    NextUrl {
        /// Where the URL is in the body.
        next: Path,
    },
    /// RFC 8288 `Link: <…>; rel="next"`.
    LinkHeader,
    /// `offset` + `limit` parameters; stops on a short or empty page.
    Offset {
        /// Offset parameter name.
        param: String,
        /// Limit parameter name.
        limit_param: String,
        /// Page size asked for.
        limit: u64,
    },
    /// Page numbers; stops on a short or empty page.
    Page {
        /// Page parameter name.
        param: String,
        /// First page number (usually 1 or 0).
        start: u64,
        /// Page size parameter name, if the API takes one.
        size_param: Option<String>,
        /// Page size asked for (also what "short page" is measured against).
        size: Option<u64>,
    },
}

/// A stop condition checked after each page.
#[derive(Debug, Clone)]
pub enum StopWhen {
    /// A JSONPath to a boolean in the body.
    Path(Path),
    /// A Jinja expression over `body`, `headers`, `records` (count) and `page` (number).
    Condition(Template),
}

/// Incremental sync settings.
#[derive(Debug, Clone)]
pub struct Incremental {
    /// Top-level record field holding the cursor (e.g. `updated_at`).
    pub cursor_field: String,
    /// How far back from the saved cursor the next run starts (for late writes).
    pub lookback: Duration,
    /// How the cursor values are written.
    pub cursor_format: CursorFormat,
}

/// How an incremental cursor is written (`incremental.cursor_format`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CursorFormat {
    /// Not named: RFC 3339, `YYYY-MM-DD[T ]HH:MM:SS[.fff]`, `YYYY-MM-DD`, or
    /// epoch seconds / milliseconds (numbers or numeric strings; a whole
    /// number of 12 or more digits is milliseconds) are recognised.
    #[default]
    Auto,
    /// `rfc3339`: RFC 3339 text with any offset.
    Rfc3339,
    /// `epoch_seconds`: seconds since 1970-01-01T00:00:00Z.
    EpochSeconds,
    /// `epoch_millis`: milliseconds since 1970-01-01T00:00:00Z.
    EpochMillis,
    /// A chrono strftime pattern, e.g. `%d.%m.%Y %H:%M:%S`.
    Pattern(String),
}

/// A child stream's parent.
#[derive(Debug, Clone)]
pub struct ForEach {
    /// The parent stream's name.
    pub stream: String,
    /// The name the parent record has in templates (`{{ contact.id }}`).
    pub alias: String,
}

/// A compiled RFC 9535 JSONPath with its source text.
#[derive(Debug, Clone)]
pub struct Path {
    /// As written in the file.
    pub source: String,
    /// Compiled.
    pub path: JsonPath,
}

impl Path {
    /// Compiles `source`.
    ///
    /// # Errors
    /// The parser's message when `source` is not a valid RFC 9535 JSONPath.
    pub fn parse(source: &str) -> Result<Self, String> {
        JsonPath::parse(source)
            .map(|path| Path {
                source: source.to_owned(),
                path,
            })
            .map_err(|e| e.to_string())
    }
}

/// A Jinja template that compiled at check time, kept as source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// As written in the file.
    pub source: String,
}

impl Template {
    /// Wraps template source text (compile it with `check` first).
    pub fn new(source: impl Into<String>) -> Self {
        Template {
            source: source.into(),
        }
    }

    /// True when the text has no template syntax and renders as itself.
    pub fn is_literal(&self) -> bool {
        !self.source.contains("{{") && !self.source.contains("{%")
    }
}

/// An inbound webhook `holdfast serve` receives.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The name under `webhooks:`.
    pub name: String,
    /// The URL path it is received on (starts with `/`).
    pub path: String,
    /// How requests are verified.
    pub verify: Verify,
    /// What identifies an event (for deduplication).
    pub event_id: EventId,
    /// Where the event's version is in the body, if events are ordered.
    pub version: Option<Path>,
    /// Where events go; the first matching rule wins.
    pub route: Vec<Route>,
    /// Largest accepted body in bytes.
    pub max_body: usize,
}

/// A webhook's signature check.
#[derive(Debug, Clone)]
pub struct Verify {
    /// The signing scheme.
    pub scheme: VerifyScheme,
    /// The secrets (templates over `env`); any may match (key rotation).
    pub secrets: Vec<Template>,
    /// Largest accepted clock difference for timestamped schemes.
    pub tolerance: Duration,
}

/// A signature scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyScheme {
    /// The Standard Webhooks spec (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
    StandardWebhooks,
    /// Stripe's `Stripe-Signature: t=…,v1=…`.
    Stripe,
    /// GitHub's `X-Hub-Signature-256: sha256=…`.
    Github,
    /// An HMAC-SHA256 of the body in a header of your choice.
    HmacSha256 {
        /// The header carrying the signature.
        header: String,
        /// How the signature is written.
        encoding: SignatureEncoding,
        /// Text before the signature (e.g. `sha256=`), possibly empty.
        prefix: String,
    },
}

/// How a signature is written in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureEncoding {
    /// Lower- or upper-case hex.
    Hex,
    /// Standard base64.
    Base64,
}

/// Where a webhook event's id comes from.
#[derive(Debug, Clone)]
pub enum EventId {
    /// A JSONPath into the body.
    Path(Path),
    /// A request header.
    Header(String),
}

/// One `route:` rule of a webhook.
#[derive(Debug, Clone)]
pub struct Route {
    /// When it applies (a Jinja condition over `body` and `headers`); `None`: always.
    pub when: Option<Template>,
    /// The stream whose table, schema and `map:` the record goes through.
    pub stream: String,
    /// Where the record is in the body.
    pub record: Path,
    /// When the event deletes the record (a Jinja condition over `body` and `headers`).
    pub delete_when: Option<Template>,
}

/// An outbound write, queued and idempotent.
#[derive(Debug, Clone)]
pub struct Action {
    /// The name under `actions:`.
    pub name: String,
    /// The connection it writes through.
    pub connection: String,
    /// The request (templates over `input` and `env`).
    pub request: ActionRequest,
    /// The `Idempotency-Key` template; `None`: a hash of the action name and input.
    pub idempotency_key: Option<Template>,
    /// Attempts before the action is dead-lettered.
    pub max_attempts: u32,
}

/// The request an action sends.
#[derive(Debug, Clone)]
pub struct ActionRequest {
    /// POST, PUT, PATCH or DELETE.
    pub method: Method,
    /// Path joined to the connection's base URL.
    pub path: Template,
    /// Query parameters; one that renders empty is not sent.
    pub params: Vec<(String, Template)>,
    /// Extra headers.
    pub headers: Vec<(String, Template)>,
    /// The JSON body: a JSON value whose strings are templates (a string
    /// that is one `{{ … }}` renders to the value's own type).
    pub json: Option<serde_json::Value>,
}

/// One rule under `alerts:`: a condition `holdfast serve` evaluates
/// continuously (firing while it holds, resolved when it clears).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    /// Where it is written, e.g. `alerts[2]` (for messages).
    pub place: String,
    /// The condition.
    pub condition: AlertCondition,
}

impl AlertRule {
    /// The rule's name as written (`no_records`, `error_rate`, …).
    pub fn name(&self) -> &'static str {
        self.condition.name()
    }
}

/// The condition of an alert rule.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertCondition {
    /// The stream brought no new or changed records for `window`.
    NoRecords {
        /// The stream.
        stream: String,
        /// How long without data.
        window: Duration,
    },
    /// The share of failed requests over `window` is above `above`.
    ErrorRate {
        /// One connection, or every connection.
        connection: Option<String>,
        /// A share, 0..1 (`5%` is 0.05).
        above: f64,
        /// The window looked at.
        window: Duration,
    },
    /// Credentials that will stop working: re-authorization needed, or a
    /// token that expires within `within` and could not be renewed.
    TokenExpiring {
        /// One connection, or every connection with tokens.
        connection: Option<String>,
        /// How long before expiry.
        within: Duration,
    },
    /// More than `above` jobs waiting or running.
    QueueDepth {
        /// The threshold.
        above: u64,
    },
    /// The remote's response shape changed within `window`.
    SchemaDrift {
        /// One stream, or every stream.
        stream: Option<String>,
        /// How long a change keeps the alert firing.
        window: Duration,
    },
    /// Every request to the connection failed for `window`.
    RemoteDown {
        /// One connection, or every connection.
        connection: Option<String>,
        /// The window looked at.
        window: Duration,
    },
    /// The remote sent `Deprecation` or `Sunset` headers within `window`.
    Deprecation {
        /// One connection, or every connection.
        connection: Option<String>,
        /// The window looked at.
        window: Duration,
    },
}

impl AlertCondition {
    /// Every rule name, as written in the file.
    pub const NAMES: [&'static str; 7] = [
        "no_records",
        "error_rate",
        "token_expiring",
        "queue_depth",
        "schema_drift",
        "remote_down",
        "deprecation",
    ];

    /// The rule's name as written (`no_records`, `error_rate`, …).
    pub fn name(&self) -> &'static str {
        match self {
            AlertCondition::NoRecords { .. } => "no_records",
            AlertCondition::ErrorRate { .. } => "error_rate",
            AlertCondition::TokenExpiring { .. } => "token_expiring",
            AlertCondition::QueueDepth { .. } => "queue_depth",
            AlertCondition::SchemaDrift { .. } => "schema_drift",
            AlertCondition::RemoteDown { .. } => "remote_down",
            AlertCondition::Deprecation { .. } => "deprecation",
        }
    }
}

/// A place alerts are delivered to.
#[derive(Debug, Clone, PartialEq)]
pub enum Notify {
    /// POST a JSON body to this URL (a template over `env` and `secret`).
    Webhook(Template),
}
