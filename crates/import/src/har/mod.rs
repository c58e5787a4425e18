//! `holdfast import har`: a browser capture of a web app → a connector.
//!
//! 1. [`capture`] reads the HAR; [`filter`] drops assets, analytics and
//!    third-party hosts.
//! 2. [`trace`] finds where every value a request sends came from.
//! 3. [`template`] groups calls into endpoints, confirming each path
//!    parameter across calls.
//! 4. [`login`] finds the requests that open the session (the producers of
//!    the cookies and headers the data calls send); [`streams`] turns the
//!    other JSON endpoints into streams, with [`paginate`] and child streams
//!    for detail calls.
//! 5. [`graph`] is the dependency graph, for people.

pub mod capture;
pub mod filter;
pub mod graph;
pub mod login;
pub mod paginate;
pub mod streams;
pub mod template;
pub mod trace;

use std::collections::BTreeSet;

use thiserror::Error;

use crate::draft::{Connection, Draft};
use capture::Call;
pub use graph::{Graph, GraphFormat};
use template::Template;
use trace::Sent;

/// What `import har` is told.
#[derive(Debug, Clone, Default)]
pub struct HarOptions {
    /// Where the capture came from, for the file's header.
    pub source_name: String,
    /// Hosts to keep besides the app's own.
    pub keep_hosts: Vec<String>,
    /// The connection's name (default: from the host).
    pub connection: Option<String>,
}

/// What `import har` found: the connector, the graph and the report.
#[derive(Debug, Clone)]
pub struct HarImport {
    /// The connector to write.
    pub draft: Draft,
    /// The connector file's text (`draft` written, credentials checked out).
    pub text: String,
    /// The request dependency graph.
    pub graph: Graph,
    /// What was kept, dropped, guessed and left to the user, line by line.
    pub report: Vec<String>,
}

/// Why a capture could not be imported.
#[derive(Debug, Error)]
pub enum HarError {
    /// Not a HAR document.
    #[error(
        "not a HAR 1.2 document: {0} (export it from the browser's network panel: \"Save all as HAR\")"
    )]
    NotHar(String),
    /// An entry that cannot be read.
    #[error("entry {entry}: {message}")]
    Entry {
        /// Its 0-based index in `log.entries`.
        entry: usize,
        /// What is wrong.
        message: String,
    },
    /// Nothing left to import.
    #[error("{0}")]
    Nothing(String),
}

/// Everything the later steps read.
pub(crate) struct Analysis {
    pub calls: Vec<Call>,
    pub sent: Vec<Sent>,
    pub templates: Vec<Template>,
    pub of_call: Vec<usize>,
    /// The connection's origin: the app's host's (`scheme://host:port`).
    pub origin: String,
}

impl Analysis {
    /// The template of a call.
    pub fn template_of(&self, call: usize) -> &Template {
        &self.templates[self.of_call[call]]
    }

    /// The values call `i` sends (`sent` is in call order).
    pub fn sent_by(&self, i: usize) -> impl Iterator<Item = &Sent> {
        let start = self.sent.partition_point(|s| s.call < i);
        self.sent[start..].iter().take_while(move |s| s.call == i)
    }
}

/// Imports a capture.
pub fn import_har(bytes: &[u8], options: &HarOptions) -> Result<HarImport, HarError> {
    let all = capture::read(bytes)?;
    let total = all.len();
    let filtered = filter::filter(all, &options.keep_hosts);
    let mut report = vec![format!(
        "{total} entries: kept {} on {} and {}",
        filtered.kept.len(),
        filtered.host,
        if options.keep_hosts.is_empty() {
            "no other host".to_owned()
        } else {
            options.keep_hosts.join(", ")
        }
    )];
    for ((host, why), n) in &filtered.dropped {
        report.push(format!("dropped {n} × {} ({host})", why.as_str()));
    }
    let third: BTreeSet<&String> = filtered
        .dropped
        .keys()
        .filter(|(_, w)| *w == filter::Dropped::ThirdParty)
        .map(|(h, _)| h)
        .collect();
    if !third.is_empty() {
        report.push(format!(
            "to keep a third-party host, add --keep-host {}",
            third
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(" --keep-host ")
        ));
    }
    let bodiless = filtered
        .kept
        .iter()
        .filter(|c| c.mime.contains("json") && !c.has_body)
        .count();
    if bodiless > 0 && filtered.kept.iter().all(|c| c.json.is_none()) {
        return Err(HarError::Nothing(format!(
            "{bodiless} JSON answer(s) from `{}` have no body in the capture: export the HAR with content (Chrome: \"Save all as HAR with content\"; not the sanitized export)",
            filtered.host
        )));
    }
    if filtered.kept.iter().all(|c| c.json.is_none()) {
        return Err(HarError::Nothing(format!(
            "no JSON answers from the app's host `{}` in the capture ({total} entries): capture the pages that load the data (with the browser's network panel open from the login on)",
            filtered.host
        )));
    }
    let calls = filtered.kept;
    let sent = trace::trace(&calls);
    let (templates, of_call) = template::templates(&calls, &sent);
    let origin = calls
        .iter()
        .find(|c| c.host() == filtered.host && c.json.is_some())
        .or(calls.first())
        .map(Call::origin)
        .unwrap_or_default();
    let analysis = Analysis {
        calls,
        sent,
        templates,
        of_call,
        origin,
    };
    let base = analysis.origin.clone();
    let conn_name = options
        .connection
        .clone()
        .unwrap_or_else(|| connection_name(&filtered.host));
    let mut draft = Draft::default();
    let login = login::login(&analysis, &conn_name, &mut draft);
    report.extend(login.report.iter().cloned());
    let streams = streams::streams(&analysis, &conn_name, &login, &mut draft);
    report.extend(streams.report);
    if draft.streams.is_empty() {
        return Err(HarError::Nothing(format!(
            "no list endpoint found among {} endpoints of `{}`: {}",
            analysis.templates.len(),
            filtered.host,
            analysis
                .templates
                .iter()
                .map(Template::label)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    draft.connections.push(Connection {
        name: conn_name.clone(),
        base_url: base.clone(),
        base_url_note: "the origin of the captured calls: point it at another environment here"
            .into(),
        headers: login.connection_headers.clone(),
        auth: login.auth.clone(),
        auth_note: login.auth_note.clone(),
    });
    draft.header = vec![
        format!(
            "Imported by `holdfast import har` from {} ({total} entries, {} endpoints kept).",
            options.source_name,
            analysis.templates.len()
        ),
        "Every guess has a comment saying what was guessed and from what: read them, then run"
            .into(),
        "`holdfast check` and `holdfast sync`.".into(),
    ];
    let graph = graph(&analysis, &login);
    let sensitive = sensitive_values(&analysis, &login);
    Ok(guard(
        HarImport {
            text: draft.to_yaml(),
            draft,
            graph,
            report,
        },
        &sensitive,
    ))
}

fn connection_name(host: &str) -> String {
    let first = host.split('.').next().unwrap_or("");
    if host.parse::<std::net::IpAddr>().is_ok()
        || first.is_empty()
        || matches!(first, "www" | "localhost" | "api" | "app")
    {
        let second = host
            .split('.')
            .nth(1)
            .filter(|_| host.split('.').count() > 2);
        match second {
            Some(s) if host.parse::<std::net::IpAddr>().is_err() => {
                crate::names::identifier(s, "app")
            }
            _ => "app".into(),
        }
    } else {
        crate::names::identifier(first, "app")
    }
}

fn graph(a: &Analysis, login: &login::Login) -> Graph {
    let mut g = Graph::default();
    for t in &a.templates {
        g.node(&t.label());
    }
    for s in &a.sent {
        let to = g.node(&a.template_of(s.call).label());
        match &s.origin {
            Some(o) => {
                let from = g.node(&a.template_of(o.call).label());
                g.edge(
                    from,
                    to,
                    format!("{} ← {}", s.place.describe(), o.source.describe()),
                );
            }
            None => {
                if let Some(input) = login
                    .inputs
                    .iter()
                    .find(|i| i.0 == s.call && i.1 == s.place)
                {
                    let from = g.node(&format!("input: {}", input.2));
                    g.edge(from, to, s.place.describe());
                }
            }
        }
    }
    g
}

/// Values that must not reach any output: cookies, credentials, tokens.
fn sensitive_values(a: &Analysis, login: &login::Login) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for c in &a.calls {
        out.extend(c.cookies.iter().map(|(_, v)| v.clone()));
        out.extend(c.set_cookies.iter().map(|(_, v)| v.clone()));
        for (name, value) in &c.headers {
            if login::is_secret_name(name) {
                out.insert(value.clone());
                if let Some((_, token)) = value.split_once(' ') {
                    out.insert(token.trim().to_owned());
                }
            }
        }
    }
    for s in &a.sent {
        if login::is_secret_name(&s.place.name()) || login.secret_values.contains(&s.value) {
            out.insert(s.value.clone());
        }
    }
    out.extend(login.secret_values.iter().cloned());
    out.retain(|v| v.chars().count() >= 4);
    out
}

/// Replaces any sensitive value left in the output (it never should be).
fn guard(mut import: HarImport, sensitive: &BTreeSet<String>) -> HarImport {
    let graph = import.graph.render(GraphFormat::Text);
    let leaked: Vec<&String> = sensitive
        .iter()
        .filter(|v| import.text.contains(v.as_str()) || graph.contains(v.as_str()))
        .collect();
    if !leaked.is_empty() {
        import.report.push(format!(
            "warning: {} captured credential value(s) appeared in the output and were replaced by REDACTED: check the file",
            leaked.len()
        ));
        for v in &leaked {
            import.text = import.text.replace(v.as_str(), "REDACTED");
            for n in &mut import.graph.nodes {
                *n = n.replace(v.as_str(), "REDACTED");
            }
            for e in &mut import.graph.edges {
                e.2 = e.2.replace(v.as_str(), "REDACTED");
            }
        }
    }
    import
}
