//! `schedule:` of a stream: what checks, and the located errors of what does not.

use std::path::Path;
use std::time::Duration;

use holdfast_spec::{Env, Schedule, Trigger, parse_str};

fn file(schedule: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: https://crm.example.com
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts }}
    records: "$.data[*]"
    primary_key: id
    schedule: {schedule}
"#
    )
}

fn schedule(yaml: &str) -> Option<Schedule> {
    let spec = parse_str(
        &file(yaml),
        Path::new("holdfast.yaml"),
        &Env::from_map(Default::default()),
    )
    .unwrap_or_else(|e| panic!("expected a valid file:\n{e}"));
    spec.streams[0].schedule.clone()
}

/// The rendered errors; panics if the file is valid.
fn errors(yaml: &str) -> String {
    match parse_str(
        &file(yaml),
        Path::new("holdfast.yaml"),
        &Env::from_map(Default::default()),
    ) {
        Ok(spec) => panic!("expected errors, got {:#?}", spec.streams[0].schedule),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_and_cron_check() {
    let every = schedule("{ every: 15m, jitter: 2m }").expect("a schedule");
    assert_eq!(every.trigger, Trigger::Every(Duration::from_secs(900)));
    assert_eq!(every.jitter, Duration::from_secs(120));
    assert_eq!(every.to_string(), "every 15m (jitter 2m)");

    let cron = schedule(r#"{ cron: "*/5 * * * *", timezone: Europe/Berlin, jitter: 30s }"#)
        .expect("a schedule");
    assert_eq!(
        cron.trigger,
        Trigger::Cron {
            expression: "*/5 * * * *".to_owned(),
            timezone: chrono_tz::Europe::Berlin,
        }
    );
    assert_eq!(
        cron.to_string(),
        "cron \"*/5 * * * *\" Europe/Berlin (jitter 30s)"
    );

    let utc = schedule(r#"{ cron: "0 6 * * 1-5" }"#).expect("a schedule");
    assert_eq!(utc.jitter, Duration::ZERO);
    assert!(matches!(
        utc.trigger,
        Trigger::Cron {
            timezone: chrono_tz::Tz::UTC,
            ..
        }
    ));
}

#[test]
fn no_schedule_is_none() {
    let spec = parse_str(
        &file("{ every: 1h }").replace("    schedule: { every: 1h }\n", ""),
        Path::new("holdfast.yaml"),
        &Env::from_map(Default::default()),
    )
    .expect("valid");
    assert_eq!(spec.streams[0].schedule, None);
}

#[test]
fn bad_schedules_are_located_with_a_fix() {
    insta::assert_snapshot!(
        "both_every_and_cron",
        errors(r#"{ every: 5m, cron: "* * * * *" }"#)
    );
    insta::assert_snapshot!("neither", errors("{ jitter: 5m }"));
    insta::assert_snapshot!(
        "jitter_not_below_interval",
        errors("{ every: 5m, jitter: 5m }")
    );
    insta::assert_snapshot!("bad_cron", errors(r#"{ cron: "61 * * * *" }"#));
    insta::assert_snapshot!(
        "unknown_timezone",
        errors(r#"{ cron: "0 6 * * *", timezone: Europe/Berln }"#)
    );
    insta::assert_snapshot!(
        "cron_jitter_too_long",
        errors(r#"{ cron: "*/5 * * * *", jitter: 10m }"#)
    );
    insta::assert_snapshot!(
        "timezone_with_every",
        errors("{ every: 1h, timezone: UTC }")
    );
    insta::assert_snapshot!("too_short", errors("{ every: 100ms }"));
    insta::assert_snapshot!("typo", errors("{ evry: 1h }"));
    insta::assert_snapshot!("never_fires", errors(r#"{ cron: "0 0 30 2 *" }"#));
}
