//! Content-addressed storage for uploaded files.
//!
//! A blob is named by the SHA-256 of its bytes, never by anything a user chose, so a file name
//! in an upload cannot reach the file system, and the same bytes uploaded twice are kept once.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The SHA-256 of a blob's bytes, in lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(String);

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("not a blob id: {0:?}")]
    BadId(String),
    #[error("blob {0} not found")]
    NotFound(String),
    #[error("blob store i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl BlobId {
    /// Accepts only 64 lowercase hex digits, so an id can never name another path.
    pub fn parse(s: &str) -> Result<BlobId, BlobError> {
        if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(BlobId(s.to_string()))
        } else {
            Err(BlobError::BadId(s.chars().take(80).collect()))
        }
    }

    pub fn of(bytes: &[u8]) -> BlobId {
        BlobId(hex::encode(Sha256::digest(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where uploaded files live. A folder by default; an object store can implement this later.
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Stores `bytes` and returns their id. Storing the same bytes again is a no-op.
    fn put(&self, bytes: &[u8]) -> Result<BlobId, BlobError>;
    fn get(&self, id: &BlobId) -> Result<Vec<u8>, BlobError>;
    fn exists(&self, id: &BlobId) -> bool;
}

/// A blob store in a folder: `ROOT/ab/cdef…` (two-level fan-out keeps folders small).
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    pub fn open(root: impl Into<PathBuf>) -> Result<FsBlobStore, BlobError> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(FsBlobStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, id: &BlobId) -> PathBuf {
        self.root.join(&id.0[..2]).join(&id.0[2..])
    }
}

impl BlobStore for FsBlobStore {
    fn put(&self, bytes: &[u8]) -> Result<BlobId, BlobError> {
        let id = BlobId::of(bytes);
        let path = self.path_of(&id);
        if path.exists() {
            return Ok(id);
        }
        let dir = self.root.join(&id.0[..2]);
        std::fs::create_dir_all(&dir)?;
        // Write to a temporary name and rename, so a crash never leaves a partial blob
        // under a valid id.
        let tmp = dir.join(format!(".{}.{}.tmp", &id.0[2..], uuid::Uuid::new_v4()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)?;
        Ok(id)
    }

    fn get(&self, id: &BlobId) -> Result<Vec<u8>, BlobError> {
        match std::fs::read(self.path_of(id)) {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(BlobError::NotFound(id.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn exists(&self, id: &BlobId) -> bool {
        self.path_of(id).exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_by_content_and_refuses_paths() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        let a = store.put(b"hello").unwrap();
        let b = store.put(b"hello").unwrap();
        assert_eq!(a, b);
        assert_eq!(store.get(&a).unwrap(), b"hello");
        assert!(BlobId::parse("../../etc/passwd").is_err());
        assert!(BlobId::parse(&"A".repeat(64)).is_err());
        assert!(BlobId::parse(a.as_str()).is_ok());
        let missing = BlobId::of(b"other");
        assert!(matches!(store.get(&missing), Err(BlobError::NotFound(_))));
    }
}
