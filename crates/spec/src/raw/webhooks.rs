//! Inbound webhooks and outbound actions, as typed in the file.

use serde::Deserialize;

use super::{Entries, Scalar, Strings};

/// One inbound webhook: where it is received, how it is verified, and where
/// its events go.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a webhook (a mapping with `path:`, `verify:` and `route:`)"
)]
pub(crate) struct RawWebhook {
    /// Required. The URL path `holdfast serve` receives it on, e.g.
    /// `/hooks/crm`. Starts with `/`; unique; not under `/api/`,
    /// `/metrics` or `/healthz`.
    pub(crate) path: Option<String>,
    /// Required. How a request proves it comes from the vendor, e.g.
    /// `{ scheme: standard_webhooks, secret: "{{ env.CRM_WEBHOOK_SECRET }}", tolerance: 5m }`.
    pub(crate) verify: Option<RawVerify>,
    /// What identifies an event, so a redelivery is applied once: a JSONPath
    /// into the body (`"$.id"`) or `header:NAME` (`header:X-GitHub-Delivery`).
    /// Default: the `webhook-id` header for `standard_webhooks`,
    /// `X-GitHub-Delivery` for `github`, `$.id` for `stripe`; required for
    /// `hmac_sha256`. A header the signature does not cover (every one but
    /// `webhook-id` of `standard_webhooks`) could be changed by whoever
    /// replays a captured request, so such events are deduplicated by the
    /// SHA-256 of their signed body instead: the same body is one event.
    pub(crate) event_id: Option<String>,
    /// A JSONPath to the event's version (a timestamp or a number), e.g.
    /// `"$.data.updated_at"`: an event older than what is stored is not
    /// applied, so out-of-order delivery never goes back in time. Numbers
    /// compare as numbers, timestamps as times; an event whose version is
    /// neither, or of another kind than the stored record's, is
    /// dead-lettered.
    /// Default: none (events apply in the order they are processed).
    pub(crate) version: Option<String>,
    /// Required. Where events go, checked in order; the first whose `when`
    /// holds is used. An event no rule matches is acknowledged and ignored.
    pub(crate) route: Option<Vec<RawRoute>>,
    /// Largest accepted request body, e.g. `1mb`, `256kb` or a number of
    /// bytes. Default `1mb`; bigger requests get 413.
    pub(crate) max_body: Option<Scalar>,
}

/// `verify:` a signature scheme and its secret(s).
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `scheme:` and `secret:`"
)]
pub(crate) struct RawVerify {
    /// Required. `standard_webhooks`, `stripe`, `github` or `hmac_sha256`.
    pub(crate) scheme: Option<String>,
    /// Required. The signing secret (a template over `env`), or a list of
    /// them while a key is rotated (any may match).
    pub(crate) secret: Option<Strings>,
    /// Largest accepted clock difference for timestamped schemes
    /// (`standard_webhooks`, `stripe`): older requests are replays. Default `5m`.
    pub(crate) tolerance: Option<Scalar>,
    /// `hmac_sha256` only, required: the header carrying the signature.
    pub(crate) header: Option<String>,
    /// `hmac_sha256` only: `hex` (default) or `base64`.
    pub(crate) encoding: Option<String>,
    /// `hmac_sha256` only: text before the signature in the header, e.g.
    /// `"sha256="`. Default: none.
    pub(crate) prefix: Option<String>,
}

/// One `route:` rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a route (a mapping with `stream:`)")]
pub(crate) struct RawRoute {
    /// A Jinja condition over `body` and `headers`, without braces, e.g.
    /// `"body.type is startingwith('contact.')"`. Default: always.
    pub(crate) when: Option<String>,
    /// Required. The stream whose table (and schema and `map:`) the record
    /// goes through.
    pub(crate) stream: Option<String>,
    /// A JSONPath to the record in the body, e.g. `"$.data"`. Default `$`
    /// (the whole body).
    pub(crate) record: Option<String>,
    /// A Jinja condition over `body` and `headers`: when it holds the event
    /// deletes the record (a tombstone, so a late update cannot bring it
    /// back), e.g. `"body.type == 'contact.deleted'"`.
    pub(crate) delete_when: Option<String>,
}

/// One outbound action: a write to a remote API, queued and idempotent.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an action (a mapping with `connection:` and `request:`)"
)]
pub(crate) struct RawAction {
    /// Required. The connection it writes through (its auth, rate limit and
    /// retries apply).
    pub(crate) connection: Option<String>,
    /// Required. The request, e.g.
    /// `{ method: POST, path: /v2/notes, json: "{{ input }}" }`.
    pub(crate) request: Option<RawActionRequest>,
    /// A template over `input` whose value is sent as `Idempotency-Key` and
    /// deduplicates the action: the same key enqueued twice is one remote
    /// effect. Default: a hash of the action name and its input.
    pub(crate) idempotency_key: Option<String>,
    /// Attempts before the action is dead-lettered. Default 5.
    pub(crate) max_attempts: Option<Scalar>,
}

/// An action's request. Templates read `input` (the action's input JSON) and `env`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a request (a mapping with `path:`)")]
pub(crate) struct RawActionRequest {
    /// `POST` (default), `PUT`, `PATCH` or `DELETE`.
    pub(crate) method: Option<String>,
    /// Required. Joined to the connection's `base_url`, e.g.
    /// `"/v2/contacts/{{ input.id }}"`.
    pub(crate) path: Option<String>,
    /// Query parameters; one that renders empty is not sent.
    #[serde(default)]
    pub(crate) params: Entries<Scalar>,
    /// Extra headers.
    #[serde(default)]
    pub(crate) headers: Entries<Scalar>,
    /// The JSON body: `"{{ input }}"` (the input as it is), or a mapping
    /// whose string values are templates; a value that is one `{{ … }}`
    /// keeps its type (`amount: "{{ input.amount }}"` stays a number).
    pub(crate) json: Option<yaml_serde::Value>,
}
