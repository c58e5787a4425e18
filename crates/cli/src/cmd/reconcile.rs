//! `holdfast reconcile`: the safety net by hand. Each stream with a
//! `reconcile:` is scanned in full under its lease, and the rows upstream
//! no longer has are handled as it says, only when the scan is proven
//! complete and within `max_delete`.

use std::process::ExitCode;

use holdfast_engine::Source;
use holdfast_engine::queue::worker_id;
use holdfast_engine::reconcile::{ReconcileOptions, reconcile_stream};
use holdfast_engine::schedule::with_stream_lease;
use holdfast_spec::{Env, Spec};
use holdfast_store::{ReconcileOutcome, Reconciliation};
use serde_json::json;

use crate::cli::{Cli, ReconcileArgs};
use crate::context::{self, load_spec, open_store};
use crate::interrupt::Interrupt;
use crate::progress::Progress;

/// How long a stream's lease holds without renewal (renewed every third).
const LEASE: std::time::Duration = std::time::Duration::from_secs(30);

pub(crate) async fn run(cli: &Cli, args: &ReconcileArgs) -> anyhow::Result<ExitCode> {
    let mut env = Env::from_process();
    let Some(spec) = load_spec(cli, &mut env).await else {
        return Ok(ExitCode::from(2));
    };
    let selected = match select(&spec, &args.streams) {
        Ok(selected) => selected,
        Err(message) => {
            errln!("error: {message}");
            return Ok(ExitCode::from(2));
        }
    };
    let store = open_store(cli, Some(&spec), &env).await?;
    let source = context::source(cli, spec.clone(), &env, &store)?;
    let interrupt = Interrupt::listen();
    let progress = Progress::new(store.shown());
    let options = ReconcileOptions {
        dry_run: args.dry_run,
    };
    let holder = worker_id(0);
    let mut done = Vec::new();
    let mut failed = false;
    for name in &selected {
        let (Some(info), Some(settings)) = (
            source.streams().into_iter().find(|s| &s.name == name),
            spec.stream(name).and_then(|s| s.reconcile.as_ref()),
        ) else {
            continue;
        };
        let work = reconcile_stream(
            &source,
            &*store,
            (&info, settings),
            options,
            &progress,
            interrupt.token(),
        );
        match with_stream_lease(&*store, name, &holder, LEASE, work).await {
            Ok(Ok(Ok(rec))) => {
                failed |= !matches!(
                    rec.outcome,
                    ReconcileOutcome::Complete | ReconcileOutcome::DryRun
                );
                if !args.json {
                    errln!("{}", describe(&rec));
                }
                done.push(rec);
            }
            Ok(Ok(Err(e))) => {
                errln!("reconcile {name}: failed: {e}");
                failed = true;
            }
            Ok(Err(busy)) => {
                errln!("reconcile {name}: {busy}");
                failed = true;
            }
            Err(e) => {
                errln!(
                    "reconcile {name}: the store `{}` failed taking the stream's lease: {e}",
                    store.shown()
                );
                failed = true;
            }
        }
        if interrupt.received().is_some() {
            break;
        }
    }
    if args.json {
        let streams: Vec<_> = done
            .iter()
            .map(holdfast_server::api::views::reconciliation_json)
            .collect();
        outln!("{}", json!({ "streams": streams }));
    }
    source.disconnect().await;
    store.close().await;
    Ok(match interrupt.received() {
        Some(signal) => signal.exit_code(),
        None if failed => ExitCode::from(1),
        None => ExitCode::SUCCESS,
    })
}

/// The streams to reconcile: the named ones (each must have `reconcile:`),
/// or every stream that has one.
fn select(spec: &Spec, named: &[String]) -> Result<Vec<String>, String> {
    let with: Vec<&str> = spec
        .streams
        .iter()
        .filter(|s| s.reconcile.is_some())
        .map(|s| s.name.as_str())
        .collect();
    if named.is_empty() {
        if with.is_empty() {
            return Err(
                "no stream has `reconcile:`; add e.g. `reconcile: { every: 24h, \
                 missing: soft_delete, max_delete: 5% }` to a stream"
                    .to_owned(),
            );
        }
        return Ok(with.into_iter().map(str::to_owned).collect());
    }
    for name in named {
        match spec.stream(name) {
            None => {
                let all = spec.streams.iter().map(|s| s.name.as_str());
                return Err(holdfast_spec::no_such_stream(name, all));
            }
            Some(s) if s.reconcile.is_none() => {
                return Err(format!(
                    "stream `{name}` has no `reconcile:`, so holdfast does not know what to do \
                     with rows upstream no longer has; add `reconcile: {{ missing: report }}` \
                     to count them, or `{{ missing: soft_delete, max_delete: 5% }}` to \
                     tombstone them"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(named.to_vec())
}

/// One line per reconciliation.
fn describe(r: &Reconciliation) -> String {
    let counts = format!(
        "upstream {}, local {}, fetched {}, changed {}, missing {}, deleted {}, restored {}",
        r.upstream, r.local, r.fetched, r.changed, r.missing, r.deleted, r.restored
    );
    let run = if r.run.0 > 0 {
        format!(" (run {})", r.run)
    } else {
        String::new()
    };
    match (r.outcome, &r.reason) {
        (ReconcileOutcome::Complete, _) => format!(
            "reconcile {}{run}: complete ({}): {counts}",
            r.stream,
            r.action.as_str()
        ),
        (outcome, reason) => format!(
            "reconcile {}{run}: {}: {counts}; {}",
            r.stream,
            outcome.as_str().replace('_', " "),
            reason.as_deref().unwrap_or("")
        ),
    }
}
