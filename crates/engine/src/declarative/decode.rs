//! The decode step of a page: a body in the stream's `format:` becomes one
//! JSON value, so that `records:` and the pagination JSONPaths apply to it.

use holdfast_http::HttpResponse;
use holdfast_spec::{Format, Stream};
use serde_json::Value;

use crate::SourceError;

/// True when the HTTP stack should parse (and classify) bodies as JSON:
/// the stream's format is `json`.
pub(crate) fn expects_json(stream: &Stream) -> bool {
    matches!(stream.format, Format::Json)
}

/// The page's body as one value: parsed already for `json`; otherwise
/// (gzip, zlib or zip unpacked by their first bytes) decoded on the
/// blocking pool. A body that does not decode fails the page, with the
/// URL and the line, before anything of it is written.
pub(crate) async fn page_value(
    stream: &Stream,
    response: &mut HttpResponse,
    shown_url: &str,
) -> Result<Value, SourceError> {
    if expects_json(stream) {
        return Ok(response.json.take().unwrap_or(Value::Null));
    }
    refuse_other_media(&stream.format, response, shown_url)?;
    let format = stream.format.clone();
    let body = response.body.clone();
    let decoded = tokio::task::spawn_blocking(move || holdfast_decode::page_body(&format, &body))
        .await
        .map_err(|e| SourceError::Other(format!("{shown_url}: decoding the body failed: {e}")))?;
    decoded.map_err(|source| SourceError::Decode {
        url: shown_url.to_owned(),
        format: stream.format.name(),
        source,
    })
}

/// An HTML page, or JSON where CSV or XML is expected, is an answer about
/// something else (a login page, an error object), not data.
fn refuse_other_media(
    format: &Format,
    response: &HttpResponse,
    shown_url: &str,
) -> Result<(), SourceError> {
    let Some(content_type) = response.content_type() else {
        return Ok(());
    };
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let other = media == "text/html"
        || (matches!(format, Format::Csv(_) | Format::Xml(_))
            && (media == "application/json" || media.ends_with("+json")));
    if !other {
        return Ok(());
    }
    Err(SourceError::Other(format!(
        "{shown_url}: answered {} with {media} where the stream's `format: {}` was \
         expected; body starts: {}",
        response.status,
        format.name(),
        holdfast_http::excerpt(&response.body, 200)
    )))
}
