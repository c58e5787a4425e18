//! What can go wrong with the key and sealed values; no variant carries a
//! key or a secret value.

use std::path::PathBuf;

/// A problem with the secret key or a sealed secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretsError {
    /// The key (from `from`) is not base64.
    #[error(
        "the secret key in {from} is not valid base64: it must be the base64 of 32 random bytes \
         (make one with `openssl rand -base64 32`)"
    )]
    KeyEncoding {
        /// Where the key came from (`HOLDFAST_SECRET_KEY`, a key file).
        from: String,
    },
    /// The key (from `from`) decodes to the wrong number of bytes.
    #[error(
        "the secret key in {from} is {len} bytes long, not 32: it must be the base64 of 32 random \
         bytes (make one with `openssl rand -base64 32`)"
    )]
    KeyLength {
        /// Where the key came from.
        from: String,
        /// How many bytes it decoded to.
        len: usize,
    },
    /// The key file could not be read.
    #[error("cannot read the secret key file {}: {source}; check its path (HOLDFAST_SECRET_KEY_FILE) and permissions", path.display())]
    KeyFileRead {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The key file (or its folder) could not be created.
    #[error("cannot create the secret key file {}: {source}; check that its folder is writable, or set HOLDFAST_SECRET_KEY_FILE to another path", path.display())]
    KeyFileCreate {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The key file may be read by other users.
    #[error(
        "the secret key file {} can be read by group or others (mode {mode:04o}): \
         restrict it with `chmod 600 {}`",
        path.display(), path.display()
    )]
    KeyFilePermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The system's random number generator failed.
    #[error("the system's random number generator failed: {0}; try again")]
    Random(String),
    /// A value could not be sealed (it is far too long).
    #[error("secret `{name}` cannot be encrypted: the value is too long")]
    Seal {
        /// The secret's name.
        name: String,
    },
    /// A sealed value did not open: another key, or altered bytes.
    #[error(
        "secret `{name}` cannot be decrypted: it was sealed with another key, or its stored bytes \
         were altered; use the key it was set with (HOLDFAST_SECRET_KEY or the key file), or set \
         it again with `holdfast secrets set {name}`"
    )]
    Open {
        /// The secret's name.
        name: String,
    },
    /// A sealed value is too short to be one.
    #[error(
        "secret `{name}` is damaged in the store ({len} bytes, too short to be sealed); \
         set it again with `holdfast secrets set {name}`"
    )]
    Truncated {
        /// The secret's name.
        name: String,
        /// Its length.
        len: usize,
    },
    /// A secret opened but is not UTF-8 text.
    #[error("secret `{name}` is not UTF-8 text; set it again with `holdfast secrets set {name}`")]
    NotText {
        /// The secret's name.
        name: String,
    },
    /// A secret name that templates cannot read.
    #[error(
        "`{name}` cannot be a secret name: use letters, digits and `_`, starting with a letter \
         or `_`, at most 128 characters (e.g. `crm_token`), so that `{{{{ secret.NAME }}}}` can read it"
    )]
    BadName {
        /// The name given.
        name: String,
    },
}
