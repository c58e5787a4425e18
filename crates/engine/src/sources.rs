//! All the sources of one connector file as one [`Source`]: the declarative
//! streams, and the streams custom sources (a `Source` written in Rust and
//! compiled into the binary) read, each named in the file by `source:`.
//!
//! Every call is routed by stream name: [`Sources::streams`] lists every
//! stream in the file's order, `read`, `handle_event` and `parallel_chains`
//! go to the source that owns the stream, `take_requests` gathers from all,
//! and `connect` and `disconnect` reach every source in use.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use holdfast_spec::Spec;
use holdfast_store::RequestRow;
use serde_json::Value;

use crate::SourceError;
use crate::declarative::{ActionError, ActionResponse, DeclarativeSource};
use crate::source::{PageReader, ParentInfo, ReadScope, Source, StreamInfo};

/// Custom sources by the name the connector file's `source:` uses.
pub type CustomSources = BTreeMap<String, Arc<dyn Source>>;

/// The declarative source of a connector file and the custom sources its
/// `source:` streams name, as one [`Source`]. Cheap to clone (shared parts).
#[derive(Clone)]
pub struct Sources {
    declarative: Arc<DeclarativeSource>,
    /// The custom sources in use, by name.
    custom: Arc<BTreeMap<String, Arc<dyn Source>>>,
    /// Each custom stream: the source's name and the source's description of it.
    routes: Arc<BTreeMap<String, (String, StreamInfo)>>,
}

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sources")
            .field("custom", &self.custom.keys().collect::<Vec<_>>())
            .field("streams", &self.routes.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Sources {
    /// `declarative` with the sources of `custom` its connector file names
    /// (`source:`); sources it does not name are left out.
    ///
    /// # Errors
    /// A `source:` that names no source of `custom`, a source without the
    /// stream, or a custom stream whose table another stream writes
    /// ([`SourceError::Config`] at `streams.NAME.source`).
    pub fn new(
        declarative: DeclarativeSource,
        custom: &CustomSources,
    ) -> Result<Sources, SourceError> {
        let spec = declarative.spec();
        let mut used = BTreeMap::new();
        let mut routes = BTreeMap::new();
        for stream in &spec.custom_streams {
            let field = format!("streams.{}.source", stream.name);
            let source = custom
                .get(&stream.source)
                .ok_or_else(|| SourceError::Config {
                    field: field.clone(),
                    message: format!("no custom source `{}` in this holdfast", stream.source),
                })?;
            let info = source
                .streams()
                .into_iter()
                .find(|i| i.name == stream.name)
                .ok_or_else(|| SourceError::Config {
                    field: field.clone(),
                    message: format!(
                        "the custom source `{}` has no stream `{}`",
                        stream.source, stream.name
                    ),
                })?;
            if let Some(other) = table_user(spec, &routes, &info) {
                return Err(SourceError::Config {
                    field,
                    message: format!(
                        "table `{}` of stream `{}` is already used by stream `{other}`",
                        info.table.name, stream.name
                    ),
                });
            }
            used.insert(stream.source.clone(), source.clone());
            routes.insert(stream.name.clone(), (stream.source.clone(), info));
        }
        Ok(Sources {
            declarative: Arc::new(declarative),
            custom: Arc::new(used),
            routes: Arc::new(routes),
        })
    }

    /// The declarative source (connections, actions).
    pub fn declarative(&self) -> &Arc<DeclarativeSource> {
        &self.declarative
    }

    /// The connector file these sources read.
    pub fn spec(&self) -> &Spec {
        self.declarative.spec()
    }

    /// The custom source reading `stream`, and its description of the stream.
    pub fn custom_stream(&self, stream: &str) -> Option<(&dyn Source, &StreamInfo)> {
        let (source, info) = self.routes.get(stream)?;
        Some((self.custom.get(source)?.as_ref(), info))
    }

    /// The custom streams in use, as their sources describe them.
    pub fn custom_streams(&self) -> Vec<StreamInfo> {
        self.routes.values().map(|(_, info)| info.clone()).collect()
    }

    /// See [`DeclarativeSource::keep_credentials_alive`].
    pub async fn keep_credentials_alive(&self) {
        self.declarative.keep_credentials_alive().await;
    }

    /// See [`DeclarativeSource::idempotency_key`].
    ///
    /// # Errors
    /// As [`DeclarativeSource::idempotency_key`].
    pub fn idempotency_key(&self, action: &str, input: &Value) -> Result<String, SourceError> {
        self.declarative.idempotency_key(action, input)
    }

    /// See [`DeclarativeSource::perform`].
    ///
    /// # Errors
    /// As [`DeclarativeSource::perform`].
    pub async fn perform(
        &self,
        action: &str,
        input: &Value,
        idempotency_key: &str,
    ) -> Result<ActionResponse, ActionError> {
        self.declarative
            .perform(action, input, idempotency_key)
            .await
    }

    /// The source that reads `stream`.
    fn owner(&self, stream: &str) -> &dyn Source {
        match self.custom_stream(stream) {
            Some((source, _)) => source,
            None => self.declarative.as_ref(),
        }
    }
}

impl From<DeclarativeSource> for Sources {
    /// The declarative source alone: its file must name no custom source.
    fn from(declarative: DeclarativeSource) -> Sources {
        Sources::from(Arc::new(declarative))
    }
}

impl From<Arc<DeclarativeSource>> for Sources {
    /// The declarative source alone: its file must name no custom source.
    fn from(declarative: Arc<DeclarativeSource>) -> Sources {
        Sources {
            declarative,
            custom: Arc::default(),
            routes: Arc::default(),
        }
    }
}

impl From<Arc<Sources>> for Sources {
    fn from(sources: Arc<Sources>) -> Sources {
        sources.as_ref().clone()
    }
}

/// The stream other than `info`'s that writes `info`'s table, if any.
fn table_user(
    spec: &Spec,
    routes: &BTreeMap<String, (String, StreamInfo)>,
    info: &StreamInfo,
) -> Option<String> {
    let declarative = spec.streams.iter().find(|s| s.into == info.table.name);
    let custom = routes
        .values()
        .find(|(_, i)| i.table.name == info.table.name);
    declarative
        .map(|s| s.name.clone())
        .or_else(|| custom.map(|(_, i)| i.name.clone()))
}

#[async_trait]
impl Source for Sources {
    /// Every stream in the file's order; a declarative child of a custom
    /// stream reads its parents from the custom stream's table.
    fn streams(&self) -> Vec<StreamInfo> {
        let mut declarative: BTreeMap<String, StreamInfo> = self
            .declarative
            .streams()
            .into_iter()
            .map(|i| (i.name.clone(), i))
            .collect();
        let spec = self.spec();
        spec.stream_names()
            .into_iter()
            .filter_map(|name| {
                if let Some((_, info)) = self.routes.get(name) {
                    return Some(info.clone());
                }
                let mut info = declarative.remove(name)?;
                let parent = spec.stream(name).and_then(|s| s.for_each.as_ref());
                if let Some(parent) = parent
                    && info.parent.is_none()
                    && let Some((_, p)) = self.routes.get(&parent.stream)
                {
                    info.parent = Some(ParentInfo {
                        stream: p.name.clone(),
                        table: p.table.clone(),
                    });
                }
                Some(info)
            })
            .collect()
    }

    async fn connect(&self) -> Result<(), SourceError> {
        self.declarative.connect().await?;
        for source in self.custom.values() {
            source.connect().await?;
        }
        Ok(())
    }

    fn read(
        &self,
        stream: &str,
        scope: ReadScope,
    ) -> Result<Box<dyn PageReader + '_>, SourceError> {
        self.owner(stream).read(stream, scope)
    }

    async fn handle_event(&self, stream: &str, event: Value) -> Result<Vec<Value>, SourceError> {
        self.owner(stream).handle_event(stream, event).await
    }

    fn reconcile_settings(&self, stream: &str) -> Option<holdfast_spec::Reconcile> {
        self.owner(stream).reconcile_settings(stream)
    }

    fn parallel_chains(&self, stream: &str) -> usize {
        self.owner(stream).parallel_chains(stream)
    }

    fn take_requests(&self) -> Vec<RequestRow> {
        let mut rows = self.declarative.take_requests();
        for source in self.custom.values() {
            rows.extend(source.take_requests());
        }
        rows
    }

    async fn disconnect(&self) {
        self.declarative.disconnect().await;
        for source in self.custom.values() {
            source.disconnect().await;
        }
    }
}

#[cfg(test)]
mod tests;
