//! A redirect out of the connection's origin: followed without credentials
//! to an allowed host, refused anywhere else.
//!
//! reqwest's own policy follows redirects within the origin (and drops only
//! `Authorization` and `Cookie` when it leaves it, not an `X-Api-Key` or the
//! connection's other headers), so the transport stops it at the origin's
//! edge and decides here.

use reqwest::header::LOCATION;

use super::Transport;
use crate::scope::Reach;
use crate::{HttpError, HttpErrorKind, HttpRequest, Method};

/// `response` itself unless it is a redirect that the policy stopped at the
/// scope's edge; then the allowed host's answer (fetched without the
/// request's headers, credentials or body), or a [`HttpErrorKind::Refused`].
pub(super) async fn elsewhere(
    transport: &Transport,
    request: &HttpRequest,
    response: reqwest::Response,
) -> Result<reqwest::Response, HttpError> {
    let status = response.status();
    if !status.is_redirection() {
        return Ok(response);
    }
    let Some(target) = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|location| response.url().join(location).ok())
    else {
        return Ok(response);
    };
    let scope = &transport.config.scope;
    let reach = scope.reach(&target);
    let keeps_method = request.method != Method::Get && status.as_u16() != 303;
    match reach {
        Reach::Own => Ok(response),
        Reach::Allowed if !keeps_method => {
            tracing::info!(
                connection = %transport.connection,
                to = %transport.redactor.url(&target),
                "following a redirect to an allowed host without the connection's credentials"
            );
            transport
                .bare
                .get(target)
                .send()
                .await
                .map_err(|e| transport.send_error(request, &e))
        }
        _ => {
            let why = if reach == Reach::Allowed {
                format!(
                    "was redirected ({status}) to {}, an allowed host: a {} is not sent \
                     again to another host",
                    transport.redactor.url(&target),
                    request.method.as_str()
                )
            } else {
                format!(
                    "was redirected ({status}) to {}, outside connection `{}`'s origin {}: \
                     not followed, so its credentials stay there. If that host is expected \
                     (pre-signed download links, say), list it under the connection's \
                     `allowed_hosts:`",
                    transport.redactor.url(&target),
                    transport.connection,
                    scope.origin()
                )
            };
            Err(transport.fail(request, HttpErrorKind::Refused, Some(status.as_u16()), &why))
        }
    }
}
