//! `windows:`, `windows_apply_to:` and `blackout:` of a schedule: what
//! checks, and the located errors (with a fix) of what does not.

use std::path::Path;

use chrono::NaiveDate;
use holdfast_spec::{Blackout, Env, Schedule, Window, WindowsApplyTo, parse_str};

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
    schedule:
{schedule}
"#
    )
}

fn parse(schedule: &str) -> Result<Option<Schedule>, String> {
    parse_str(
        &file(schedule),
        Path::new("holdfast.yaml"),
        &Env::from_map(Default::default()),
    )
    .map(|spec| spec.streams[0].schedule.clone())
    .map_err(|e| e.to_string())
}

fn schedule(yaml: &str) -> Schedule {
    match parse(yaml) {
        Ok(Some(s)) => s,
        other => panic!("expected a schedule: {other:?}"),
    }
}

/// The rendered errors; panics if the file is valid.
fn errors(yaml: &str) -> String {
    match parse(yaml) {
        Ok(s) => panic!("expected errors, got {s:#?}"),
        Err(e) => e,
    }
}

#[test]
fn windows_and_blackouts_check() {
    let s = schedule(
        r#"      every: 1h
      windows:
        - { days: mon-fri, from: "22:00", to: "06:00", timezone: Europe/Berlin }
        - { days: [sat, sun], from: "00:00", to: "24:00" }
      blackout:
        - { from: 2026-12-24, to: 2026-12-27, timezone: Europe/Berlin }
        - { month_end: 2 }"#,
    );
    let c = &s.calendar;
    assert_eq!(c.applies_to, WindowsApplyTo::Heavy);
    assert_eq!(
        c.windows[0],
        Window {
            days: [true, true, true, true, true, false, false],
            from: 22 * 60,
            to: 6 * 60,
            timezone: chrono_tz::Europe::Berlin,
        }
    );
    assert_eq!(
        c.windows[1].days,
        [false, false, false, false, false, true, true]
    );
    assert_eq!(c.windows[1].to, 24 * 60);
    assert_eq!(
        c.blackouts,
        vec![
            Blackout::Dates {
                from: NaiveDate::from_ymd_opt(2026, 12, 24).expect("date"),
                to: NaiveDate::from_ymd_opt(2026, 12, 27).expect("date"),
                timezone: chrono_tz::Europe::Berlin,
            },
            Blackout::MonthEnd {
                days: 2,
                timezone: chrono_tz::UTC,
            },
        ]
    );
    assert_eq!(
        s.to_string(),
        "every 1h; heavy runs in mon-fri 22:00-06:00 Europe/Berlin, sat-sun 00:00-24:00 UTC; \
         blackout 2026-12-24..2026-12-27 Europe/Berlin, the last 2 days of each month UTC"
    );

    // every day by default, wrapping ranges, full names, and every run windowed
    let s = schedule(
        r#"      cron: "0 * * * *"
      windows: [{ from: "01:00", to: "05:30" }, { days: "fri-mon", from: "12:00", to: "13:00" }, { days: [Tuesday], from: "10:00", to: "11:00" }]
      windows_apply_to: all"#,
    );
    assert_eq!(s.calendar.windows[0].days, [true; 7]);
    assert_eq!(
        s.calendar.windows[1].days,
        [true, false, false, false, true, true, true]
    );
    assert_eq!(
        s.calendar.windows[2].days,
        [false, true, false, false, false, false, false]
    );
    assert_eq!(s.calendar.applies_to, WindowsApplyTo::All);
    // a blackout alone
    let s = schedule("      every: 15m\n      blackout: [{ from: 2026-12-31 }]");
    assert!(s.calendar.windows.is_empty());
    assert_eq!(s.calendar.blackouts.len(), 1);
}

#[test]
fn bad_windows_are_located_with_a_fix() {
    insta::assert_snapshot!(
        "unknown_day",
        errors(
            r#"      every: 1h
      windows: [{ days: [mon, tues, frii], from: "22:00", to: "06:00" }]"#
        )
    );
    insta::assert_snapshot!(
        "not_a_time",
        errors(
            r#"      every: 1h
      windows: [{ from: "10pm", to: "25:00" }]"#
        )
    );
    insta::assert_snapshot!(
        "from_equals_to",
        errors(
            r#"      every: 1h
      windows: [{ from: "06:00", to: "06:00" }]"#
        )
    );
    insta::assert_snapshot!(
        "window_unknown_timezone",
        errors(
            r#"      every: 1h
      windows: [{ from: "22:00", to: "06:00", timezone: Europe/Berln }]"#
        )
    );
    insta::assert_snapshot!("no_windows", errors("      every: 1h\n      windows: []"));
    insta::assert_snapshot!(
        "window_without_to",
        errors(
            r#"      every: 1h
      windows: [{ from: "22:00" }]"#
        )
    );
    insta::assert_snapshot!(
        "windows_without_runs",
        errors(r#"      windows: [{ from: "22:00", to: "06:00" }]"#)
    );
    insta::assert_snapshot!(
        "apply_to_unknown",
        errors(
            r#"      every: 1h
      windows: [{ from: "22:00", to: "06:00" }]
      windows_apply_to: incremental"#
        )
    );
    insta::assert_snapshot!(
        "window_typo",
        errors(
            r#"      every: 1h
      windows: [{ from: "22:00", until: "06:00" }]"#
        )
    );
}

#[test]
fn bad_blackouts_are_located_with_a_fix() {
    insta::assert_snapshot!(
        "blackout_backwards",
        errors("      every: 1h\n      blackout: [{ from: 2026-12-27, to: 2026-12-24 }]")
    );
    insta::assert_snapshot!(
        "blackout_not_a_date",
        errors("      every: 1h\n      blackout: [{ from: 24.12.2026 }]")
    );
    insta::assert_snapshot!(
        "month_end_too_long",
        errors("      every: 1h\n      blackout: [{ month_end: 30 }]")
    );
    insta::assert_snapshot!(
        "blackout_both_forms",
        errors("      every: 1h\n      blackout: [{ month_end: 2, from: 2026-12-24 }]")
    );
    insta::assert_snapshot!(
        "blackout_empty",
        errors("      every: 1h\n      blackout: [{ timezone: UTC }]")
    );
}
