//! `holdfast alerts`: every alert rule of the file evaluated now against the
//! store, firing or ok, with the sentence that says why.

use std::process::ExitCode;

use chrono::Utc;
use holdfast_spec::Env;

use crate::cli::{AlertsArgs, Cli};
use crate::context::{load_spec_from, open_store_to_read};

pub(crate) async fn run(cli: &Cli, args: &AlertsArgs) -> anyhow::Result<ExitCode> {
    let mut env = Env::from_process();
    let store = open_store_to_read(cli).await?;
    let Some(spec) = load_spec_from(cli, &mut env, &store).await else {
        store.close().await;
        return Ok(ExitCode::from(2));
    };
    let now = Utc::now();
    // only what the store shows counts: no process has been watching
    let findings = holdfast_engine::alerts::evaluate(&spec, &*store, now, now).await;
    store.close().await;
    let findings = findings?;
    if args.json {
        outln!("{}", serde_json::json!({ "alerts": findings }));
        return Ok(ExitCode::SUCCESS);
    }
    if spec.alerts.is_empty() {
        outln!(
            "no alert rules in {}: add some, e.g.\n  alerts:\n    - {{ rule: no_records, stream: contacts, for: 1h }}\n    - {{ rule: error_rate, above: 5%, for: 10m }}\n  notify: [ {{ webhook: \"{{{{ env.ALERT_URL }}}}\" }} ]",
            spec.origin.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let firing = findings.iter().filter(|f| f.known && f.firing).count();
    for f in &findings {
        let state = match (f.known, f.firing) {
            (false, _) => "no data",
            (true, true) => "FIRING",
            (true, false) => "ok",
        };
        outln!("{state:<7} {:<15} {:<20} {}", f.rule, f.subject, f.message);
    }
    outln!(
        "{firing} firing, {} ok, {} without data ({})",
        findings.iter().filter(|f| f.known && !f.firing).count(),
        findings.iter().filter(|f| !f.known).count(),
        crate::plural::count(spec.alerts.len(), "rule")
    );
    Ok(ExitCode::SUCCESS)
}
