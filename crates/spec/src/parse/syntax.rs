//! YAML syntax errors placed where the mistake is, not where the parser
//! gave up: a tab in the indentation, and a `{`, `[` or quote that is never
//! closed (the parser notices only at a later line).

use crate::error::Diagnostic;

/// The first line up to `error_line` (1-based; all lines when unknown)
/// indented with a tab: YAML allows only spaces there.
pub(super) fn tab_indent(text: &str, error_line: Option<usize>) -> Option<Diagnostic> {
    let last = error_line.unwrap_or(usize::MAX);
    text.lines().enumerate().take(last).find_map(|(i, line)| {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let column = line[..indent].find('\t')?;
        // a tab after the indentation, inside a value, is fine; one in a
        // blank or comment line is ignored by YAML
        let rest = line[indent..].trim_start();
        if rest.is_empty() || rest.starts_with('#') {
            return None;
        }
        Some(
            Diagnostic::new(
                format!(
                    "line {} is indented with a tab; YAML allows only spaces",
                    i + 1
                ),
                "",
            )
            .at(i + 1, column + 1)
            .with_help(
                "indent with spaces (e.g. two per level); set your editor to insert spaces for Tab",
            ),
        )
    })
}

/// For "did not find expected ',' or '}', while parsing a flow mapping at
/// line L column C" (and flow lists, quoted strings): the opening character
/// at L:C is not closed.
pub(super) fn unclosed(message: &str, text: &str) -> Option<Diagnostic> {
    const OPENERS: [(&str, &str); 3] = [
        ("while parsing a flow mapping at ", "}"),
        ("while parsing a flow sequence at ", "]"),
        ("while scanning a quoted scalar at ", ""),
    ];
    let (rest, closer) = OPENERS
        .iter()
        .find_map(|(context, closer)| Some((message.split_once(context)?.1, *closer)))?;
    let (line, column) = line_column(rest)?;
    let opener = text
        .lines()
        .nth(line.checked_sub(1)?)
        .and_then(|l| l.chars().nth(column.checked_sub(1)?))?;
    let closer = if closer.is_empty() {
        opener.to_string()
    } else {
        closer.to_owned()
    };
    let help = match opener {
        '{' => {
            "close it with `}` after its last `key: value`; every pair inside is separated by `,`"
        }
        '[' => "close it with `]` after its last item; items inside are separated by `,`",
        _ => "close the string with the same quote it opens with",
    };
    Some(
        Diagnostic::new(
            format!(
                "the `{opener}` opened at {line}:{column} is not closed (no `{closer}` follows)"
            ),
            "",
        )
        .at(line, column)
        .with_help(help),
    )
}

/// `line L column C…` → (L, C).
fn line_column(text: &str) -> Option<(usize, usize)> {
    let rest = text.strip_prefix("line ")?;
    let (line, rest) = rest.split_once(" column ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.parse().ok()?, digits.parse().ok()?))
}
