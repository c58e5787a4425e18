//! Sealing a value under its secret's name, and opening it again.

use std::fmt;

use chacha20poly1305::aead::{Aead as _, Generate as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::{Key, SecretsError};

/// The length of the random nonce that starts a sealed value.
pub const NONCE_LEN: usize = 24;
/// The length of the authentication tag that ends one.
const TAG_LEN: usize = 16;

/// Encrypts `plaintext` as secret `name`: a random 24-byte nonce followed by
/// the XChaCha20-Poly1305 ciphertext and tag, with `name` as associated data
/// (the result opens under this name only).
///
/// # Errors
/// [`SecretsError::Random`] when no nonce can be drawn; [`SecretsError::Seal`]
/// for a value too long to encrypt.
pub fn seal(key: &Key, name: &str, plaintext: &[u8]) -> Result<Vec<u8>, SecretsError> {
    let nonce = XNonce::try_generate().map_err(|e| SecretsError::Random(e.to_string()))?;
    let sealed = cipher(key)
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: name.as_bytes(),
            },
        )
        .map_err(|_| SecretsError::Seal {
            name: name.to_owned(),
        })?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Decrypts what [`seal`] made for secret `name`.
///
/// # Errors
/// [`SecretsError::Open`] for another key, another name or altered bytes;
/// [`SecretsError::Truncated`] when `sealed` is too short;
/// [`SecretsError::NotText`] when the value is not UTF-8.
pub fn open(key: &Key, name: &str, sealed: &[u8]) -> Result<SecretValue, SecretsError> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(SecretsError::Truncated {
            name: name.to_owned(),
            len: sealed.len(),
        });
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce = XNonce::try_from(nonce).map_err(|_| SecretsError::Truncated {
        name: name.to_owned(),
        len: sealed.len(),
    })?;
    let plain = cipher(key)
        .decrypt(
            &nonce,
            Payload {
                msg: ciphertext,
                aad: name.as_bytes(),
            },
        )
        .map_err(|_| SecretsError::Open {
            name: name.to_owned(),
        })?;
    let text = String::from_utf8(plain).map_err(|e| {
        // the bytes are secret too: wipe them before giving up
        drop(Zeroizing::new(e.into_bytes()));
        SecretsError::NotText {
            name: name.to_owned(),
        }
    })?;
    Ok(SecretValue(Zeroizing::new(text)))
}

fn cipher(key: &Key) -> XChaCha20Poly1305 {
    let bytes: &chacha20poly1305::Key = key.bytes().into();
    XChaCha20Poly1305::new(bytes)
}

/// An opened secret. Zeroed on drop; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(Zeroizing<String>);

impl SecretValue {
    /// The value, for rendering templates. Never print or log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(REDACTED)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "tok-9f8e7d6c5b4a";

    fn key() -> Key {
        Key::generate().expect("key")
    }

    #[test]
    fn round_trip() {
        let key = key();
        let sealed = seal(&key, "crm_token", VALUE.as_bytes()).expect("sealed");
        assert_eq!(sealed.len(), NONCE_LEN + VALUE.len() + TAG_LEN);
        assert!(!sealed.windows(VALUE.len()).any(|w| w == VALUE.as_bytes()));
        let opened = open(&key, "crm_token", &sealed).expect("opens");
        assert_eq!(opened.expose(), VALUE);
        assert_eq!(format!("{opened:?}"), "SecretValue(REDACTED)");
        let again = seal(&key, "crm_token", VALUE.as_bytes()).expect("sealed");
        assert_ne!(sealed, again, "a fresh nonce each time");
        assert_eq!(
            open(&key, "e", &seal(&key, "e", b"").expect("empty"))
                .expect("opens")
                .expose(),
            ""
        );
    }

    #[test]
    fn wrong_key_names_the_secret_not_the_value() {
        let sealed = seal(&key(), "crm_token", VALUE.as_bytes()).expect("sealed");
        let e = open(&key(), "crm_token", &sealed).expect_err("another key");
        assert!(matches!(e, SecretsError::Open { .. }));
        let text = e.to_string();
        assert!(
            text.contains("secret `crm_token`") && text.contains("another key"),
            "{text}"
        );
        assert!(!text.contains(VALUE));
    }

    #[test]
    fn wrong_name_does_not_open() {
        let key = key();
        let sealed = seal(&key, "crm_token", VALUE.as_bytes()).expect("sealed");
        let e = open(&key, "erp_token", &sealed).expect_err("moved to another name");
        assert!(e.to_string().contains("secret `erp_token`"), "{e}");
    }

    #[test]
    fn any_tampered_byte_is_refused() {
        let key = key();
        let sealed = seal(&key, "crm_token", VALUE.as_bytes()).expect("sealed");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(
                matches!(
                    open(&key, "crm_token", &bad),
                    Err(SecretsError::Open { .. })
                ),
                "byte {i}"
            );
        }
        let e = open(&key, "crm_token", &sealed[..NONCE_LEN + 3]).expect_err("short");
        assert!(matches!(e, SecretsError::Truncated { len: 27, .. }), "{e}");
    }
}
