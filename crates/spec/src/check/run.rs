//! The order checks run in, and assembling the `Spec`.

use std::collections::BTreeMap;
use std::path::Path;

use super::actions;
use super::alerts;
use super::connections::connection;
use super::context::Ctx;
use super::contract;
use super::custom;
use super::for_each;
use super::reconcile;
use super::streams::{self, Known};
use super::templates::{self, STORE_SCOPE};
use super::webhooks;
use crate::env::Env;
use crate::error::Diagnostic;
use crate::model::Spec;
use crate::parse::Explained;
use crate::raw::RawFile;
use crate::schema_files::SchemaFiles;
use crate::span::SpanIndex;

/// Checks everything in `raw`; the `Spec`, or every problem found,
/// `earlier` (the parse stage's) included. Keys `explained` were left out
/// by the parse stage and are not reported again as missing; `schemas`
/// are the schema files the streams name, already read.
pub(crate) fn check(
    raw: &RawFile,
    earlier: Vec<Diagnostic>,
    explained: &Explained,
    index: &SpanIndex,
    env: &Env,
    origin: &Path,
    schemas: &SchemaFiles,
) -> Result<Spec, Vec<Diagnostic>> {
    let mut ctx = Ctx::new(index, env).after(earlier, explained);
    let store = raw
        .store
        .as_ref()
        .map(|s| templates::template(&mut ctx, "store", s, STORE_SCOPE));
    let mut connections = BTreeMap::new();
    let mut complete = true;
    for (name, c) in &raw.connections.0 {
        match connection(&mut ctx, name, c) {
            Some(c) => {
                connections.insert(name.clone(), c);
            }
            None => complete = false,
        }
    }
    let known = Known {
        connections: raw.connections.0.iter().map(|(n, _)| n.as_str()).collect(),
        streams: raw.streams.0.iter().map(|(n, _)| n.as_str()).collect(),
        schemas,
    };
    let mut streams = Vec::new();
    let mut custom_streams = Vec::new();
    for (position, (name, s)) in raw.streams.0.iter().enumerate() {
        if s.source.is_some() {
            match custom::stream(&mut ctx, position, name, s) {
                Some(c) => custom_streams.push(c),
                None => complete = false,
            }
            continue;
        }
        match streams::stream(&mut ctx, name, s, &known) {
            Some(s) => streams.push(s),
            None => complete = false,
        }
    }
    for_each::cycles(&mut ctx, &raw.streams);
    reconcile::tombstone_endpoints(&mut ctx, &mut streams, &raw.streams);
    streams::shared_tables(&mut ctx, &streams);
    let mut webhooks = Vec::new();
    for (name, w) in &raw.webhooks.0 {
        match webhooks::webhook(&mut ctx, name, w, &known.streams) {
            Some(w) => webhooks.push(w),
            None => complete = false,
        }
    }
    webhooks::shared_paths(&mut ctx, &webhooks);
    let mut actions = Vec::new();
    for (name, a) in &raw.actions.0 {
        match actions::action(&mut ctx, name, a, &known) {
            Some(a) => actions.push(a),
            None => complete = false,
        }
    }
    let mut alerts = Vec::new();
    for (i, a) in raw.alerts.iter().enumerate() {
        match alerts::alert(&mut ctx, i, a, &known) {
            Some(a) => alerts.push(a),
            None => complete = false,
        }
    }
    let mut notify = Vec::new();
    for (i, n) in raw.notify.iter().enumerate() {
        match alerts::notify(&mut ctx, i, n) {
            Some(n) => notify.push(n),
            None => complete = false,
        }
    }
    let mut tests = Vec::new();
    for (name, t) in &raw.tests.0 {
        match contract::test(&mut ctx, name, t, &known.streams) {
            Some(t) => tests.push(t),
            None => complete = false,
        }
    }
    let secrets = ctx.secrets_used().clone();
    let diagnostics = ctx.finish();
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    if !complete {
        // every check that returns None reports why; this is a bug if reached
        return Err(vec![
            Diagnostic::new("internal error: a check failed without a message", "")
                .with_help("please report this with the connector file"),
        ]);
    }
    Ok(Spec {
        origin: origin.to_owned(),
        store,
        connections,
        streams,
        custom_streams,
        webhooks,
        actions,
        alerts,
        notify,
        secrets,
        tests,
    })
}
