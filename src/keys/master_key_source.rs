//! Where the master key comes from: the environment, a file, or — in development only — a
//! key generated once into the data directory.
use std::path::Path;

use super::KeyStoreError;
use crate::config::Settings;
use crate::crypto::master_key::MasterKey;

/// The master key from `secrets.master_key`, `secrets.master_key_file`, or — in development
/// only, when neither is given — a key generated once into `<data_dir>/master.key`. The
/// boolean tells whether it was just generated (the caller prints a warning).
pub fn load_master_key(settings: &Settings) -> Result<(MasterKey, bool), KeyStoreError> {
    if let Some(secret) = &settings.secrets.master_key {
        return Ok((parse(secret.expose())?, false));
    }
    if let Some(path) = &settings.secrets.master_key_file {
        let text = read(path, Some("secrets.master_key_file"))?;
        return Ok((parse(&text)?, false));
    }
    if settings.is_production() {
        // Settings::validate refuses this too; never fall back to a generated key here.
        return Err(KeyStoreError::NoMasterKey);
    }
    let path = settings.server.data_dir.join("master.key");
    if path.exists() {
        return Ok((parse(&read(&path, None)?)?, false));
    }
    let key = MasterKey::generate();
    write_private_file(&path, key.to_base64().as_bytes()).map_err(|source| {
        KeyStoreError::MasterKeyFile {
            setting: None,
            path: path.clone(),
            source,
        }
    })?;
    Ok((key, true))
}

fn parse(base64: &str) -> Result<MasterKey, KeyStoreError> {
    MasterKey::from_base64(base64).map_err(KeyStoreError::MasterKey)
}

fn read(path: &Path, setting: Option<&'static str>) -> Result<String, KeyStoreError> {
    std::fs::read_to_string(path).map_err(|source| KeyStoreError::MasterKeyFile {
        setting,
        path: path.to_path_buf(),
        source,
    })
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
