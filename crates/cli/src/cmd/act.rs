//! `holdfast act ACTION --input JSON`: queue an outbound write with its
//! idempotency key, then perform it (unless `--no-wait`). The same input
//! queued twice is one job and one remote effect.

use std::io::Read as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::Utc;
use holdfast_engine::jobs::{ACTION, ActionCall};
use holdfast_engine::queue::{Worker, WorkerConfig};
use holdfast_spec::Env;
use holdfast_store::prelude::*;
use holdfast_store::{Enqueued, Job, JobState};
use serde_json::{Value, json};

use crate::cli::{ActArgs, Cli};
use crate::context::{self, load_spec, open_store};

pub(crate) async fn run(cli: &Cli, args: &ActArgs) -> anyhow::Result<ExitCode> {
    let mut env = Env::from_process();
    let Some(spec) = load_spec(cli, &mut env).await else {
        return Ok(ExitCode::from(2));
    };
    let Some(action) = spec.action(&args.action).cloned() else {
        let known: Vec<&str> = spec.actions.iter().map(|a| a.name.as_str()).collect();
        errln!(
            "error: no action `{}` in {}; {}",
            args.action,
            cli.config.display(),
            if known.is_empty() {
                "declare one under `actions:`".to_owned()
            } else {
                format!("the file has: {}", known.join(", "))
            }
        );
        return Ok(ExitCode::from(2));
    };
    let input = match read_input(&args.input) {
        Ok(v) => v,
        Err(e) => {
            errln!("error: --input: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let store = open_store(cli, Some(&spec), &env).await?;
    let source = Arc::new(context::source(cli, spec, &env, &store)?);
    let idempotency_key = match source.idempotency_key(&action.name, &input) {
        Ok(k) => k,
        Err(e) => {
            errln!("error: action `{}`: {e}", action.name);
            return Ok(ExitCode::from(2));
        }
    };
    let call = ActionCall {
        action: action.name.clone(),
        input,
        idempotency_key: idempotency_key.clone(),
    };
    let shared: Arc<dyn Store> = store.store();
    let enqueued = shared
        .enqueue(&[call.to_job(action.max_attempts, Utc::now())], Utc::now())
        .await?;
    let Some(&outcome) = enqueued.first() else {
        anyhow::bail!("the store did not queue the action");
    };
    let id = outcome.id();
    if args.no_wait {
        let what = match outcome {
            Enqueued::Created(_) => "queued",
            Enqueued::Duplicate(_) => "already queued (same idempotency key)",
        };
        report(
            args.json,
            &json!({ "job": id.0, "status": what, "idempotency_key": idempotency_key }),
            &format!("job #{} {what}; key {idempotency_key}", id.0),
        );
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    let worker = Worker::new(
        shared.clone(),
        source,
        WorkerConfig {
            kinds: vec![ACTION],
            ..WorkerConfig::default()
        },
    )?;
    worker.drain().await?;
    let job = shared
        .job(id)
        .await?
        .with_context(|| format!("job #{} is gone from the queue", id.0))?;
    let code = describe(args.json, &job, matches!(outcome, Enqueued::Duplicate(_)));
    store.close().await;
    Ok(code)
}

/// Prints what became of the job; exit 0 when it was performed.
fn describe(as_json: bool, job: &Job, duplicate: bool) -> ExitCode {
    let result: Value = job
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or(Value::Null);
    let again = if duplicate {
        " (this idempotency key was queued before: not sent again)"
    } else {
        ""
    };
    let (text, code) = match job.state {
        JobState::Done => (
            format!(
                "job #{} done{again}: {} answered {}",
                job.id.0, job.name, result["status"]
            ),
            ExitCode::SUCCESS,
        ),
        JobState::Dead => (
            format!(
                "job #{} failed and is dead-lettered after {}: {}\n  fix the cause, then `holdfast queue retry {}`",
                job.id.0,
                crate::plural::count(job.attempts, "attempt"),
                job.last_error.as_deref().unwrap_or("unknown error"),
                job.id.0
            ),
            ExitCode::from(1),
        ),
        JobState::Ready | JobState::Running => (
            format!(
                "job #{} not done yet (attempt {} of {}){}; `holdfast serve` retries it at {}",
                job.id.0,
                job.attempts,
                job.max_attempts,
                job.last_error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default(),
                job.run_at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            ExitCode::from(1),
        ),
    };
    report(
        as_json,
        &json!({
            "job": job.id.0,
            "state": job.state.as_str(),
            "attempts": job.attempts,
            "duplicate": duplicate,
            "result": result,
            "error": job.last_error,
        }),
        &text,
    );
    code
}

fn report(as_json: bool, value: &Value, text: &str) {
    if as_json {
        outln!("{value}");
    } else {
        outln!("{text}");
    }
}

/// `--input`: JSON text, `@FILE`, or `-` for stdin.
fn read_input(arg: &str) -> anyhow::Result<Value> {
    let text = if arg == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading stdin")?;
        s
    } else if let Some(path) = arg.strip_prefix('@') {
        std::fs::read_to_string(path).with_context(|| format!("reading `{path}`"))?
    } else {
        arg.to_owned()
    };
    serde_json::from_str(&text)
        .context("not JSON; pass e.g. --input '{\"external_id\": \"n-1\", \"text\": \"hi\"}'")
}
