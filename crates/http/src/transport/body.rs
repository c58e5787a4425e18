//! Reading a body with a size limit, so memory stays bounded whatever the
//! upstream sends (a 1 GB answer, an endless stream, a decompression bomb).

use bytes::{Bytes, BytesMut};

/// Why a body was not read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Over the limit: declared so by `Content-Length`, or found so while reading.
    TooLarge {
        /// The `Content-Length`, when it already said so.
        declared: Option<u64>,
    },
    /// The network failed while reading.
    Read(reqwest::Error),
}

/// Reads `response`'s body (decompressed) while it stays within `limit` bytes;
/// stops at the first byte over it. Memory never holds much more than the
/// body itself: a declared length is allocated once (untouched pages cost
/// nothing), chunks of an undeclared one are joined once at the end.
pub(crate) async fn read(mut response: reqwest::Response, limit: u64) -> Result<Bytes, BodyError> {
    let declared = response.content_length();
    if let Some(length) = declared
        && length > limit
    {
        return Err(BodyError::TooLarge {
            declared: Some(length),
        });
    }
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0u64;
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        total += chunk.len() as u64;
        if total > limit {
            return Err(BodyError::TooLarge { declared: None });
        }
        chunks.push(chunk);
    }
    Ok(match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.swap_remove(0),
        _ => {
            let mut body = BytesMut::with_capacity(usize::try_from(total).unwrap_or(0));
            for chunk in chunks {
                body.extend_from_slice(&chunk);
            }
            body.freeze()
        }
    })
}

/// `bytes` for people: `64.0 MB`.
pub(super) fn human(bytes: u64) -> String {
    bytesize::ByteSize(bytes).display().si().to_string()
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge { .. } => f.write_str("the body is larger than holdfast reads"),
            BodyError::Read(e) => write!(f, "the body was cut off ({e})"),
        }
    }
}
