//! `holdfast serve`: the long-running process (see `holdfast_server`). It
//! receives webhooks (verified, then durably queued before the 2xx),
//! accepts actions on the admin API, and runs workers that apply queued
//! events and perform queued actions. SIGINT/SIGTERM stop it gracefully and
//! it says what it did; a SIGKILL loses nothing that was acknowledged (the
//! queue is in the store). This file only wires: it opens the connector
//! file, the store and the source, builds the server and prints.

use std::process::ExitCode;
use std::sync::Arc;

use holdfast_server::{ADMIN_TOKEN, Limits, Server};
use holdfast_spec::Env;

use crate::cli::{Cli, ServeArgs};
use crate::context::{self, load_spec, open_store};
use crate::plural::count;

pub(crate) async fn run(cli: &Cli, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let mut env = Env::from_process();
    let Some(spec) = load_spec(cli, &mut env).await else {
        return Ok(ExitCode::from(2));
    };
    let store = open_store(cli, Some(&spec), &env).await?;
    let source = Arc::new(context::source(cli, spec.clone(), &env, &store)?);
    let admin_token = context::admin_token(&env, &store).await?;
    let read_token = context::read_token(&env, &store).await?;
    let limits = Limits {
        header_timeout: args.header_timeout,
        request_timeout: args.request_timeout,
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        max_api_body: args.max_api_body,
    };
    let listening = Server::new(spec.clone(), env, store.store(), source)
        .listen(args.listen)
        .limits(limits)
        .workers(args.workers)
        .alerts_every(args.alerts_every)
        .keep_done(args.keep_done)
        .admin_token(admin_token)
        .read_token(read_token)
        .bind()
        .await?;
    if listening.released_jobs() > 0 {
        errln!(
            "holdfast serve: released {} claimed by a holdfast process that is gone",
            count(listening.released_jobs(), "job")
        );
    }
    // installed before the address is printed: a signal from then on stops it gracefully
    let shutdown = holdfast_server::shutdown_signal();
    let bound = listening.local_addr();
    outln!("holdfast serve: listening on http://{bound}");
    for w in &spec.webhooks {
        outln!("  webhook {:<20} POST http://{bound}{}", w.name, w.path);
    }
    if !spec.actions.is_empty() {
        outln!(
            "  actions              POST http://{bound}/api/actions/NAME (bearer {ADMIN_TOKEN})"
        );
    }
    for s in listening.schedules() {
        outln!("  schedule {:<20} {}", s.name, s.slots);
    }
    if let Some(alerts) = listening.alerts() {
        outln!(
            "  alerts               {} every {}, to the log and {}",
            count(alerts.rules(), "rule"),
            humantime::format_duration(alerts.every()),
            count(alerts.targets(), "webhook")
        );
    }
    let stopped = listening.run(shutdown).await;
    store.close().await;
    errln!("holdfast serve: stopped: {stopped}");
    Ok(ExitCode::SUCCESS)
}
