//! [`FaultProfile::parse`] and [`FaultProfile::preset`]: fault specs as users type them.

use std::time::Duration;

use super::profile::{Fault, FaultProfile};

/// Every valid key, for error messages.
const KEYS: &str = "429, 500, 503, slow, dropped, html, error_body, malformed, truncated \
                    (rates), retry_after, slow_delay, down (settings)";
/// Every preset name, for error messages.
const PRESETS: &str = "none, flaky, mixed, down30, lying";

impl FaultProfile {
    /// Parses a comma-separated spec of `kind=rate` and settings, e.g.
    /// `429=10%,500=0.05,slow=1%,slow_delay=3s,retry_after=date,down=5s+30s`.
    ///
    /// - kinds: `429`, `500`, `503`, `slow`, `dropped`, `html`, `error_body`, `malformed`,
    ///   `truncated`; a rate is `0..=1` or a percentage `0%..=100%`, and all rates together
    ///   may not pass 1;
    /// - `retry_after=2s` (a duration) or `retry_after=date` (send the HTTP-date form);
    /// - `slow_delay=3s`; `down=5s+30s` (starts 5 s after server start, lasts 30 s).
    ///
    /// Durations take `ms`, `s`, `m`, `h` (`1m30s`, `500ms`). An empty spec injects nothing.
    ///
    /// # Errors
    /// A message naming the bad part and, for unknown keys, listing the valid ones.
    pub fn parse(spec: &str) -> Result<FaultProfile, String> {
        let mut profile = FaultProfile::default();
        let mut seen: Vec<&str> = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                let hint = if FaultProfile::preset(part).is_some() {
                    format!("; `{part}` is a preset, pass it alone as one")
                } else {
                    format!("; valid keys: {KEYS}; presets: {PRESETS}")
                };
                return Err(format!(
                    "invalid fault `{part}`: expected `kind=rate`{hint}"
                ));
            };
            let (key, value) = (key.trim(), value.trim());
            if seen.contains(&key) {
                return Err(format!("invalid fault `{part}`: `{key}` is given twice"));
            }
            seen.push(key);
            let bad = |why: String| format!("invalid fault `{part}`: {why}");
            match key {
                "retry_after" if value == "date" => profile.retry_after_http_date = true,
                "retry_after" => profile.retry_after = duration(value).map_err(bad)?,
                "slow_delay" => profile.slow_delay = duration(value).map_err(bad)?,
                "down" => {
                    let (after, lasts) = value.split_once('+').ok_or_else(|| {
                        bad(format!(
                            "expected `down=AFTER+LASTS`, e.g. `down=5s+30s`, got `{value}`"
                        ))
                    })?;
                    profile.down = Some((
                        duration(after.trim()).map_err(bad)?,
                        duration(lasts.trim()).map_err(bad)?,
                    ));
                }
                kind => {
                    let fault = Fault::DRAWN
                        .into_iter()
                        .find(|f| f.name() == kind)
                        .ok_or_else(|| bad(format!("unknown key `{kind}`; valid keys: {KEYS}")))?;
                    if let Some(slot) = profile.rate_mut(fault) {
                        *slot = rate(value).map_err(bad)?;
                    }
                }
            }
        }
        let total: f64 = Fault::DRAWN.iter().map(|&f| profile.rate(f)).sum();
        if total > 1.0 + 1e-9 {
            return Err(format!(
                "invalid faults `{spec}`: the rates add up to {:.0}%, more than 100%",
                total * 100.0
            ));
        }
        Ok(profile)
    }

    /// A named profile:
    ///
    /// | name | faults |
    /// |---|---|
    /// | `none` | nothing |
    /// | `flaky` | 429 10%, 500 10% |
    /// | `mixed` | 500 10%, 503 10%, 429 10%, slow 5%, html 3%, error_body 2% |
    /// | `down30` | every data request gets 503 for the first 30 s |
    /// | `lying` | html 10%, error_body 10%, malformed 5%, truncated 5% |
    ///
    /// `None` for any other name.
    pub fn preset(name: &str) -> Option<FaultProfile> {
        let none = FaultProfile::default();
        Some(match name {
            "none" => none,
            "flaky" => FaultProfile {
                too_many: 0.10,
                server_error: 0.10,
                ..none
            },
            "mixed" => FaultProfile {
                server_error: 0.10,
                unavailable: 0.10,
                too_many: 0.10,
                slow: 0.05,
                html: 0.03,
                error_body: 0.02,
                ..none
            },
            "down30" => FaultProfile {
                down: Some((Duration::ZERO, Duration::from_secs(30))),
                ..none
            },
            "lying" => FaultProfile {
                html: 0.10,
                error_body: 0.10,
                malformed: 0.05,
                truncated: 0.05,
                ..none
            },
            _ => return None,
        })
    }
}

/// `0.2` or `20%`, within `0..=1`.
fn rate(value: &str) -> Result<f64, String> {
    let (number, scale) = match value.strip_suffix('%') {
        Some(percent) => (percent.trim(), 100.0),
        None => (value, 1.0),
    };
    let rate = number
        .parse::<f64>()
        .ok()
        .map(|n| n / scale)
        .filter(|r| (0.0..=1.0).contains(r))
        .ok_or_else(|| {
            format!("invalid rate `{value}`: expected 0..=1 or a percentage like `20%`")
        })?;
    Ok(rate)
}

/// A duration such as `2s`, `500ms` or `1m30s`.
pub(crate) fn duration(value: &str) -> Result<Duration, String> {
    humantime::parse_duration(value)
        .map_err(|_| format!("invalid duration `{value}`: expected e.g. `2s` or `500ms`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let got = FaultProfile::parse(
            " 429=10%, 500=0.05,503=5%,slow=0.01,dropped=1%,html=2%,error_body=3%,\
             malformed=4%,truncated=5%,retry_after=2s,slow_delay=300ms,down=5s+30s",
        )
        .expect("valid");
        let want = FaultProfile {
            too_many: 0.10,
            server_error: 0.05,
            unavailable: 0.05,
            slow: 0.01,
            dropped: 0.01,
            html: 0.02,
            error_body: 0.03,
            malformed: 0.04,
            truncated: 0.05,
            retry_after: Duration::from_secs(2),
            slow_delay: Duration::from_millis(300),
            down: Some((Duration::from_secs(5), Duration::from_secs(30))),
            retry_after_http_date: false,
        };
        assert_eq!(got, want);
        let date = FaultProfile::parse("retry_after=date").expect("valid");
        assert!(date.retry_after_http_date);
        assert_eq!(FaultProfile::parse(""), Ok(FaultProfile::default()));
    }

    #[test]
    fn errors_name_the_bad_part() {
        let cases = [
            ("429=10%,bogus=1", "`bogus=1`", "error_body"),
            ("500=2", "`500=2`", "0..=1"),
            ("500=120%", "`500=120%`", "percentage"),
            ("slow=x", "`slow=x`", "`x`"),
            ("slow_delay=soon", "`slow_delay=soon`", "`soon`"),
            ("down=5s", "`down=5s`", "AFTER+LASTS"),
            ("down=5s+ever", "`down=5s+ever`", "`ever`"),
            ("html", "`html`", "kind=rate"),
            ("flaky", "`flaky`", "preset"),
            ("500=1%,500=2%", "`500=2%`", "twice"),
            ("500=60%,503=60%", "add up to 120%", "100%"),
        ];
        for (spec, part, hint) in cases {
            let error = FaultProfile::parse(spec).expect_err(spec);
            assert!(error.contains(part), "{spec}: {error}");
            assert!(error.contains(hint), "{spec}: {error}");
        }
    }

    #[test]
    fn presets() {
        for name in PRESETS.split(", ") {
            let preset = FaultProfile::preset(name).expect(name);
            let total: f64 = Fault::DRAWN.iter().map(|&f| preset.rate(f)).sum();
            assert!(total <= 1.0, "{name}");
        }
        let mixed = FaultProfile::preset("mixed").expect("mixed");
        assert!((mixed.server_error + mixed.unavailable - 0.2).abs() < 1e-9);
        assert!(FaultProfile::preset("none").expect("none").is_none());
        assert_eq!(FaultProfile::preset("chaos"), None);
    }
}
