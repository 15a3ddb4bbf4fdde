//! Where the commands connect: a real OpenD (address and RSA key from the flags, else the
//! config), or the embedded simulator for `--demo`. `capflow fetch`, `capflow record` and the
//! dashboard all resolve their target here, so `--demo` means the same thing everywhere.
//!
//! This module reads files (the RSA key) and starts the demo simulator: it sits with the commands
//! at the top of the layers, never below them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::OpendArgs;
use crate::failure::Failure;
use crate::opend::ConnectOptions;
use crate::wire::crypto::RsaKey;

/// An RSA key file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file cannot be read.
    #[error("cannot read RSA key file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a usable key.
    #[error("RSA key file {}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        source: crate::wire::crypto::CryptoError,
    },
}

/// Reads OpenD's RSA private key (PEM, PKCS#1 or PKCS#8, 1024-bit) from a file.
pub fn load_rsa_key(path: &Path) -> Result<Arc<RsaKey>, KeyFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    RsaKey::from_pem(&text)
        .map(Arc::new)
        .map_err(|source| KeyFileError::Parse {
            path: path.to_owned(),
            source,
        })
}

/// Where to connect: a real OpenD, or the embedded simulator for `--demo`.
pub struct Target {
    /// Connection options.
    pub options: ConnectOptions,
    /// The embedded simulator, when `--demo`.
    pub sim: Option<crate::sim::SimHandle>,
    /// A line saying the data is simulated, when it is.
    pub note: Option<String>,
}

impl Target {
    /// Starts the demo simulator, or takes the address and key from the flags, else the config.
    pub async fn resolve(
        args: &OpendArgs,
        config: &crate::config::Config,
    ) -> Result<Target, Failure> {
        // The config's key belongs to the configured OpenD, not to the demo simulator.
        let key_path = if args.demo {
            args.rsa_key.as_deref()
        } else {
            args.rsa_key
                .as_deref()
                .or(config.opend.rsa_private_key.as_deref())
        };
        let rsa_key = key_path
            .map(load_rsa_key)
            .transpose()
            .map_err(Failure::input)?;
        if args.demo {
            let (mut cfg, note) = crate::sim::demo_config(chrono::Utc::now());
            // The demo simulator serves with the same key, so `--demo --rsa-key` exercises
            // the encrypted path end to end.
            cfg.rsa_key.clone_from(&rsa_key);
            let sim = crate::sim::start(cfg)
                .await
                .map_err(|e| Failure::Other(anyhow::anyhow!("cannot start the simulator: {e}")))?;
            let mut options = ConnectOptions::new(sim.addr().to_string());
            options.rsa_key = rsa_key;
            return Ok(Target {
                options,
                sim: Some(sim),
                note: Some(note),
            });
        }
        let addr = args.opend.clone().unwrap_or_else(|| config.opend_addr());
        check_addr(&addr)?;
        let mut options = ConnectOptions::new(addr);
        options.rsa_key = rsa_key;
        Ok(Target {
            options,
            sim: None,
            note: None,
        })
    }
}

/// Checks a HOST:PORT string.
pub fn check_addr(addr: &str) -> Result<(), Failure> {
    let bad = || {
        Failure::input(format!(
            "invalid OpenD address {addr:?}: expected HOST:PORT such as 127.0.0.1:11111"
        ))
    };
    let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || port.parse::<u16>().map_or(true, |p| p == 0) {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert!(check_addr("127.0.0.1:11111").is_ok());
        assert!(check_addr("opend.local:1").is_ok());
        for bad in ["127.0.0.1", ":11111", "host:0", "host:99999", "host:x"] {
            assert_eq!(check_addr(bad).unwrap_err().exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn key_files_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        assert!(
            load_rsa_key(&missing)
                .unwrap_err()
                .to_string()
                .contains("cannot read RSA key file")
        );
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a key").unwrap();
        let e = load_rsa_key(&junk).unwrap_err().to_string();
        assert!(
            e.contains("junk.pem") && e.contains("not an RSA private key"),
            "{e}"
        );
    }
}
