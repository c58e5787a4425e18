//! The secret key: where it comes from, reading it, creating a key file.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::Generate as _;
use zeroize::{Zeroize as _, Zeroizing};

use crate::SecretsError;

/// The environment variable holding the key itself (base64 of 32 bytes).
pub const KEY_ENV: &str = "HOLDFAST_SECRET_KEY";
/// The environment variable naming the key file.
pub const KEY_FILE_ENV: &str = "HOLDFAST_SECRET_KEY_FILE";
/// The key file used when neither variable is set (relative to the current directory).
pub const DEFAULT_KEY_FILE: &str = ".holdfast/secret.key";
/// The key's length in bytes.
pub const KEY_LEN: usize = 32;

/// A 256-bit key. Zeroed on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct Key(Zeroizing<[u8; KEY_LEN]>);

/// Where the key is: the key itself in `HOLDFAST_SECRET_KEY`, or a key file.
///
/// `Display` names the place (`HOLDFAST_SECRET_KEY`, or the file's path);
/// `Debug` never shows the key.
#[derive(Clone)]
pub enum KeySource {
    /// The base64 text of `HOLDFAST_SECRET_KEY`.
    Env(Zeroizing<String>),
    /// A key file holding the base64 text.
    File(PathBuf),
}

impl KeySource {
    /// From the process environment: `HOLDFAST_SECRET_KEY` when set and not
    /// empty, else the file `HOLDFAST_SECRET_KEY_FILE`, else [`DEFAULT_KEY_FILE`].
    pub fn from_env() -> KeySource {
        KeySource::from_vars(
            std::env::var(KEY_ENV).ok(),
            std::env::var_os(KEY_FILE_ENV).map(PathBuf::from),
        )
    }

    /// As [`KeySource::from_env`], from given values of the two variables.
    pub fn from_vars(key: Option<String>, file: Option<PathBuf>) -> KeySource {
        match key.map(Zeroizing::new) {
            Some(key) if !key.trim().is_empty() => KeySource::Env(key),
            _ => KeySource::File(
                file.filter(|f| !f.as_os_str().is_empty())
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_KEY_FILE)),
            ),
        }
    }

    /// The key, or `None` when it would come from a key file that does not exist.
    ///
    /// # Errors
    /// A key that is not base64 of 32 bytes, an unreadable key file, or one
    /// readable by group or others.
    pub fn load(&self) -> Result<Option<Key>, SecretsError> {
        match self {
            KeySource::Env(text) => Key::from_base64(text, KEY_ENV).map(Some),
            KeySource::File(path) => Key::load_file(path),
        }
    }

    /// The key, creating the key file when it is missing (see
    /// [`Key::load_or_create`]); the path is returned when a file was created.
    ///
    /// # Errors
    /// As [`KeySource::load`], or the key file cannot be created.
    pub fn load_or_create(&self) -> Result<(Key, Option<PathBuf>), SecretsError> {
        match self {
            KeySource::Env(text) => Ok((Key::from_base64(text, KEY_ENV)?, None)),
            KeySource::File(path) => {
                let (key, created) = Key::load_or_create(path)?;
                Ok((key, created.then(|| path.clone())))
            }
        }
    }
}

impl Key {
    /// A new random key.
    ///
    /// # Errors
    /// [`SecretsError::Random`] when the system's random number generator fails.
    pub fn generate() -> Result<Key, SecretsError> {
        let mut fresh = chacha20poly1305::Key::try_generate()
            .map_err(|e| SecretsError::Random(e.to_string()))?;
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        bytes.copy_from_slice(&fresh);
        fresh.as_mut_slice().zeroize();
        Ok(Key(bytes))
    }

    /// Reads a key from base64 `text` (surrounding whitespace ignored);
    /// `from` names where it came from, for messages.
    ///
    /// # Errors
    /// [`SecretsError::KeyEncoding`] or [`SecretsError::KeyLength`]; neither shows the text.
    pub fn from_base64(text: &str, from: &str) -> Result<Key, SecretsError> {
        let decoded = Zeroizing::new(STANDARD.decode(text.trim()).map_err(|_| {
            SecretsError::KeyEncoding {
                from: from.to_owned(),
            }
        })?);
        if decoded.len() != KEY_LEN {
            return Err(SecretsError::KeyLength {
                from: from.to_owned(),
                len: decoded.len(),
            });
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        bytes.copy_from_slice(&decoded);
        Ok(Key(bytes))
    }

    /// The key as base64 text (what `HOLDFAST_SECRET_KEY` and key files hold).
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(*self.0))
    }

    /// Reads the key file at `path`; `None` when it does not exist.
    ///
    /// # Errors
    /// The file cannot be read, is readable by group or others, or does not
    /// hold the base64 of 32 bytes.
    pub fn load_file(path: &Path) -> Result<Option<Key>, SecretsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => Zeroizing::new(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(SecretsError::KeyFileRead {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        check_private(path)?;
        let from = format!("the key file {}", path.display());
        Key::from_base64(&text, &from).map(Some)
    }

    /// Reads the key file at `path`, or creates it with a new key: the file
    /// with mode 0600, a missing folder with mode 0700. True when created.
    ///
    /// # Errors
    /// As [`Key::load_file`], or the file cannot be created.
    pub fn load_or_create(path: &Path) -> Result<(Key, bool), SecretsError> {
        if let Some(key) = Key::load_file(path)? {
            return Ok((key, false));
        }
        let key = Key::generate()?;
        match write_new(path, &key) {
            Ok(()) => Ok((key, true)),
            // created by another process meanwhile: use that one
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let key = Key::load_file(path)?.ok_or_else(|| SecretsError::KeyFileCreate {
                    path: path.to_owned(),
                    source: e,
                })?;
                Ok((key, false))
            }
            Err(source) => Err(SecretsError::KeyFileCreate {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// The raw bytes, for the cipher.
    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(REDACTED)")
    }
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Env(_) => f.write_str(KEY_ENV),
            KeySource::File(path) => write!(f, "the key file {}", path.display()),
        }
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Env(_) => f.write_str("KeySource::Env(REDACTED)"),
            KeySource::File(path) => f.debug_tuple("KeySource::File").field(path).finish(),
        }
    }
}

/// Creates `path` (failing if it exists) holding `key`, private to its owner.
fn write_new(path: &Path, key: &Key) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let mut text = key.to_base64();
    text.push('\n');
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Refuses a key file that group or others may read or write.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), SecretsError> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::metadata(path).map_err(|source| SecretsError::KeyFileRead {
        path: path.to_owned(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(SecretsError::KeyFilePermissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// Other systems have no mode bits to check.
#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), SecretsError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_32_bytes_only() {
        let key = Key::generate().expect("key");
        let text = key.to_base64();
        let again = Key::from_base64(&format!(" {}\n", *text), KEY_ENV).expect("reads back");
        assert_eq!(again.bytes(), key.bytes());

        let short = STANDARD.encode([7u8; 16]);
        let e = Key::from_base64(&short, KEY_ENV).expect_err("16 bytes");
        assert!(e.to_string().contains("16 bytes long, not 32"), "{e}");
        assert!(!e.to_string().contains(&short), "{e}");

        let e = Key::from_base64("not base64!", KEY_ENV).expect_err("not base64");
        assert!(
            e.to_string()
                .contains("HOLDFAST_SECRET_KEY is not valid base64"),
            "{e}"
        );
        assert!(!e.to_string().contains("not base64!"), "{e}");
    }

    #[test]
    fn debug_hides_the_key() {
        let key = Key::generate().expect("key");
        assert_eq!(format!("{key:?}"), "Key(REDACTED)");
        let source = KeySource::from_vars(Some(key.to_base64().to_string()), None);
        assert!(!format!("{source:?}{source}").contains(key.to_base64().as_str()));
        assert_eq!(source.to_string(), "HOLDFAST_SECRET_KEY");
    }

    #[test]
    fn source_prefers_the_variable_then_the_file() {
        let file = Some(PathBuf::from("/k/file.key"));
        assert!(matches!(
            KeySource::from_vars(Some("abc".into()), file.clone()),
            KeySource::Env(_)
        ));
        assert!(matches!(
            KeySource::from_vars(Some(" ".into()), file.clone()),
            KeySource::File(p) if p == Path::new("/k/file.key")
        ));
        assert!(matches!(
            KeySource::from_vars(None, None),
            KeySource::File(p) if p == Path::new(DEFAULT_KEY_FILE)
        ));
    }

    #[test]
    fn creates_a_private_key_file_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(".holdfast/secret.key");
        assert!(Key::load_file(&path).expect("missing is fine").is_none());
        let (key, created) = Key::load_or_create(&path).expect("created");
        assert!(created);
        let (again, created) = Key::load_or_create(&path).expect("read");
        assert!(!created);
        assert_eq!(key.bytes(), again.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().expect("dir")), 0o700);
        }
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_key_file_others_can_read() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("secret.key");
        Key::load_or_create(&path).expect("created");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = Key::load_file(&path).expect_err("readable by others");
        let text = e.to_string();
        assert!(
            text.contains("mode 0644") && text.contains("chmod 600"),
            "{text}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        assert!(
            Key::load_or_create(&path).is_err(),
            "group-readable is refused too"
        );
    }

    #[test]
    fn a_bad_key_file_names_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("secret.key");
        Key::load_or_create(&path).expect("created");
        std::fs::write(&path, "short").expect("overwrite");
        let e = Key::load_file(&path).expect_err("bad");
        assert!(e.to_string().contains("secret.key"), "{e}");
    }
}
