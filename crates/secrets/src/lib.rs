//! Secrets at rest: the key that protects them, and sealing each value with
//! XChaCha20-Poly1305 before it is stored.
//!
//! - [`KeySource`] says where the key is: `HOLDFAST_SECRET_KEY` (the base64
//!   of 32 bytes) or a key file (`HOLDFAST_SECRET_KEY_FILE`, default
//!   `.holdfast/secret.key`). [`KeySource::load`] reads it;
//!   [`KeySource::load_or_create`] also creates a missing key file (mode
//!   0600, its folder 0700). A key file readable by group or others is refused.
//! - [`seal`] encrypts a value under its secret's name: a random 24-byte
//!   nonce, then the ciphertext and tag. The name is the associated data, so
//!   a sealed value moved to another name does not open.
//! - [`open`] decrypts it into a [`SecretValue`]. A wrong key or an altered
//!   value is an error that names the secret, never its value.
//!
//! No type here shows a key or a value in `Debug`, and no error carries one.
//!
//! ```
//! use holdfast_secrets::{Key, open, seal};
//!
//! let key = Key::generate().expect("system random numbers");
//! let sealed = seal(&key, "crm_token", b"s3cr3t").expect("sealed");
//! assert_eq!(open(&key, "crm_token", &sealed).expect("opens").expose(), "s3cr3t");
//! assert!(open(&key, "other_name", &sealed).is_err());
//! ```
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

mod error;
mod key;
mod name;
mod seal;

pub use error::SecretsError;
pub use key::{DEFAULT_KEY_FILE, KEY_ENV, KEY_FILE_ENV, KEY_LEN, Key, KeySource};
pub use name::check_name;
pub use seal::{NONCE_LEN, SecretValue, open, seal};
