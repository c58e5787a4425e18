//! `holdfast mock`: the built-in fake CRM, for trying connectors out.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::anyhow;
use holdfast_mock::{FaultProfile, MockAuth, MockConfig, MockRateLimit, MockServer};

use crate::cli::MockArgs;

pub(crate) async fn run(args: &MockArgs) -> anyhow::Result<ExitCode> {
    let faults = match &args.faults {
        None => FaultProfile::default(),
        Some(spec) => match FaultProfile::preset(spec) {
            Some(preset) => preset,
            None => FaultProfile::parse(spec).map_err(|e| anyhow!("--faults: {e}"))?,
        },
    };
    let rate_limit = args
        .rate_limit
        .as_deref()
        .map(MockRateLimit::parse)
        .transpose()
        .map_err(|e| anyhow!("--rate-limit: {e}"))?;
    let auth = match (&args.require_bearer, &args.require_login) {
        (Some(token), _) => Some(MockAuth::Bearer(token.clone())),
        (None, Some(login)) => {
            let (username, password) = login.split_once(':').ok_or_else(|| {
                anyhow!(
                    "--require-login: expected USER:PASSWORD, e.g. `--require-login ada:s3cret`"
                )
            })?;
            Some(MockAuth::Session {
                username: username.to_owned(),
                password: password.to_owned(),
                requests_per_session: args.session_requests,
            })
        }
        (None, None) => None,
    };
    let config = MockConfig {
        records: args.records,
        seed: args.seed,
        latency: Duration::from_millis(args.latency_ms),
        auth,
        faults,
        rate_limit,
        bad_every: args.bad_every,
        slow_first_write: (args.slow_first_write_ms > 0)
            .then(|| Duration::from_millis(args.slow_first_write_ms)),
        ..MockConfig::default()
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let server = MockServer::start(config, addr).await?;
    outln!(
        "mock CRM API on {} ({}, seed {})",
        server.url(),
        crate::plural::count(args.records, "contact"),
        args.seed
    );
    outln!("  try: curl '{}/v2/contacts?limit=2'", server.url());
    outln!(
        "  styles: /cursor /next_url /offset /page /link_header /none + /contacts; stats: /_mock/stats"
    );
    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
