//! The custom sources this binary is built with, and the check that every
//! `source:` of the connector file names one of them.

use std::collections::BTreeMap;
use std::sync::Arc;

use holdfast_engine::{CustomSources, Source};
use holdfast_spec::{Diagnostic, Spec, SpecErrors};

/// The custom sources registered with [`Holdfast::source`](crate::Holdfast::source).
#[derive(Clone, Default)]
pub(crate) struct Registered(pub(crate) CustomSources);

impl std::fmt::Debug for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl Registered {
    /// Every problem with the custom streams of `spec` in this binary: a
    /// `source:` that names no registered source, a source without the
    /// stream, a table another stream writes. Located at each `source:`.
    pub(crate) fn check(&self, spec: &Spec) -> Result<(), SpecErrors> {
        let mut problems = Vec::new();
        let mut tables: BTreeMap<String, String> = spec
            .streams
            .iter()
            .map(|s| (s.into.clone(), s.name.clone()))
            .collect();
        for stream in &spec.custom_streams {
            let Some(source) = self.0.get(&stream.source) else {
                problems.push(stream.problem(
                    format!(
                        "no custom source `{}` in this holdfast (stream `{}`)",
                        stream.source, stream.name
                    ),
                    self.what_there_is(&stream.source),
                ));
                continue;
            };
            let offered = source.streams();
            let Some(info) = offered.iter().find(|i| i.name == stream.name) else {
                problems.push(no_such_stream(stream, &offered));
                continue;
            };
            if let Some(other) = tables.insert(info.table.name.clone(), stream.name.clone()) {
                problems.push(stream.problem(
                    format!(
                        "table `{}` of stream `{}` (from the custom source `{}`) is already \
                         used by stream `{other}`",
                        info.table.name, stream.name, stream.source
                    ),
                    format!(
                        "give stream `{other}` another table (`into:`), or have the source \
                         write `{}` to a table of its own",
                        stream.name
                    ),
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SpecErrors::new(&spec.origin, problems))
        }
    }

    /// The help for a `source:` naming no registered source.
    fn what_there_is(&self, name: &str) -> String {
        let build = format!(
            "a custom source is a `Source` written in Rust and compiled into a holdfast binary \
             built around the library: `holdfast_cli::Holdfast::new().source(\"{name}\", \
             MySource).run()` in your own `main` (see \"Hand-written connectors\" in the README)"
        );
        if self.0.is_empty() {
            return format!("this holdfast has no custom sources; {build}");
        }
        let names: Vec<String> = self.0.keys().map(|n| format!("`{n}`")).collect();
        format!(
            "this holdfast has the custom sources {}; use one of them, or register `{name}`: {build}",
            names.join(", ")
        )
    }
}

/// The problem of a custom stream its source does not offer.
fn no_such_stream(
    stream: &holdfast_spec::CustomStream,
    offered: &[holdfast_engine::StreamInfo],
) -> Diagnostic {
    let names: Vec<String> = offered.iter().map(|i| format!("`{}`", i.name)).collect();
    let help = if names.is_empty() {
        format!(
            "the source's `streams()` lists no stream; it must list `{}`",
            stream.name
        )
    } else {
        format!(
            "its streams are {}: name the stream under `streams:` as the source does",
            names.join(", ")
        )
    };
    stream.problem(
        format!(
            "the custom source `{}` has no stream `{}`",
            stream.source, stream.name
        ),
        help,
    )
}

/// Adds `source` as `name`; a name registered twice is an error.
pub(crate) fn register(
    registered: &mut Registered,
    name: String,
    source: Arc<dyn Source>,
) -> Result<(), String> {
    if registered.0.contains_key(&name) {
        return Err(format!(
            "the custom source `{name}` is registered twice; give each source its own name"
        ));
    }
    registered.0.insert(name, source);
    Ok(())
}
