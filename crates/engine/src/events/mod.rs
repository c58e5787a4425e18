//! Webhook events to store writes: which `route:` rule an event takes, the
//! record it carries, whether it deletes, its version, and the record
//! checked by the stream's schema and `map:` like any synced record.

mod custom;
mod error;
pub mod version;

pub use custom::{CustomEvent, Resolved, resolve};
pub use error::RouteError;

use std::collections::BTreeMap;
use std::sync::Arc;

use holdfast_records::primary_key;
use holdfast_spec::{Spec, Webhook};
use holdfast_store::{RecordRow, TableSpec};
use minijinja::Value as Jinja;
use serde_json::Value;

use crate::SourceError;
use crate::jobs::WebhookEvent;
use crate::template::Condition;
use holdfast_records::{RecordRules, SharedRules, summarize};

/// Routes the events of every webhook of a spec.
#[derive(Debug)]
pub struct EventRouter {
    spec: Arc<Spec>,
    /// Each webhook's routes' compiled conditions, in route order.
    conditions: BTreeMap<String, Vec<RouteConditions>>,
    streams: BTreeMap<String, RoutedStream>,
}

/// What an event does.
#[derive(Debug, Clone, PartialEq)]
pub enum Routed {
    /// Write (or delete) one record of a stream.
    Apply(EventWrite),
    /// No `route:` rule matched: acknowledged and ignored.
    Ignored,
    /// The stream is a custom source's: its `handle_event` turns the
    /// event's record into the records to write (see [`resolve`]).
    Handle(CustomEvent),
}

/// One record write decided by an event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventWrite {
    /// The stream whose table is written.
    pub stream: String,
    /// The row (key, raw record, mapped values).
    pub row: RecordRow,
    /// The event's version as sortable text (see [`version::sortable`]).
    pub version: Option<String>,
    /// Where the version was read and what it was, for messages:
    /// `` `webhooks.crm.version` (`$.data.updated_at`) = "2024-06-01T12:00:00Z" ``.
    pub version_at: Option<String>,
    /// True when the event deletes the record.
    pub delete: bool,
}

/// A route's compiled `when:` and `delete_when:`.
#[derive(Debug)]
struct RouteConditions {
    when: Option<Condition>,
    delete_when: Option<Condition>,
}

#[derive(Debug)]
struct RoutedStream {
    table: TableSpec,
    rules: SharedRules,
    /// A custom source reads the stream (its `handle_event` makes the records).
    custom: bool,
}

impl EventRouter {
    /// Compiles every webhook's conditions and the record rules of the
    /// streams routes name.
    ///
    /// # Errors
    /// A condition, schema or map that does not compile.
    pub fn new(spec: Arc<Spec>) -> Result<EventRouter, SourceError> {
        EventRouter::with_custom(spec, &[])
    }

    /// As [`EventRouter::new`], with `custom`, the streams custom sources
    /// read (`source:` in the file), as their sources describe them.
    ///
    /// # Errors
    /// As [`EventRouter::new`]; a route naming a custom stream not in `custom`.
    pub fn with_custom(
        spec: Arc<Spec>,
        custom: &[crate::StreamInfo],
    ) -> Result<EventRouter, SourceError> {
        let mut conditions = BTreeMap::new();
        let mut streams = BTreeMap::new();
        for w in &spec.webhooks {
            let mut routes = Vec::with_capacity(w.route.len());
            for (i, r) in w.route.iter().enumerate() {
                let at = format!("webhooks.{}.route[{i}]", w.name);
                let compile = |key: &str, cond: &Option<holdfast_spec::Template>| {
                    cond.as_ref()
                        .map(|c| Condition::new(&format!("{at}.{key}"), &c.source))
                        .transpose()
                };
                routes.push(RouteConditions {
                    when: compile("when", &r.when)?,
                    delete_when: compile("delete_when", &r.delete_when)?,
                });
                if streams.contains_key(&r.stream) {
                    continue;
                }
                if let Some(info) = custom.iter().find(|i| i.name == r.stream) {
                    let (table, rules) = (info.table.clone(), info.rules.clone());
                    let custom = true;
                    streams.insert(
                        r.stream.clone(),
                        RoutedStream {
                            table,
                            rules,
                            custom,
                        },
                    );
                    continue;
                }
                let stream = spec
                    .stream(&r.stream)
                    .ok_or_else(|| SourceError::UnknownStream(r.stream.clone()))?;
                let rules = Arc::new(RecordRules::for_stream(stream)?);
                let table = rules.table(stream);
                let custom = false;
                streams.insert(
                    r.stream.clone(),
                    RoutedStream {
                        table,
                        rules,
                        custom,
                    },
                );
            }
            conditions.insert(w.name.clone(), routes);
        }
        Ok(EventRouter {
            spec,
            conditions,
            streams,
        })
    }

    /// The tables events may write (to prepare before the first event).
    pub fn tables(&self) -> impl Iterator<Item = &TableSpec> {
        self.streams.values().map(|s| &s.table)
    }

    /// The table of `stream`, if a route writes it.
    pub fn table(&self, stream: &str) -> Option<&TableSpec> {
        self.streams.get(stream).map(|s| &s.table)
    }

    /// Decides what `event` does.
    ///
    /// # Errors
    /// Why the event cannot be applied: an unknown webhook, a body that is
    /// not JSON, no record or version where the route says, or a record
    /// that fails its stream's schema or `map:`.
    pub fn route(&self, event: &WebhookEvent) -> Result<Routed, RouteError> {
        let webhook = self
            .spec
            .webhook(&event.webhook)
            .ok_or_else(|| RouteError::UnknownWebhook(event.webhook.clone()))?;
        let body: Value = serde_json::from_str(&event.body).map_err(RouteError::NotJson)?;
        let ctx = Jinja::from(minijinja::value::Serde(BTreeMap::from([
            ("body", Jinja::from(minijinja::value::Serde(&body))),
            (
                "headers",
                Jinja::from(minijinja::value::Serde(&event.headers)),
            ),
        ])));
        let conditions = self
            .conditions
            .get(&webhook.name)
            .map_or(&[][..], Vec::as_slice);
        for (i, (route, cond)) in webhook.route.iter().zip(conditions).enumerate() {
            let at = format!("webhooks.{}.route[{i}]", webhook.name);
            if !holds(cond.when.as_ref(), &format!("{at}.when"), &ctx)?.unwrap_or(true) {
                continue;
            }
            let delete = holds(
                cond.delete_when.as_ref(),
                &format!("{at}.delete_when"),
                &ctx,
            )?
            .unwrap_or(false);
            let record = route
                .record
                .path
                .query(&body)
                .first()
                .cloned()
                .ok_or_else(|| RouteError::NoRecord {
                    path: route.record.source.clone(),
                    at: at.clone(),
                })?;
            let (version, version_at) = self.version(webhook, &body)?.unzip();
            let stream = self
                .streams
                .get(&route.stream)
                .ok_or_else(|| RouteError::NotRouted(route.stream.clone()))?;
            if stream.custom {
                return Ok(Routed::Handle(CustomEvent {
                    stream: route.stream.clone(),
                    record,
                    version,
                    version_at,
                    delete,
                }));
            }
            let row = self.row(stream, &route.stream, record, delete)?;
            return Ok(Routed::Apply(EventWrite {
                stream: route.stream.clone(),
                row,
                version,
                version_at,
                delete,
            }));
        }
        Ok(Routed::Ignored)
    }

    /// The event's sortable version and where it was read (with its value).
    fn version(
        &self,
        webhook: &Webhook,
        body: &Value,
    ) -> Result<Option<(String, String)>, RouteError> {
        let Some(path) = &webhook.version else {
            return Ok(None);
        };
        let at = format!("webhooks.{}.version", webhook.name);
        let found = path.path.query(body);
        let Some(value) = found.first() else {
            return Err(RouteError::NoVersion {
                path: path.source.clone(),
                at,
            });
        };
        let sortable = version::sortable(value).map_err(|error| RouteError::BadVersion {
            at: at.clone(),
            path: path.source.clone(),
            error,
        })?;
        let shown = format!("`{at}` (`{}`) = {}", path.source, version::shown(value));
        Ok(Some((sortable, shown)))
    }

    fn row(
        &self,
        stream: &RoutedStream,
        name: &str,
        record: Value,
        delete: bool,
    ) -> Result<RecordRow, RouteError> {
        let key_fields = &stream.table.primary_key;
        let (key, values) =
            if delete {
                // a delete needs the key only; its payload may be partial
                let key = primary_key(&record, key_fields).map_err(|reason| RouteError::NoKey {
                    stream: name.to_owned(),
                    reason,
                })?;
                (key, vec![Value::Null; stream.table.columns.len()])
            } else {
                let checked = stream.rules.check(&record, key_fields, None).map_err(|v| {
                    RouteError::Invalid {
                        stream: name.to_owned(),
                        summary: summarize(&v),
                    }
                })?;
                (checked.key, checked.values)
            };
        Ok(RecordRow {
            key,
            raw: record.to_string(),
            values,
        })
    }
}

/// Whether `condition` (named `field`) holds with `ctx`; `None` without one.
fn holds(
    condition: Option<&Condition>,
    field: &str,
    ctx: &Jinja,
) -> Result<Option<bool>, RouteError> {
    condition
        .map(|c| {
            c.holds(ctx).map_err(|e| RouteError::Condition {
                field: field.to_owned(),
                reason: e.to_string(),
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use holdfast_spec::Env;
    use serde_json::json;

    use super::*;

    const FILE: &str = r#"
connections:
  crm: { base_url: "http://127.0.0.1:9" }
streams:
  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    schema: { type: object, required: [id, email], properties: { email: { type: string } } }
    map: { email: { from: "$.email", transform: lower } }
webhooks:
  crm:
    path: /hooks/crm
    verify: { scheme: standard_webhooks, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }
    version: "$.data.updated_at"
    route:
      - when: "body.type is startingwith('contact.') and headers['x-env'] != 'test'"
        stream: contacts
        record: "$.data"
        delete_when: "body.type == 'contact.deleted'"
"#;

    fn router() -> EventRouter {
        let spec = holdfast_spec::parse_str(FILE, Path::new("t.yaml"), &Env::default())
            .unwrap_or_else(|e| panic!("{e}"));
        EventRouter::new(Arc::new(spec)).expect("router")
    }

    fn event(body: serde_json::Value, headers: &[(&str, &str)]) -> WebhookEvent {
        WebhookEvent {
            webhook: "crm".into(),
            event_id: "e1".into(),
            received_ms: 0,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
            body: body.to_string(),
        }
    }

    #[test]
    fn routes_checks_and_maps_like_a_sync() {
        let r = router();
        let update = json!({"type": "contact.updated",
            "data": {"id": 7, "email": "Ada@X.io", "updated_at": "2024-06-01T14:00:00+02:00"}});
        let Routed::Apply(w) = r.route(&event(update, &[])).expect("routed") else {
            panic!("not applied")
        };
        assert_eq!(w.stream, "contacts");
        assert_eq!(w.row.key, vec![json!(7)]);
        assert_eq!(w.row.values, vec![json!("ada@x.io")]);
        assert_eq!(
            w.version.as_deref(),
            Some("t2024-06-01T12:00:00.000000000Z")
        );
        assert_eq!(
            w.version_at.as_deref(),
            Some("`webhooks.crm.version` (`$.data.updated_at`) = \"2024-06-01T14:00:00+02:00\"")
        );
        assert!(!w.delete);
    }

    #[test]
    fn deletes_need_only_the_key() {
        let deleted = json!({"type": "contact.deleted", "data": {"id": 7, "updated_at": 5}});
        let Routed::Apply(w) = router().route(&event(deleted, &[])).expect("routed") else {
            panic!("not applied")
        };
        assert!(w.delete);
        assert_eq!(w.row.values, vec![json!(null)]);
    }

    #[test]
    fn unmatched_events_are_ignored() {
        let r = router();
        let other = json!({"type": "invoice.paid", "data": {"id": 1}});
        assert_eq!(r.route(&event(other, &[])).expect("ok"), Routed::Ignored);
        let test = json!({"type": "contact.updated", "data": {"id": 1}});
        assert_eq!(
            r.route(&event(test, &[("x-env", "test")])).expect("ok"),
            Routed::Ignored,
            "`when` reads headers"
        );
    }

    #[test]
    fn permanent_problems_say_what_and_where() {
        let r = router();
        let cases = [
            (json!({"type": "contact.updated"}), "no record at `$.data`"),
            (
                json!({"type": "contact.updated", "data": {"id": 1, "email": "a@x"}}),
                "no version at `$.data.updated_at`",
            ),
            (
                json!({"type": "contact.updated", "data": {"id": 1, "email": 5, "updated_at": 1}}),
                "stream `contacts`: the record is invalid: /email",
            ),
            (
                json!({"type": "contact.updated", "data": {"id": 1, "email": "a@x", "updated_at": "yesterday"}}),
                "`webhooks.crm.version` (`$.data.updated_at`): \"yesterday\" is neither a number nor a timestamp",
            ),
        ];
        for (body, expected) in cases {
            let err = r.route(&event(body, &[])).expect_err("refused").to_string();
            assert!(err.contains(expected), "{err}");
        }
        let mut bad = event(json!({}), &[]);
        bad.body = "not json".into();
        assert!(
            r.route(&bad)
                .expect_err("refused")
                .to_string()
                .contains("not JSON")
        );
    }
}
