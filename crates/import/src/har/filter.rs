//! Which captured calls are the app's own: static assets, analytics,
//! preflights, failed requests and third-party hosts are dropped, and each
//! drop is counted so the report can list it.

use std::collections::BTreeMap;

use super::capture::Call;

/// Why a call was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dropped {
    /// A script, style sheet, image, font or media file.
    Asset,
    /// An analytics, tracking or monitoring call.
    Analytics,
    /// A host other than the app's (keep it with `--keep-host`).
    ThirdParty,
    /// A CORS preflight (`OPTIONS`).
    Preflight,
    /// No answer in the capture (failed, blocked or cancelled).
    NoAnswer,
}

impl Dropped {
    /// How the report names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Dropped::Asset => "static asset",
            Dropped::Analytics => "analytics",
            Dropped::ThirdParty => "third-party host",
            Dropped::Preflight => "CORS preflight",
            Dropped::NoAnswer => "no answer",
        }
    }
}

/// The outcome of filtering: the calls kept, and per host what was dropped.
#[derive(Debug, Default)]
pub struct Filtered {
    /// The app's calls, in capture order.
    pub kept: Vec<Call>,
    /// The app's host (the one whose calls are kept).
    pub host: String,
    /// Per host and reason, how many calls were dropped.
    pub dropped: BTreeMap<(String, Dropped), usize>,
}

const ASSET_EXTENSIONS: &[&str] = &[
    "js", "mjs", "css", "map", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp", "avif", "bmp",
    "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "wav", "ogg", "wasm",
];

const ANALYTICS_HOSTS: &[&str] = &[
    "google-analytics.com",
    "googletagmanager.com",
    "doubleclick.net",
    "segment.io",
    "segment.com",
    "mixpanel.com",
    "hotjar.com",
    "sentry.io",
    "amplitude.com",
    "facebook.net",
    "facebook.com",
    "intercom.io",
    "fullstory.com",
    "newrelic.com",
    "nr-data.net",
    "datadoghq.com",
    "browser-intake-datadoghq.com",
    "clarity.ms",
    "plausible.io",
    "heap.io",
    "heapanalytics.com",
    "posthog.com",
    "launchdarkly.com",
];

const ANALYTICS_PATHS: &[&str] = &[
    "/collect",
    "/track",
    "/beacon",
    "/analytics",
    "/pixel",
    "/telemetry",
    "/rum",
    "/log/event",
];

/// Drops what is not the app's own API or pages. The app's host is the one
/// with the most JSON answers (ties: the first page's host); `keep` names
/// hosts to keep as well.
pub fn filter(calls: Vec<Call>, keep: &[String]) -> Filtered {
    let mut out = Filtered::default();
    let mut candidates = Vec::new();
    for call in calls {
        let reason = if call.status == 0 {
            Some(Dropped::NoAnswer)
        } else if call.method == "OPTIONS" {
            Some(Dropped::Preflight)
        } else if is_analytics(&call) {
            Some(Dropped::Analytics)
        } else if is_asset(&call) {
            Some(Dropped::Asset)
        } else {
            None
        };
        match reason {
            Some(r) => *out.dropped.entry((call.host().to_owned(), r)).or_default() += 1,
            None => candidates.push(call),
        }
    }
    out.host = main_host(&candidates);
    for call in candidates {
        let host = call.host().to_owned();
        if host == out.host || keep.iter().any(|k| k.eq_ignore_ascii_case(&host)) {
            out.kept.push(call);
        } else {
            *out.dropped.entry((host, Dropped::ThirdParty)).or_default() += 1;
        }
    }
    out
}

fn main_host(calls: &[Call]) -> String {
    let mut json: BTreeMap<&str, usize> = BTreeMap::new();
    for c in calls.iter().filter(|c| c.json.is_some()) {
        *json.entry(c.host()).or_default() += 1;
    }
    let first_page = calls
        .iter()
        .find(|c| c.is_html())
        .or(calls.first())
        .map(|c| c.host().to_owned())
        .unwrap_or_default();
    let best = json.values().copied().max().unwrap_or(0);
    if json.get(first_page.as_str()) == Some(&best) || best == 0 {
        return first_page;
    }
    json.iter()
        .find(|(_, n)| **n == best)
        .map(|(h, _)| (*h).to_owned())
        .unwrap_or(first_page)
}

fn is_asset(call: &Call) -> bool {
    let mime = call.mime.as_str();
    let asset_mime = mime.starts_with("image/")
        || mime.starts_with("font/")
        || mime.starts_with("video/")
        || mime.starts_with("audio/")
        || mime == "text/css"
        || mime.contains("javascript")
        || mime == "application/wasm"
        || mime.starts_with("application/font")
        || mime == "application/vnd.ms-fontobject";
    let path = call.url.path().to_ascii_lowercase();
    let ext = path
        .rsplit('/')
        .next()
        .and_then(|last| last.rsplit_once('.'))
        .map(|(_, ext)| ext.to_owned());
    asset_mime || ext.is_some_and(|e| ASSET_EXTENSIONS.contains(&e.as_str()))
}

fn is_analytics(call: &Call) -> bool {
    let host = call.host().to_ascii_lowercase();
    let path = call.url.path().to_ascii_lowercase();
    ANALYTICS_HOSTS
        .iter()
        .any(|h| host == *h || host.ends_with(&format!(".{h}")))
        || ANALYTICS_PATHS
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}/")) || path.ends_with(p))
}
