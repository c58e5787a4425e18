//! Hand-made HAR captures for the importer's tests: one entry at a time,
//! written as a browser's network panel writes them.
#![allow(dead_code)]

use holdfast_import::HarOptions;
use serde_json::{Value, json};

/// One HAR entry; `body` is the answer's text.
pub struct E {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub form: Option<Vec<(&'static str, String)>>,
    pub status: u16,
    pub response_headers: Vec<(&'static str, String)>,
    pub mime: &'static str,
    pub body: String,
}

pub const BASE: &str = "https://portal.example.com";

pub fn get(path: &str) -> E {
    E {
        method: "GET",
        url: format!("{BASE}{path}"),
        headers: vec![
            ("Accept", "*/*".into()),
            ("User-Agent", "Mozilla/5.0".into()),
        ],
        form: None,
        status: 200,
        response_headers: Vec::new(),
        mime: "application/json",
        body: String::new(),
    }
}

impl E {
    pub fn json(mut self, v: Value) -> E {
        self.body = v.to_string();
        self.mime = "application/json";
        self
    }
    pub fn html(mut self, html: &str) -> E {
        self.body = html.to_owned();
        self.mime = "text/html";
        self
    }
    pub fn header(mut self, name: &'static str, value: &str) -> E {
        self.headers.push((name, value.to_owned()));
        self
    }
    pub fn answer_header(mut self, name: &'static str, value: &str) -> E {
        self.response_headers.push((name, value.to_owned()));
        self
    }
    pub fn post_form(mut self, fields: &[(&'static str, &str)]) -> E {
        self.method = "POST";
        self.form = Some(fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect());
        self
    }
    pub fn status(mut self, status: u16) -> E {
        self.status = status;
        self
    }

    fn to_har(&self) -> Value {
        let url = url::Url::parse(&self.url).expect("url");
        let query: Vec<Value> = url
            .query_pairs()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        let headers: Vec<Value> = self
            .headers
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        let cookies: Vec<Value> = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, v)| {
                v.split("; ")
                    .map(|kv| kv.split_once('=').expect("k=v"))
                    .collect::<Vec<_>>()
            })
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        let response_headers: Vec<Value> = self
            .response_headers
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        let mut request = json!({
            "method": self.method, "url": self.url, "httpVersion": "HTTP/1.1",
            "cookies": cookies, "headers": headers, "queryString": query,
            "headersSize": -1, "bodySize": -1
        });
        if let Some(form) = &self.form {
            let text = form
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&");
            request["postData"] = json!({
                "mimeType": "application/x-www-form-urlencoded",
                "text": text,
                "params": form.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>()
            });
        }
        json!({
            "startedDateTime": "2026-12-04T08:00:00.000Z", "time": 12.0,
            "request": request,
            "response": {
                "status": self.status, "statusText": "", "httpVersion": "HTTP/1.1",
                "cookies": [], "headers": response_headers,
                "content": {"size": self.body.len(), "mimeType": self.mime, "text": self.body},
                "redirectURL": "", "headersSize": -1, "bodySize": -1
            },
            "cache": {}, "timings": {"send": 0, "wait": 10, "receive": 2}
        })
    }
}

pub fn har(entries: &[E]) -> Vec<u8> {
    let doc = json!({"log": {
        "version": "1.2", "creator": {"name": "test", "version": "1"},
        "entries": entries.iter().map(E::to_har).collect::<Vec<_>>()
    }});
    serde_json::to_vec(&doc).expect("json")
}

/// The pages of one list, each answer built by `body(n)` for page `n`.
pub fn pages(urls: &[&str], body: impl Fn(usize) -> Value) -> Vec<E> {
    urls.iter()
        .enumerate()
        .map(|(n, u)| get(u).json(body(n)))
        .collect()
}

/// Options naming the file `capture.har`.
pub fn options() -> HarOptions {
    HarOptions {
        source_name: "capture.har".into(),
        ..HarOptions::default()
    }
}
