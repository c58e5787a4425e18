//! `holdfast chaos`: a proxy that injects production's failures into any
//! API (`--target URL --listen ADDR --profile NAME`); `chaos run STREAM`
//! runs a stream through it and prints a report card against a fault-free
//! run; `chaos profiles` lists the profiles.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use holdfast_chaos::{Chaos, ChaosConfig, Profile, Summary};
use holdfast_engine::Source;
use holdfast_engine::schedule::CancellationToken;
use holdfast_engine::sync::StreamEnd;
use holdfast_spec::{Env, Spec};
use holdfast_store::{RecordQuery, TableSpec};
use serde_json::json;

use super::cassettes::{run_streams, scratch_store, with_parents};
use crate::backend::OpenStore;
use crate::cli::{ChaosAction, ChaosArgs, ChaosRunArgs, Cli};
use crate::context::{self, load_spec, open_store};
use crate::interrupt::Interrupt;

pub(crate) async fn run(cli: &Cli, args: &ChaosArgs) -> anyhow::Result<ExitCode> {
    match &args.action {
        Some(ChaosAction::Profiles) => {
            for p in Profile::all() {
                outln!("{:<14} {}", p.name, p.about);
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(ChaosAction::Run(run)) => run_stream(cli, run).await,
        None => proxy(args).await,
    }
}

/// The standalone proxy, until Ctrl-C; then its summary.
async fn proxy(args: &ChaosArgs) -> anyhow::Result<ExitCode> {
    let Some(target) = &args.target else {
        errln!(
            "error: `holdfast chaos` needs --target URL (the API to stand in front of), e.g. `holdfast chaos --target https://api.example.com --profile flaky`"
        );
        return Ok(ExitCode::from(2));
    };
    let target = match url::Url::parse(target) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => {
            errln!(
                "error: --target `{target}` is not an http(s) URL; give e.g. http://127.0.0.1:8080"
            );
            return Ok(ExitCode::from(2));
        }
    };
    let profile = match Profile::named(&args.profile) {
        Ok(p) => p,
        Err(e) => {
            errln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let listen: SocketAddr = args.listen.parse().map_err(|e| {
        anyhow::anyhow!(
            "--listen `{}` is not an address like 127.0.0.1:8800 ({e})",
            args.listen
        )
    })?;
    let chaos = Chaos::start(
        ChaosConfig {
            target: target.clone(),
            profile: profile.clone(),
            seed: args.seed,
        },
        listen,
    )
    .await
    .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    errln!(
        "chaos proxy on {} → {target} with profile `{}` ({}); Ctrl-C stops it",
        chaos.url(),
        profile.name,
        profile.about
    );
    let interrupt = Interrupt::listen();
    interrupt.token().cancelled().await;
    let log = chaos.log();
    let summary = chaos.summary();
    chaos.shutdown().await;
    if let Some(path) = &args.log {
        let lines: Vec<String> = log
            .iter()
            .filter_map(|s| serde_json::to_string(s).ok())
            .collect();
        std::fs::write(path, lines.join("\n") + "\n")?;
    }
    outln!("{}", json!({ "profile": profile.name, "summary": summary }));
    Ok(ExitCode::SUCCESS)
}

/// One pass of the stream's runs through proxies in front of every connection.
struct Pass {
    ends: Vec<(String, StreamEnd)>,
    summary: Summary,
    rows: BTreeMap<String, String>,
    quarantined: u64,
    drift: Vec<String>,
    alerts: Vec<String>,
}

async fn run_stream(cli: &Cli, args: &ChaosRunArgs) -> anyhow::Result<ExitCode> {
    let profile = match Profile::named(&args.profile) {
        Ok(p) => p,
        Err(e) => {
            errln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut env = Env::from_process();
    let Some(spec) = load_spec(cli, &mut env).await else {
        return Ok(ExitCode::from(2));
    };
    let store = open_store(cli, Some(&spec), &env).await?;
    let plain = context::source(cli, spec.clone(), &env, &store)?;
    let streams = match with_parents(&plain, &args.stream) {
        Ok(chain) => chain,
        Err(e) => {
            errln!("error: {e}");
            store.close().await;
            return Ok(ExitCode::from(2));
        }
    };
    let table = plain
        .streams()
        .into_iter()
        .find(|i| i.name == args.stream)
        .map(|i| i.table)
        .ok_or_else(|| anyhow::anyhow!("no stream `{}`", args.stream))?;
    let targets = plain.declarative().base_urls();
    plain.disconnect().await;
    errln!("chaos run `{}`: a fault-free pass first", args.stream);
    let none = Profile::named("none").map_err(anyhow::Error::msg)?;
    let setup = (cli, &spec, &env, &store);
    let baseline = pass(
        setup,
        &targets,
        (&none, args.seed),
        &streams,
        (&args.stream, &table),
    )
    .await?;
    errln!(
        "chaos run `{}`: now with profile `{}`",
        args.stream,
        profile.name
    );
    let faulted = pass(
        setup,
        &targets,
        (&profile, args.seed),
        &streams,
        (&args.stream, &table),
    )
    .await?;
    store.close().await;
    let card = report_card(&args.stream, &profile, &baseline, &faulted);
    if args.json {
        outln!("{}", card);
    } else {
        print_card(&card);
    }
    Ok(if card["landed_once"] == true {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn pass(
    (cli, spec, env, store): (&Cli, &Arc<Spec>, &Env, &OpenStore),
    targets: &BTreeMap<String, url::Url>,
    (profile, seed): (&Profile, u64),
    streams: &[String],
    (stream, table): (&str, &TableSpec),
) -> anyhow::Result<Pass> {
    let mut proxies = Vec::new();
    let mut base_urls = BTreeMap::new();
    for (name, target) in targets {
        let chaos = Chaos::start(
            ChaosConfig {
                target: target.clone(),
                profile: profile.clone(),
                seed,
            },
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await?;
        base_urls.insert(name.clone(), format!("{}/", chaos.url()));
        proxies.push(chaos);
    }
    let source = context::source_with_options(cli, spec.clone(), env, store, (None, base_urls))?;
    let (scratch, _dir) = scratch_store().await?;
    let db = scratch.store();
    let ends = run_streams(&source, &*db, streams, &CancellationToken::new()).await?;
    source.disconnect().await;
    let mut log = Vec::new();
    for chaos in proxies {
        log.extend(chaos.log());
        chaos.shutdown().await;
    }
    let mut rows = BTreeMap::new();
    let mut after: Option<Vec<serde_json::Value>> = None;
    loop {
        let page = db
            .list_records(table, &RecordQuery::export(after.as_deref(), 1000))
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        for r in page {
            rows.insert(serde_json::to_string(&r.key)?, r.raw);
        }
    }
    let quarantined = db.quarantine(Some(stream), 10_000).await?.len() as u64;
    let drift = db
        .drift(Some(stream), 100)
        .await?
        .into_iter()
        .map(|d| format!("{} at {}", d.kind, d.path))
        .collect();
    let now = chrono::Utc::now();
    let alerts = holdfast_engine::alerts::evaluate(spec, &*db, now, now)
        .await?
        .into_iter()
        .filter(|f| f.firing)
        .map(|f| format!("{}: {}", f.rule, f.message))
        .collect();
    scratch.close().await;
    Ok(Pass {
        summary: Summary::of(&log),
        ends,
        rows,
        quarantined,
        drift,
        alerts,
    })
}

fn report_card(stream: &str, profile: &Profile, base: &Pass, run: &Pass) -> serde_json::Value {
    let keys = |p: &Pass| p.rows.keys().cloned().collect::<BTreeSet<_>>();
    let missing = keys(base).difference(&keys(run)).count();
    let extra = keys(run).difference(&keys(base)).count();
    let differ = base
        .rows
        .iter()
        .filter(|(k, raw)| run.rows.get(*k).is_some_and(|r| r != *raw))
        .count();
    let failed: Vec<String> = run
        .ends
        .iter()
        .filter_map(|(name, end)| end.error().map(|e| format!("{name}: {e}")))
        .collect();
    let landed_once = missing == 0 && extra == 0 && differ == 0 && failed.is_empty();
    json!({
        "stream": stream,
        "profile": profile.name,
        "about": profile.about,
        "landed_once": landed_once,
        "records": { "expected": base.rows.len(), "landed": run.rows.len(), "missing": missing, "extra": extra, "differ": differ },
        "requests": { "fault_free": base.summary.requests, "with_faults": run.summary.requests },
        "injected": run.summary.faults,
        "retry_after_violations": run.summary.retry_after_violations,
        "quarantined": run.quarantined,
        "drift": run.drift,
        "alerts": run.alerts,
        "failed": failed,
    })
}

fn print_card(card: &serde_json::Value) {
    let verdict = if card["landed_once"] == true {
        "every record landed once"
    } else {
        "NOT every record landed once"
    };
    outln!(
        "chaos report card: `{}` under `{}` ({})",
        card["stream"].as_str().unwrap_or_default(),
        card["profile"].as_str().unwrap_or_default(),
        card["about"].as_str().unwrap_or_default()
    );
    let r = &card["records"];
    outln!(
        "  records:      {verdict}: {} of {} (missing {}, extra {}, different {})",
        r["landed"],
        r["expected"],
        r["missing"],
        r["extra"],
        r["differ"]
    );
    let q = &card["requests"];
    outln!(
        "  requests:     {} with faults against {} fault-free",
        q["with_faults"],
        q["fault_free"]
    );
    outln!("  injected:     {}", card["injected"]);
    outln!(
        "  Retry-After:  {} request(s) sent before the wait asked for was over",
        card["retry_after_violations"]
    );
    outln!("  quarantined:  {}", card["quarantined"]);
    for (label, key) in [
        ("drift", "drift"),
        ("alert", "alerts"),
        ("failed", "failed"),
    ] {
        let items = card[key].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            outln!("  {label:<13} none");
        }
        for item in items {
            outln!("  {label:<13} {}", item.as_str().unwrap_or_default());
        }
    }
}
