//! Where the master key comes from: the environment, a file, or — in development only — a
//! key generated once into the data directory.
use std::path::Path;

use super::key_store::KeyStoreError;
use super::master_key::{KeyError, MasterKey};
use crate::config::Settings;

/// The master key from `secrets.master_key`, `secrets.master_key_file`, or — in development
/// only, when neither is given — a key generated once into `<data_dir>/master.key`. The
/// boolean tells whether it was just generated (the caller prints a warning).
pub fn load_master_key(settings: &Settings) -> Result<(MasterKey, bool), KeyStoreError> {
    let bad = |e: KeyError| KeyStoreError::MasterKey(e.to_string());
    if let Some(secret) = &settings.secrets.master_key {
        return Ok((MasterKey::from_base64(secret.expose()).map_err(bad)?, false));
    }
    if let Some(path) = &settings.secrets.master_key_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            KeyStoreError::MasterKey(format!("secrets.master_key_file {}: {e}", path.display()))
        })?;
        return Ok((MasterKey::from_base64(&text).map_err(bad)?, false));
    }
    if settings.is_production() {
        // Settings::validate refuses this too; never fall back to a generated key here.
        return Err(KeyStoreError::MasterKey(
            "production needs FERRID__SECRETS__MASTER_KEY or secrets.master_key_file".into(),
        ));
    }
    let path = settings.server.data_dir.join("master.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| KeyStoreError::MasterKey(format!("{}: {e}", path.display())))?;
        return Ok((MasterKey::from_base64(&text).map_err(bad)?, false));
    }
    let key = MasterKey::generate();
    write_private_file(&path, key.to_base64().as_bytes())
        .map_err(|e| KeyStoreError::MasterKey(format!("{}: {e}", path.display())))?;
    Ok((key, true))
}

/// Creates a file readable by its owner only.
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}
