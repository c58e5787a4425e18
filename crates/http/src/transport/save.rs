//! Streaming a body to a file with a size limit: memory holds one chunk at
//! a time, whatever the file's size.

use std::path::Path;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;

use super::body::BodyError;

/// How many bytes of a saved file are kept in memory, for messages.
const HEAD: usize = 512;

/// Why a body was not saved.
#[derive(Debug)]
pub(crate) enum SaveError {
    /// Reading failed or the body was over the limit.
    Body(BodyError),
    /// The file could not be written.
    File(std::io::Error),
}

/// Writes `response`'s body (decompressed when the answer said
/// `Content-Encoding`) to `path`, created or truncated, while it stays within
/// `limit` bytes. Returns the bytes written and the file's first bytes.
pub(crate) async fn save(
    mut response: reqwest::Response,
    path: &Path,
    limit: u64,
) -> Result<(u64, Bytes), SaveError> {
    if let Some(length) = response.content_length()
        && length > limit
    {
        return Err(SaveError::Body(BodyError::TooLarge {
            declared: Some(length),
        }));
    }
    let file = tokio::fs::File::create(path)
        .await
        .map_err(SaveError::File)?;
    let mut out = tokio::io::BufWriter::with_capacity(256 * 1024, file);
    let mut head = Vec::new();
    let mut total = 0u64;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| SaveError::Body(BodyError::Read(e)))?
    {
        total += chunk.len() as u64;
        if total > limit {
            return Err(SaveError::Body(BodyError::TooLarge { declared: None }));
        }
        if head.len() < HEAD {
            let take = (HEAD - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        out.write_all(&chunk).await.map_err(SaveError::File)?;
    }
    out.flush().await.map_err(SaveError::File)?;
    out.into_inner().sync_all().await.map_err(SaveError::File)?;
    Ok((total, Bytes::from(head)))
}
