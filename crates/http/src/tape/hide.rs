//! What a cassette hides: credentials in headers, cookies, query values and
//! bodies — the logs' redaction ([`Redactor`]) plus the names that carry
//! secrets whatever their value.

use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use super::Exchange;
use crate::{HttpRequest, REDACTED, Redactor};

/// `body` with known secret values hidden and, when it is JSON or a form,
/// the values of members named like credentials (`access_token`,
/// `password`, `client_secret`, …) replaced by `REDACTED`. A body with
/// nothing to hide is returned as it was, byte for byte.
pub fn hide_body(body: &str, redactor: &Redactor) -> String {
    let text = redactor.text(body);
    if let Ok(mut value) = serde_json::from_str::<Value>(&text) {
        if hide_members(&mut value) {
            return value.to_string();
        }
        return text;
    }
    if looks_like_form(&text) {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(text.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if pairs.iter().any(|(k, _)| sensitive_member(k)) {
            let mut out = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                out.append_pair(k, if sensitive_member(k) { REDACTED } else { v });
            }
            return out.finish();
        }
    }
    text
}

/// The exchange as a cassette keeps it.
pub(super) fn exchange(
    connection: &str,
    request: &HttpRequest,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: Bytes,
    elapsed: Duration,
    redactor: &Redactor,
) -> Exchange {
    let request_headers = request
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), header_value(k, v, redactor)))
        .collect();
    let response_headers = headers
        .iter()
        .map(|(k, v)| {
            let v = String::from_utf8_lossy(v.as_bytes());
            (
                k.as_str().to_owned(),
                header_value(k.as_str(), &v, redactor),
            )
        })
        .collect();
    let body = match std::str::from_utf8(&body) {
        Ok(text) => Bytes::from(hide_body(text, redactor)),
        Err(_) => body,
    };
    Exchange {
        connection: connection.to_owned(),
        stream: request.tags.stream.clone(),
        started: chrono::Utc::now()
            - chrono::Duration::from_std(elapsed).unwrap_or_else(|_| chrono::Duration::zero()),
        method: request.method.as_str().to_owned(),
        url: redactor.url(&request.url),
        request_headers,
        request_body: request
            .body
            .as_ref()
            .map(|b| hide_body(&String::from_utf8_lossy(b), redactor)),
        status,
        response_headers,
        body,
        elapsed,
    }
}

/// Header names whose values are credentials whatever they hold.
const SECRET_HEADER_PARTS: [&str; 10] = [
    "auth",
    "token",
    "secret",
    "password",
    "key",
    "cookie",
    "session",
    "signature",
    "credential",
    "csrf",
];

/// Body members whose values are credentials whatever they hold.
const SECRET_MEMBERS: [&str; 15] = [
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "auth_token",
    "session_token",
    "session_id",
    "sessionid",
    "client_secret",
    "secret",
    "password",
    "passwd",
    "api_key",
    "apikey",
    "private_key",
];

fn header_value(name: &str, value: &str, redactor: &Redactor) -> String {
    let lower = name.to_ascii_lowercase();
    if lower == "set-cookie" {
        // Keep the cookie's name and attributes, not its value.
        let (pair, rest) = value.split_once(';').unwrap_or((value, ""));
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        return if rest.is_empty() {
            format!("{name}={REDACTED}")
        } else {
            format!("{name}={REDACTED};{rest}")
        };
    }
    if SECRET_HEADER_PARTS.iter().any(|p| lower.contains(p)) {
        return REDACTED.to_owned();
    }
    redactor.text(value)
}

fn sensitive_member(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace('-', "_");
    SECRET_MEMBERS.contains(&name.as_str())
}

/// Hides credential-named members anywhere in `value`; true if any was.
fn hide_members(value: &mut Value) -> bool {
    match value {
        Value::Object(map) => {
            let mut hid = false;
            for (k, v) in map.iter_mut() {
                if sensitive_member(k) && !v.is_null() && !v.is_object() && !v.is_array() {
                    *v = Value::String(REDACTED.to_owned());
                    hid = true;
                } else {
                    hid |= hide_members(v);
                }
            }
            hid
        }
        Value::Array(items) => items.iter_mut().fold(false, |h, v| hide_members(v) | h),
        _ => false,
    }
}

fn looks_like_form(text: &str) -> bool {
    !text.is_empty()
        && text.contains('=')
        && !text.contains(char::is_whitespace)
        && !text.starts_with('<')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_lose_credentials_and_keep_the_rest() {
        let r = Redactor::new(["s3cr3t-value".to_owned()], []);
        let json = r#"{"access_token":"abc","data":[{"id":1,"note":"s3cr3t-value"}]}"#;
        let hidden = hide_body(json, &r);
        assert!(
            !hidden.contains("abc") && !hidden.contains("s3cr3t-value"),
            "{hidden}"
        );
        assert!(hidden.contains(r#""id":1"#), "{hidden}");
        let plain = r#"{ "data": [ {"id": 1} ] }"#;
        assert_eq!(hide_body(plain, &r), plain, "nothing to hide: unchanged");
        let form = "grant_type=password&username=ada&password=pw1234";
        assert_eq!(
            hide_body(form, &r),
            "grant_type=password&username=ada&password=REDACTED"
        );
    }

    #[test]
    fn headers_lose_credentials_and_cookie_values() {
        let r = Redactor::default();
        assert_eq!(header_value("Authorization", "Bearer x", &r), REDACTED);
        assert_eq!(header_value("X-Api-Key", "k", &r), REDACTED);
        assert_eq!(
            header_value("set-cookie", "sid=abc; Path=/; HttpOnly", &r),
            "sid=REDACTED; Path=/; HttpOnly"
        );
        assert_eq!(
            header_value("content-type", "application/json", &r),
            "application/json"
        );
    }
}
