//! The only window onto files: the [`FileStore`] trait, and [`MemoryStore`], an in-memory
//! implementation for tests, the web explorer and runtimes without a filesystem.

use crate::target::StorePath;
use crate::Timestamp;
use alloc::vec::Vec;
use alloc::string::String;

/// Is a path a file or a directory?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
}

/// What a store knows about one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    /// File or directory.
    pub kind: Kind,
    /// Length in bytes (0 for directories).
    pub len: u64,
    /// Last modification time, whole seconds since the Unix epoch.
    pub modified: Timestamp,
    /// Sub-second part of the modification time, for ETags that change within a second.
    pub modified_nanos: u32,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's own name (one segment, no slashes).
    pub name: String,
    /// Its metadata.
    pub meta: Metadata,
}

/// Why a store could not do what was asked. Mapped to a status by
/// [`StoreError::status`]: 403, 404, 409, 500 or 507.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// The path does not exist (404).
    NotFound,
    /// The store may not touch this path, e.g. a symlink leading out of the root (403).
    Forbidden,
    /// A file stands where a directory is needed, or the reverse (409).
    Conflict,
    /// No space left for the upload (507).
    NoSpace,
    /// The store is read-only (405).
    ReadOnly,
    /// Any other failure (500).
    Io,
}

impl StoreError {
    /// The status a server answers this error with.
    #[must_use]
    pub fn status(self) -> u16 {
        match self {
            StoreError::NotFound => 404,
            StoreError::Forbidden => 403,
            StoreError::Conflict => 409,
            StoreError::NoSpace => 507,
            StoreError::ReadOnly => 405,
            StoreError::Io => 500,
        }
    }
}

impl core::fmt::Display for StoreError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            StoreError::NotFound => "not found",
            StoreError::Forbidden => "forbidden",
            StoreError::Conflict => "a file and a directory are in each other's way",
            StoreError::NoSpace => "no space left",
            StoreError::ReadOnly => "the store is read-only",
            StoreError::Io => "input/output error",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for StoreError {}

/// An upload in progress: bytes go in with `write`, and nothing is visible at the target
/// until `commit`. Dropping it without `commit` abandons it and leaves no trace.
pub trait Upload {
    /// Appends bytes.
    fn write(&mut self, data: &[u8]) -> Result<(), StoreError>;
    /// Makes the whole upload visible at its target at once, replacing what was there.
    fn commit(self) -> Result<(), StoreError>;
}

/// Metadata, listing, reading and writing of files under one root. Paths are
/// [`StorePath`]s, which cannot name anything outside the root.
pub trait FileStore {
    /// An upload in progress.
    type Upload: Upload;
    /// Metadata of a path, `Ok(None)` when it does not exist.
    fn metadata(&self, path: &StorePath) -> Result<Option<Metadata>, StoreError>;
    /// The entries of a directory, in any order.
    fn list(&self, dir: &StorePath) -> Result<Vec<DirEntry>, StoreError>;
    /// `len` bytes of a file from offset `start`.
    fn read(&self, path: &StorePath, start: u64, len: u64) -> Result<Vec<u8>, StoreError>;
    /// Starts an upload to `path`; missing parent directories are created on commit.
    fn begin_upload(&self, path: &StorePath) -> Result<Self::Upload, StoreError>;
    /// Removes a file.
    fn remove(&self, path: &StorePath) -> Result<(), StoreError>;
    /// Whether writes are refused (PUT and DELETE then answer 405).
    fn is_read_only(&self) -> bool {
        false
    }
}
