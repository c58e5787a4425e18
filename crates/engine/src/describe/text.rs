//! Markdown building blocks for the runbook, and how values of the
//! connector file are shown: templates as written, credentials never.

use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_spec::{Method, Template};

/// A Markdown document being written, line by line.
#[derive(Debug, Default)]
pub(super) struct Doc {
    out: String,
}

impl Doc {
    /// One line of text.
    pub(super) fn line(&mut self, text: impl AsRef<str>) {
        self.out.push_str(text.as_ref());
        self.out.push('\n');
    }

    /// An empty line (never two in a row).
    pub(super) fn blank(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// A heading of `level` (1 = `#`), with blank lines around it.
    pub(super) fn heading(&mut self, level: usize, text: impl AsRef<str>) {
        self.blank();
        self.line(format!("{} {}", "#".repeat(level), text.as_ref()));
        self.blank();
    }

    /// A bullet: `- **label**: text`.
    pub(super) fn item(&mut self, label: &str, text: impl AsRef<str>) {
        self.line(format!("- **{label}**: {}", text.as_ref()));
    }

    /// A table: the header row, then `rows` (cells escaped).
    pub(super) fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        self.blank();
        self.line(format!("| {} |", header.join(" | ")));
        self.line(format!(
            "|{}|",
            header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
        ));
        for row in rows {
            let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
            self.line(format!("| {} |", cells.join(" | ")));
        }
        self.blank();
    }

    /// The document, ending in exactly one newline.
    pub(super) fn finish(self) -> String {
        let mut out = self.out.trim_end().to_owned();
        out.push('\n');
        out
    }
}

/// `text` as inline code, whatever backticks it holds.
pub(super) fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// A table cell: one line, `|` escaped.
fn cell(text: &str) -> String {
    text.replace('\n', " ").replace('|', "\\|")
}

/// `30s`, `5m`, `1h 30m`, `7d`, `250ms`: the units the connector file uses.
pub(super) fn dur(d: Duration) -> String {
    let secs = d.as_secs();
    let ms = d.subsec_millis();
    if secs == 0 {
        return if ms == 0 {
            "0s".to_owned()
        } else {
            format!("{ms}ms")
        };
    }
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3_600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
    ];
    let mut out: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if ms > 0 {
        out.push(format!("{ms}ms"));
    }
    out.join(" ")
}

/// `2026-12-04 02:29:37 UTC`.
pub(super) fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `every 15m (jitter 2m)`, `cron "0 6 * * *" in Europe/Berlin`.
pub(super) fn schedule(s: &holdfast_spec::Schedule) -> String {
    let mut out = match &s.trigger {
        holdfast_spec::Trigger::Every(every) => format!("every {}", dur(*every)),
        holdfast_spec::Trigger::Cron {
            expression,
            timezone,
        } => format!("cron {} in {}", code(expression), timezone.name()),
    };
    if !s.jitter.is_zero() {
        out.push_str(&format!(" (jitter {})", dur(s.jitter)));
    }
    out
}

/// `GET`, `POST`, …
pub(super) fn method(m: Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
    }
}

/// Where a credential comes from, never its value: `secret `crm_token``,
/// `env `CRM_TOKEN``, or a warning that the file holds it literally.
pub(super) fn credential(t: &Template) -> String {
    let mut from: Vec<String> = holdfast_spec::template_reads(&t.source, "secret")
        .iter()
        .map(|s| format!("secret {}", code(s)))
        .collect();
    from.extend(
        holdfast_spec::template_reads(&t.source, "env")
            .iter()
            .map(|v| format!("env {}", code(v))),
    );
    if from.is_empty() {
        if t.is_literal() {
            "a literal in the connector file (not shown; move it to a secret: \
             `holdfast secrets set NAME` and `{{ secret.NAME }}`)"
                .to_owned()
        } else {
            "a template (not shown)".to_owned()
        }
    } else {
        from.join(" + ")
    }
}

/// A header or parameter value: as written, unless its name says it
/// carries a credential (then only where it comes from).
pub(super) fn value(name: &str, t: &Template) -> String {
    if sensitive(name) {
        credential(t)
    } else {
        code(&t.source)
    }
}

/// `name: value` pairs, shown with [`value`], comma-separated.
pub(super) fn pairs(list: &[(String, Template)]) -> String {
    list.iter()
        .map(|(name, t)| format!("{} = {}", code(name), value(name, t)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a header or parameter named `name` likely carries a credential.
fn sensitive(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "auth",
        "key",
        "token",
        "secret",
        "password",
        "cookie",
        "signature",
        "session",
        "sig",
    ]
    .iter()
    .any(|word| name.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_show_where_they_come_from_never_a_value() {
        let secret = Template::new("Bearer {{ secret.crm_token }}");
        assert_eq!(credential(&secret), "secret `crm_token`");
        let env = Template::new("{{ env.CRM_KEY }}");
        assert_eq!(value("X-Api-Key", &env), "env `CRM_KEY`");
        let literal = Template::new("s3cr3t-literal");
        assert!(!value("Authorization", &literal).contains("s3cr3t"));
        assert_eq!(value("Api-Version", &Template::new("2024")), "`2024`");
    }

    #[test]
    fn durations_in_the_files_units() {
        assert_eq!(dur(Duration::from_secs(7 * 86_400)), "7d");
        assert_eq!(dur(Duration::from_secs(5_400)), "1h 30m");
        assert_eq!(dur(Duration::from_millis(250)), "250ms");
        assert_eq!(dur(Duration::ZERO), "0s");
    }

    #[test]
    fn documents_have_single_blank_lines_and_escaped_cells() {
        let mut doc = Doc::default();
        doc.heading(1, "T");
        doc.blank();
        doc.table(&["a"], &[vec!["x|y\nz".to_owned()]]);
        assert_eq!(doc.finish(), "# T\n\n| a |\n|---|\n| x\\|y z |\n");
    }
}
