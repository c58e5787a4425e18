//! Opaque page tokens: "continue after this `updated_at`", base64url-encoded.
//!
//! Offsets are unique, so a token is a keyset position: a walk stays correct even when
//! contacts are touched between pages (a touched contact shows up again at the end).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

/// The token for "offsets >= `from`".
pub(crate) fn encode(from: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("hf1:{from}"))
}

/// Reads a token issued by [`encode`]; `param` names the parameter in the error.
///
/// # Errors
/// 400 if `token` is not one this server issued.
pub(crate) fn decode(param: &str, token: &str) -> Result<u64, ApiError> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("hf1:")?.parse().ok())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "invalid `{param}`: `{token}` is not a token this server issued"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_junk() {
        assert_eq!(decode("cursor", &encode(1234)), Ok(1234));
        for junk in ["", "!!", "abc", &URL_SAFE_NO_PAD.encode("hf1:x")] {
            assert!(decode("cursor", junk).is_err_and(|e| e.message.contains("`cursor`")));
        }
    }
}
