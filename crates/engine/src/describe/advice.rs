//! What to do about each failure mode: a fixed table per error class of the
//! request log, and per kind of drift.

/// What an error class of the request log means and what to do about it.
pub(super) fn error_class(class: &str) -> &'static str {
    match class {
        "status_429" => {
            "The API's rate limit was hit; holdfast waited as `Retry-After` asked and retried. \
             If it recurs, set or lower the connection's `rate_limit:` below the API's quota, \
             run fewer streams at once, or add `jitter` to `schedule:`."
        }
        "status_5xx" => {
            "The remote failed (500/502/503/504); retried with backoff, and the breaker opens if \
             it persists. Check the API's status page; for a flaky API raise `retry.attempts` or \
             `retry.max_wait`. Nothing to fix locally while the runs still succeed."
        }
        "status_4xx" => {
            "The API refused the request (bad parameter, missing permission, gone endpoint); not \
             retried. Read the message (`holdfast runs --requests RUN`), then fix `request:` / \
             `params:` or the credentials' permissions."
        }
        "timeout" => {
            "No complete answer within the connection's `timeout:`. Raise `timeout:`, ask for \
             smaller pages (`limit`), or check the remote's latency (p95 above)."
        }
        "connect" => {
            "The connection could not be made or was dropped. Check DNS, firewall and proxy \
             towards the base URL, and the remote's status; retried with backoff."
        }
        "body" => {
            "The answer was cut off before its end (a dropped connection mid-body); retried. If \
             it persists, ask for smaller pages or check a proxy in between."
        }
        "not_json" => {
            "A 2xx answer that was not the JSON expected (an HTML login or maintenance page, an \
             empty body). Check the base URL and the credentials (a login page means auth failed \
             quietly); if the API signals errors in the body, add an `errors:` rule."
        }
        "rule" => {
            "An `errors:` rule matched (a success status with an error body). Read the message; \
             change the rule's `action:` (retry | fail | skip) if this one should be handled \
             differently."
        }
        "breaker_open" => {
            "The circuit breaker was open after repeated remote failures, so requests failed \
             fast. Fix the cause shown by the other classes; the breaker probes again after \
             `cool_down`."
        }
        "request" => {
            "The request could not be built (a bad URL, header or rendered template). Run \
             `holdfast check` and look at the templates of `request:`."
        }
        "auth" => {
            "Credentials could not be obtained (the token endpoint refused them, re-authorization \
             is needed, or the login failed). `holdfast status` shows the token's state; after \
             `invalid_grant` set a new refresh token with `holdfast secrets set NAME`; check the \
             client id and secret."
        }
        "session_expired" => {
            "The portal session expired; holdfast logged in again once and retried. If it is \
             frequent, check `expired_status` / `expired_when` and the portal's session length."
        }
        "refused" => {
            "A URL handed over by the API (a next link, a redirect) left the connection's origin \
             and was not sent. If the host is legitimate (e.g. a file CDN), add it to \
             `allowed_hosts:`; otherwise the protection worked."
        }
        "too_large" => {
            "A body was larger than `max_response:`. Ask for smaller pages, or raise \
             `max_response:` if the size is expected."
        }
        _ => {
            "An error class this holdfast has no advice for: read the messages with \
              `holdfast runs --requests RUN`."
        }
    }
}

/// What a kind of drift means and what to do about it.
pub(super) fn drift_kind(kind: &str) -> &'static str {
    match kind {
        "field_added" => {
            "A new field upstream. Accepted under `contract: evolve`; add it to `map:` or the \
             schema if you need it. Under `contract: freeze` such records are invalid: update \
             the schema."
        }
        "field_removed" => {
            "A field every record had is gone. Check the `map:` paths and schema that rely on it \
             (`holdfast check --sample STREAM`) and whether the vendor deprecated it."
        }
        "type_changed" => {
            "A field changed type. Update the schema and the `map:` column's `type:`; look at \
             `holdfast quarantine` for records it made invalid."
        }
        "became_nullable" => {
            "A field now comes as `null`. Allow null in the schema, or give the `map:` column a \
             `default:`."
        }
        "page_size_capped" => {
            "The API returned fewer records than asked while saying more follow: it caps the \
             page size. Lower the page size (`limit`) to the cap."
        }
        "map_empty" => {
            "A `map:` path matched nothing in any record read: the field moved or was renamed. \
             Fix the path (`holdfast check --sample STREAM` shows the first page)."
        }
        _ => {
            "See `holdfast drift` for the change and decide whether the schema or `map:` \
              must follow it."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_the_http_layer_logs_has_its_own_advice() {
        let unknown = error_class("no_such_class");
        for class in [
            "status_429",
            "status_5xx",
            "status_4xx",
            "timeout",
            "connect",
            "body",
            "not_json",
            "rule",
            "breaker_open",
            "request",
            "auth",
            "session_expired",
            "refused",
            "too_large",
        ] {
            assert_ne!(error_class(class), unknown, "{class}");
        }
        assert_ne!(drift_kind("type_changed"), drift_kind("no_such_kind"));
    }
}
