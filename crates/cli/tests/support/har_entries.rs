//! The HAR side of [`browser_har`](super): DevTools `Network.*` events
//! gathered hop by hop (a redirect chain shares one request id) and turned
//! into HAR 1.2 entries.

use std::collections::HashMap;

use base64::Engine;
use har::v1_2 as h;
use serde_json::Value;

/// One request on the wire: a request id's first request, or one hop of
/// its redirect chain.
#[derive(Debug, Default)]
pub(super) struct Hop {
    /// DevTools' request id (shared by the hops of one redirect chain).
    pub(super) id: String,
    /// Which hop of its request id (0 = the first request).
    pub(super) nth: usize,
    /// `Network.requestWillBeSent`'s params.
    pub(super) sent: Value,
    /// The CDP `Response` (from `responseReceived`, or the next hop's `redirectResponse`).
    pub(super) response: Option<Value>,
    /// When it ended (monotonic seconds): loaded, failed, or redirected.
    pub(super) end: Option<f64>,
    /// Whether it was answered with a redirect the browser followed.
    pub(super) redirected: bool,
    /// Why it failed (`loadingFailed`'s `errorText`), when it did.
    pub(super) failed: Option<String>,
    /// The body and whether it is base64, or why there is none.
    pub(super) body: Option<Result<(String, bool), String>>,
    /// Post data read with `Network.getRequestPostData`.
    pub(super) post_data: Option<String>,
}

impl Hop {
    /// The URL requested.
    pub(super) fn url(&self) -> &str {
        self.sent["request"]["url"].as_str().unwrap_or("")
    }
}

/// The network events of one capture, hop by hop.
#[derive(Debug, Default)]
pub(super) struct Recorder {
    /// Every hop, in the order the browser sent them.
    pub(super) hops: Vec<Hop>,
    /// Request id → its current hop.
    pub(super) live: HashMap<String, usize>,
    /// Request id → its `requestWillBeSentExtraInfo`s, one per hop in order.
    pub(super) sent_extra: HashMap<String, Vec<Value>>,
    /// Request id → its `responseReceivedExtraInfo`s, one per response in order.
    pub(super) received_extra: HashMap<String, Vec<Value>>,
}

impl Recorder {
    /// Takes in DevTools events (`{"method", "params"}`), in the order logged.
    pub(super) fn feed(&mut self, events: &[Value]) {
        for event in events {
            let params = &event["params"];
            let id = params["requestId"].as_str().unwrap_or_default().to_owned();
            let current = self.live.get(&id).copied();
            match event["method"].as_str().unwrap_or_default() {
                "Network.requestWillBeSent" => {
                    let url = params["request"]["url"].as_str().unwrap_or_default();
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        continue; // chrome://, data:, blob: reach no server
                    }
                    let mut nth = 0;
                    if let (Some(i), Some(redirect)) = (current, params.get("redirectResponse")) {
                        let hop = &mut self.hops[i];
                        hop.response = Some(redirect.clone());
                        hop.redirected = true;
                        hop.end = params["timestamp"].as_f64();
                        nth = hop.nth + 1;
                    }
                    self.live.insert(id.clone(), self.hops.len());
                    self.hops.push(Hop {
                        id,
                        nth,
                        sent: params.clone(),
                        ..Hop::default()
                    });
                }
                "Network.requestWillBeSentExtraInfo" => {
                    self.sent_extra.entry(id).or_default().push(params.clone());
                }
                "Network.responseReceivedExtraInfo" => {
                    self.received_extra
                        .entry(id)
                        .or_default()
                        .push(params.clone());
                }
                "Network.responseReceived" => {
                    if let Some(i) = current {
                        self.hops[i].response = Some(params["response"].clone());
                    }
                }
                "Network.loadingFinished" => {
                    if let Some(i) = current {
                        self.hops[i].end = params["timestamp"].as_f64();
                    }
                }
                "Network.loadingFailed" => {
                    if let Some(i) = current {
                        self.hops[i].end = params["timestamp"].as_f64();
                        self.hops[i].failed =
                            Some(params["errorText"].as_str().unwrap_or("failed").to_owned());
                    }
                }
                _ => {}
            }
        }
    }

    /// Whether every hop has ended (loaded, failed or redirected).
    pub(super) fn settled(&self) -> bool {
        self.hops.iter().all(|h| h.end.is_some())
    }

    /// The HAR log: one entry per hop, in the order sent.
    pub(super) fn log(&self, browser: &str) -> h::Log {
        let entries = self
            .hops
            .iter()
            .map(|hop| {
                let extra = |map: &HashMap<String, Vec<Value>>| {
                    map.get(&hop.id).and_then(|l| l.get(hop.nth)).cloned()
                };
                entry(hop, extra(&self.sent_extra), extra(&self.received_extra))
            })
            .collect();
        h::Log {
            creator: h::Creator {
                name: "holdfast tests (browser_har)".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                comment: None,
            },
            browser: Some(h::Creator {
                name: "Chromium".to_owned(),
                version: browser.to_owned(),
                comment: None,
            }),
            entries,
            ..h::Log::default()
        }
    }
}

/// One hop as a HAR entry.
fn entry(hop: &Hop, sent_extra: Option<Value>, received_extra: Option<Value>) -> h::Entries {
    let request = &hop.sent["request"];
    let response = hop.response.clone().unwrap_or(Value::Null);
    let url = request["url"].as_str().unwrap_or_default().to_owned();
    // What went on the wire (Cookie included) when DevTools saw it; else what the page asked for.
    let request_headers = headers(
        sent_extra
            .as_ref()
            .map_or(&request["headers"], |e| &e["headers"]),
    );
    let response_headers = match received_extra
        .as_ref()
        .and_then(|e| e["headersText"].as_str())
    {
        Some(raw) => raw_headers(raw),
        None => headers(
            received_extra
                .as_ref()
                .map_or(&response["headers"], |e| &e["headers"]),
        ),
    };
    let find = |list: &[h::Headers], name: &str| {
        list.iter()
            .find(|x| x.name.eq_ignore_ascii_case(name))
            .map(|x| x.value.clone())
    };
    let post_text = request["postData"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| hop.post_data.clone());
    let post_data = post_text.map(|text| {
        let mime = find(&request_headers, "content-type").unwrap_or_default();
        let params = mime
            .starts_with("application/x-www-form-urlencoded")
            .then(|| {
                url::form_urlencoded::parse(text.as_bytes())
                    .map(|(k, v)| h::Params {
                        name: k.into_owned(),
                        value: Some(v.into_owned()),
                        ..h::Params::default()
                    })
                    .collect()
            });
        h::PostData {
            mime_type: mime,
            text: Some(text),
            params,
            comment: None,
        }
    });
    let query_string = url::Url::parse(&url)
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| h::QueryString {
                    name: k.into_owned(),
                    value: v.into_owned(),
                    comment: None,
                })
                .collect()
        })
        .unwrap_or_default();
    let request_cookies = request_headers
        .iter()
        .filter(|x| x.name.eq_ignore_ascii_case("cookie"))
        .flat_map(|x| x.value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(name, value)| h::Cookies {
            name: name.to_owned(),
            value: value.to_owned(),
            ..h::Cookies::default()
        })
        .collect();
    let response_cookies = response_headers
        .iter()
        .filter(|x| x.name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|x| set_cookie(&x.value))
        .collect();
    let (text, size, encoding) = match &hop.body {
        Some(Ok((body, true))) => {
            let len = base64::engine::general_purpose::STANDARD
                .decode(body)
                .map_or(0, |b| b.len());
            (Some(body.clone()), len, Some("base64".to_owned()))
        }
        Some(Ok((body, false))) => (Some(body.clone()), body.len(), None),
        _ => (None, 0, None),
    };
    let version = match response["protocol"].as_str().unwrap_or("http/1.1") {
        "http/1.1" => "HTTP/1.1".to_owned(),
        "h2" => "HTTP/2".to_owned(),
        "h3" => "HTTP/3".to_owned(),
        other => other.to_owned(),
    };
    let (timings, time) = timings(&response["timing"], hop.end);
    let status = response["status"].as_i64().unwrap_or(0);
    let comment = match (&hop.failed, &hop.body) {
        (Some(error), _) => Some(format!("failed: {error}")),
        (None, Some(Err(why))) if !hop.redirected => Some(format!("no body: {why}")),
        _ => None,
    };
    h::Entries {
        started_date_time: started(&hop.sent),
        time,
        request: h::Request {
            method: request["method"].as_str().unwrap_or("GET").to_owned(),
            url,
            http_version: version.clone(),
            cookies: request_cookies,
            body_size: post_data
                .as_ref()
                .and_then(|p| p.text.as_ref())
                .map_or(0, |t| t.len() as i64),
            headers: request_headers,
            query_string,
            post_data,
            headers_size: -1,
            comment: None,
        },
        response: h::Response {
            status,
            status_text: response["statusText"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            http_version: version,
            cookies: response_cookies,
            redirect_url: Some(find(&response_headers, "location").unwrap_or_default()),
            content: h::Content {
                size: size as i64,
                mime_type: find(&response_headers, "content-type")
                    .or_else(|| response["mimeType"].as_str().map(str::to_owned)),
                text,
                encoding,
                ..h::Content::default()
            },
            headers: response_headers,
            headers_size: received_extra
                .as_ref()
                .and_then(|e| e["headersText"].as_str())
                .map_or(-1, |t| t.len() as i64),
            body_size: if hop.redirected { 0 } else { size as i64 },
            comment: None,
        },
        timings,
        server_ip_address: response["remoteIPAddress"].as_str().map(str::to_owned),
        connection: response["connectionId"].as_u64().map(|c| c.to_string()),
        comment,
        ..h::Entries::default()
    }
}

/// `startedDateTime`: the request's wall time, RFC 3339 in milliseconds.
fn started(sent: &Value) -> String {
    let millis = (sent["wallTime"].as_f64().unwrap_or(0.0) * 1000.0) as i64;
    chrono::DateTime::from_timestamp_millis(millis)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// HAR timings from a CDP `ResourceTiming` (milliseconds after
/// `requestTime`, -1 for phases that did not happen) and the end; the total.
fn timings(t: &Value, end: Option<f64>) -> (h::Timings, f64) {
    let at = |k: &str| t[k].as_f64().unwrap_or(-1.0);
    let span = |a: &str, b: &str| {
        if at(a) >= 0.0 && at(b) >= at(a) {
            at(b) - at(a)
        } else {
            -1.0
        }
    };
    let first = ["dnsStart", "connectStart", "sendStart"]
        .iter()
        .map(|k| at(k))
        .find(|v| *v >= 0.0);
    let headers_at = t["requestTime"]
        .as_f64()
        .map(|r| r + at("receiveHeadersEnd") / 1000.0);
    let receive = match (end, headers_at) {
        (Some(end), Some(h)) if end >= h => (end - h) * 1000.0,
        _ => 0.0,
    };
    let timings = h::Timings {
        blocked: Some(first.unwrap_or(-1.0)),
        dns: Some(span("dnsStart", "dnsEnd")),
        connect: Some(span("connectStart", "connectEnd")),
        ssl: Some(span("sslStart", "sslEnd")),
        send: span("sendStart", "sendEnd").max(0.0),
        wait: span("sendEnd", "receiveHeadersEnd").max(0.0),
        receive,
        comment: None,
    };
    let phases = [timings.blocked, timings.dns, timings.connect]
        .into_iter()
        .flatten();
    let total = phases.filter(|v| *v > 0.0).sum::<f64>() + timings.send + timings.wait + receive;
    (timings, total)
}

/// A CDP `Headers` object as HAR headers; values Chrome joined with `\n`
/// (repeated headers such as `Set-Cookie`) come apart again.
fn headers(map: &Value) -> Vec<h::Headers> {
    let Some(map) = map.as_object() else {
        return Vec::new();
    };
    map.iter()
        .flat_map(|(name, value)| {
            let value = value.as_str().unwrap_or_default();
            value.split('\n').map(move |v| h::Headers {
                name: name.clone(),
                value: v.to_owned(),
                comment: None,
            })
        })
        .collect()
}

/// The header lines of a raw HTTP/1.1 response head, in order.
fn raw_headers(raw: &str) -> Vec<h::Headers> {
    raw.lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| h::Headers {
            name: name.trim().to_owned(),
            value: value.trim().to_owned(),
            comment: None,
        })
        .collect()
}

/// A `Set-Cookie` value as a HAR cookie.
fn set_cookie(value: &str) -> Option<h::Cookies> {
    let mut parts = value.split(';');
    let (name, value) = parts.next()?.trim().split_once('=')?;
    let mut cookie = h::Cookies {
        name: name.to_owned(),
        value: value.to_owned(),
        ..h::Cookies::default()
    };
    for attr in parts {
        let (key, val) = attr.trim().split_once('=').unwrap_or((attr.trim(), ""));
        match key.to_ascii_lowercase().as_str() {
            "path" => cookie.path = Some(val.to_owned()),
            "domain" => cookie.domain = Some(val.to_owned()),
            "expires" => cookie.expires = Some(val.to_owned()),
            "httponly" => cookie.http_only = Some(true),
            "secure" => cookie.secure = Some(true),
            _ => {}
        }
    }
    Some(cookie)
}
