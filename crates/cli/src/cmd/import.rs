//! `holdfast import har|openapi FILE [-o FILE]`: a connector file from a
//! browser capture or an OpenAPI document. What the importer writes is
//! checked by the same parser as `holdfast check` before it is written, and
//! written whole (beside, then renamed) or not at all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use holdfast_import::openapi::{OpenApiOptions, import_openapi};
use holdfast_import::{Draft, GraphFormat, HarOptions, import_har};
use holdfast_spec::Env;

use crate::cli::{GraphArg, ImportAction, ImportArgs, ImportHarArgs, ImportOpenApiArgs};

pub(crate) async fn run(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    match &args.action {
        ImportAction::Har(a) => har(a),
        ImportAction::Openapi(a) => openapi(a),
    }
}

fn openapi(args: &ImportOpenApiArgs) -> anyhow::Result<ExitCode> {
    let Some(bytes) = read(&args.file) else {
        return Ok(ExitCode::from(2));
    };
    let Ok(text) = String::from_utf8(bytes) else {
        errln!(
            "error: {}: not UTF-8 text: an OpenAPI document is JSON or YAML",
            args.file.display()
        );
        return Ok(ExitCode::from(2));
    };
    let options = OpenApiOptions {
        tag: args.tag.clone(),
        name: args.connection.clone(),
    };
    let mut import = match import_openapi(&text, &options) {
        Ok(import) => import,
        Err(e) => {
            errln!("error: {}: {e}", args.file.display());
            return Ok(ExitCode::from(2));
        }
    };
    errln!(
        "  {} stream(s); {} operation(s) not streams{}",
        import.draft.streams.len(),
        import.skipped.len(),
        if import.other_tags > 0 {
            format!("; {} left out by --tag", import.other_tags)
        } else {
            String::new()
        }
    );
    for s in import.skipped.iter().take(SKIPPED_SHOWN) {
        errln!("  not a stream: {}: {}", s.operation, s.reason);
    }
    if import.skipped.len() > SKIPPED_SHOWN {
        errln!(
            "  … and {} more (the file's header lists them)",
            import.skipped.len() - SKIPPED_SHOWN
        );
    }
    if let Some(url) = &args.base_url {
        if let Err(e) = url::Url::parse(url) {
            errln!(
                "error: --base-url {url}: not a URL ({e}): write it whole, e.g. https://api.example.com"
            );
            return Ok(ExitCode::from(2));
        }
        for c in &mut import.draft.connections {
            c.base_url_note = format!("given with --base-url (the document's: {})", c.base_url);
            c.base_url = url.clone();
        }
    }
    let text = import.draft.to_yaml();
    emit(&import.draft, &text, args.out.as_deref(), args.force)
}

/// How many skipped operations the report names.
const SKIPPED_SHOWN: usize = 10;

fn har(args: &ImportHarArgs) -> anyhow::Result<ExitCode> {
    let Some(bytes) = read(&args.file) else {
        return Ok(ExitCode::from(2));
    };
    let options = HarOptions {
        source_name: file_name(&args.file),
        keep_hosts: args.keep_host.clone(),
        connection: args.connection.clone(),
    };
    let import = match import_har(&bytes, &options) {
        Ok(import) => import,
        Err(e) => {
            errln!("error: {}: {e}", args.file.display());
            return Ok(ExitCode::from(2));
        }
    };
    for line in &import.report {
        errln!("  {}", printable(line));
    }
    errln!("dependency graph:");
    for line in import.graph.render(GraphFormat::Text).lines() {
        errln!("  {}", printable(line));
    }
    if let Some(format) = args.graph {
        let format = match format {
            GraphArg::Text => GraphFormat::Text,
            GraphArg::Mermaid => GraphFormat::Mermaid,
            GraphArg::Dot => GraphFormat::Dot,
        };
        let graph = import.graph.render(format);
        crate::out::stdout(format_args!("{}", printable_lines(&graph)));
        if args.out.is_none() {
            return Ok(ExitCode::SUCCESS);
        }
    }
    emit(&import.draft, &import.text, args.out.as_deref(), args.force)
}

/// Checks the connector text as `holdfast check` would, then writes it to
/// `out` (or standard output).
fn emit(draft: &Draft, text: &str, out: Option<&Path>, force: bool) -> anyhow::Result<ExitCode> {
    let shown = out.map_or_else(|| PathBuf::from("connector.yaml"), Path::to_path_buf);
    let vars: BTreeMap<String, String> = draft
        .envs
        .iter()
        .map(|e| (e.name.clone(), "imported".to_owned()))
        .collect();
    let secrets = draft
        .secrets
        .iter()
        .map(|s| (s.name.clone(), "imported".to_owned()))
        .collect();
    let env = Env::from_map(vars).with_secrets(secrets);
    if let Err(errors) = holdfast_spec::parse_str(text, &shown, &env) {
        errln!("{errors}");
        errln!(
            "error: the imported connector does not pass `holdfast check` (a bug in the importer): nothing was written"
        );
        return Ok(ExitCode::FAILURE);
    }
    let Some(path) = out else {
        crate::out::stdout(format_args!("{text}"));
        return Ok(ExitCode::SUCCESS);
    };
    if path.exists() && !force {
        errln!(
            "error: {} exists: pass --force to replace it, or choose another --out",
            path.display()
        );
        return Ok(ExitCode::from(2));
    }
    let temp = path.with_extension("yaml.importing");
    std::fs::write(&temp, text)
        .and_then(|()| std::fs::rename(&temp, path))
        .with_context(|| {
            format!(
                "writing the connector to {}: check that its folder exists and is writable",
                path.display()
            )
        })?;
    let streams: Vec<&str> = draft.streams.iter().map(|s| s.name.as_str()).collect();
    errln!(
        "wrote {}: {} stream(s) ({})",
        path.display(),
        streams.len(),
        streams.join(", ")
    );
    for s in &draft.secrets {
        errln!(
            "  set secret `{}`: printf '%s' \"$VALUE\" | holdfast secrets set {} --config {}",
            s.name,
            s.name,
            path.display()
        );
    }
    for e in &draft.envs {
        errln!("  set environment variable {}: {}", e.name, e.why);
    }
    errln!("next: holdfast check --config {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// A line from a capture, safe for a terminal: control characters (an
/// escape sequence in a captured path, say) are shown escaped.
fn printable(line: &str) -> String {
    line.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// [`printable`] per line, newlines kept.
fn printable_lines(text: &str) -> String {
    text.lines().map(|l| printable(l) + "\n").collect()
}

fn read(path: &Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            errln!("error: reading {}: {e}", path.display());
            None
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
