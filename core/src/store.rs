//! The only window onto files: the [`FileStore`] trait, and [`MemoryStore`], an in-memory
//! implementation for tests, the web explorer and runtimes without a filesystem.

use crate::target::StorePath;
use crate::Timestamp;
use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

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

/// What [`FileStore::list`] found in a directory.
///
/// Cheap to clone (the entries are shared), so a store may keep one for a moment and give
/// it to every request for the same folder: with [`Listed::prepare`] it is sorted and
/// filtered once, and each connection sending it holds only a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listed {
    entries: Rc<[DirEntry]>,
    left_out: usize,
    truncated: bool,
    /// Sorted in listing order, every name linkable ([`Listed::prepare`]).
    prepared: bool,
}

impl Listed {
    /// A directory's entries in any order; `left_out`: names the store found but cannot
    /// give as entries (not UTF-8, say); `truncated`: the store stopped before the end of
    /// the directory (too many entries, or it took too long). The listing says both.
    #[must_use]
    pub fn new(entries: Vec<DirEntry>, left_out: usize, truncated: bool) -> Listed {
        Listed {
            entries: entries.into(),
            left_out,
            truncated,
            prepared: false,
        }
    }

    /// Sorts the entries as a listing of `dir` shows them (folders first, then by name)
    /// and leaves out (counting them) names a listed link could not request. Done once:
    /// a prepared value is returned as it is.
    #[must_use]
    pub fn prepare(self, dir: &StorePath) -> Listed {
        if self.prepared {
            return self;
        }
        let mut entries = self.entries.to_vec();
        let before = entries.len();
        crate::listing::keep_linkable(dir, &mut entries);
        entries.sort_unstable_by(|a, b| {
            (a.meta.kind != Kind::Dir)
                .cmp(&(b.meta.kind != Kind::Dir))
                .then_with(|| a.name.cmp(&b.name))
        });
        Listed {
            left_out: self.left_out + (before - entries.len()),
            entries: entries.into(),
            truncated: self.truncated,
            prepared: true,
        }
    }

    /// The entries (in listing order once prepared).
    #[must_use]
    pub fn entries(&self) -> &[DirEntry] {
        &self.entries
    }

    /// How many names are not given as entries.
    #[must_use]
    pub fn left_out(&self) -> usize {
        self.left_out
    }

    /// Whether the store stopped before the end of the directory.
    #[must_use]
    pub fn truncated(&self) -> bool {
        self.truncated
    }
}

/// Why a store could not do what was asked. Mapped to a status by
/// [`StoreError::status`]: 403, 404, 405, 409, 414, 500, 503 or 507.
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
    /// A name (or the whole path) is longer than the store can hold (414).
    NameTooLong,
    /// Out of a passing resource, such as file descriptors: try again later (503).
    Unavailable,
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
            // RFC 9110 §15.5.15: the target is longer than the server can interpret.
            StoreError::NameTooLong => 414,
            StoreError::Unavailable => 503,
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
            StoreError::NameTooLong => "a name is too long for the store",
            StoreError::Unavailable => "temporarily out of resources",
            StoreError::Io => "input/output error",
        })
    }
}

impl core::error::Error for StoreError {}

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
    fn list(&self, dir: &StorePath) -> Result<Listed, StoreError>;
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

/// One node of a [`MemoryStore`].
#[derive(Debug, Clone)]
enum Node {
    File {
        data: Rc<Vec<u8>>,
        modified: Timestamp,
        nanos: u32,
    },
    Dir {
        modified: Timestamp,
    },
}

impl Node {
    fn meta(&self) -> Metadata {
        match self {
            Node::File {
                data,
                modified,
                nanos,
            } => Metadata {
                kind: Kind::File,
                len: data.len() as u64,
                modified: *modified,
                modified_nanos: *nanos,
            },
            Node::Dir { modified } => Metadata {
                kind: Kind::Dir,
                len: 0,
                modified: *modified,
                modified_nanos: 0,
            },
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    /// Every file and directory but the root, keyed by path (`a/b`).
    nodes: BTreeMap<String, Node>,
    /// The time uploads are stamped with.
    now: Timestamp,
    /// Counts changes; stands in for sub-second time so that two versions written in the
    /// same second still get different ETags.
    changes: u32,
    /// Most bytes all files may hold together (`None`: no bound).
    capacity: Option<u64>,
    /// Bytes all files hold together.
    used: u64,
}

impl Inner {
    fn node(&self, path: &StorePath) -> Option<&Node> {
        self.nodes.get(path.as_str())
    }

    fn tick(&mut self) -> u32 {
        self.changes = (self.changes + 1) % 1_000_000_000;
        self.changes
    }

    /// Creates the missing ancestors of `path`; `Conflict` when one of them is a file.
    fn make_parents(&mut self, path: &StorePath, modified: Timestamp) -> Result<(), StoreError> {
        for a in path.ancestors().filter(|a| !a.is_root()) {
            match self.nodes.get(a.as_str()) {
                Some(Node::Dir { .. }) => {}
                Some(Node::File { .. }) => return Err(StoreError::Conflict),
                None => {
                    self.nodes
                        .insert(String::from(a.as_str()), Node::Dir { modified });
                }
            }
        }
        Ok(())
    }

    /// Stores a file. `nanos`: the sub-second part of its time; `None` (an upload) takes
    /// a new value, so that a file replaced within one second gets a new ETag.
    fn put(
        &mut self,
        path: &StorePath,
        data: Vec<u8>,
        modified: Timestamp,
        nanos: Option<u32>,
    ) -> Result<(), StoreError> {
        if path.is_root() || matches!(self.node(path), Some(Node::Dir { .. })) {
            return Err(StoreError::Conflict);
        }
        // Check every ancestor before changing anything, so a failed put leaves no trace.
        if path
            .ancestors()
            .any(|a| matches!(self.node(&a), Some(Node::File { .. })))
        {
            return Err(StoreError::Conflict);
        }
        let old = match self.node(path) {
            Some(Node::File { data, .. }) => data.len() as u64,
            _ => 0,
        };
        let used = self.used - old + data.len() as u64;
        if self.capacity.is_some_and(|c| used > c) {
            return Err(StoreError::NoSpace);
        }
        self.make_parents(path, modified)?;
        self.used = used;
        let nanos = nanos.unwrap_or_else(|| self.tick());
        self.nodes.insert(
            String::from(path.as_str()),
            Node::File {
                data: Rc::new(data),
                modified,
                nanos,
            },
        );
        Ok(())
    }
}

/// A [`FileStore`] in memory: files are bytes with a modification time, directories are
/// created as needed (like `mkdir -p`) or explicitly.
///
/// It is for tests, the web explorer and runtimes without a filesystem. Methods take
/// `&self` (a [`FileStore`] is shared by reference while replies are decided) and use a
/// `RefCell` inside, so it is neither `Send` nor `Sync`. Cloning gives another handle to
/// the same files.
///
/// The store has no clock: uploads are stamped with the time given to
/// [`set_now`](Self::set_now) (the epoch until then).
///
/// ```
/// use simplehttp_core::store::{FileStore, Kind, MemoryStore, Upload};
/// use simplehttp_core::{target::resolve, TargetForm, Timestamp};
/// let store = MemoryStore::new().with_file("docs/a.txt", b"hello", Timestamp(1_000));
/// let docs = resolve("/docs/", TargetForm::Origin).unwrap();
/// assert_eq!(store.metadata(&docs).unwrap().unwrap().kind, Kind::Dir);
///
/// let b = resolve("/docs/b.txt", TargetForm::Origin).unwrap();
/// let mut up = store.begin_upload(&b).unwrap();
/// up.write(b"new").unwrap();
/// assert_eq!(store.metadata(&b).unwrap(), None); // nothing visible before commit
/// up.commit().unwrap();
/// assert_eq!(store.read(&b, 0, 3).unwrap(), b"new");
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Rc<RefCell<Inner>>,
    read_only: Rc<Cell<bool>>,
}

impl MemoryStore {
    /// An empty store (just the root directory).
    #[must_use]
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// Adds a file at `path` (`/`-separated names taken literally, such as `docs/a b.txt`;
    /// a leading `/` is optional), creating its directories, replacing a file
    /// that was there.
    ///
    /// # Panics
    /// When `path` does not resolve to a safe store path, or a file stands where a
    /// directory is needed: this is for building fixtures; use [`insert`](Self::insert) to
    /// get the error instead.
    #[must_use]
    pub fn with_file(self, path: &str, data: &[u8], modified: Timestamp) -> Self {
        if let Err(e) = self.insert(path, data.to_vec(), modified) {
            panic!("MemoryStore::with_file({path:?}): {e}");
        }
        self
    }

    /// Adds a directory at `path` (and its parents), as [`with_file`](Self::with_file).
    ///
    /// # Panics
    /// As [`with_file`](Self::with_file).
    #[must_use]
    pub fn with_dir(self, path: &str, modified: Timestamp) -> Self {
        if let Err(e) = self.insert_dir(path, modified) {
            panic!("MemoryStore::with_dir({path:?}): {e}");
        }
        self
    }

    /// Makes the store refuse writes ([`FileStore::is_read_only`]), or accept them again.
    #[must_use]
    pub fn read_only(self, read_only: bool) -> Self {
        self.read_only.set(read_only);
        self
    }

    /// Bounds the bytes all files may hold together; an upload that would go past it fails
    /// with [`StoreError::NoSpace`].
    #[must_use]
    pub fn with_capacity_limit(self, bytes: u64) -> Self {
        self.inner.borrow_mut().capacity = Some(bytes);
        self
    }

    /// Sets the time that later uploads are stamped with.
    pub fn set_now(&self, now: Timestamp) {
        self.inner.borrow_mut().now = now;
    }

    /// Sets or clears the read-only flag.
    pub fn set_read_only(&self, read_only: bool) {
        self.read_only.set(read_only);
    }

    /// Adds or replaces a file (not refused when read-only: this is how a store is filled),
    /// modified at exactly `modified` (no sub-second part, as a file whose time was set
    /// in whole seconds).
    pub fn insert(&self, path: &str, data: Vec<u8>, modified: Timestamp) -> Result<(), StoreError> {
        let path = parse_path(path)?;
        self.inner.borrow_mut().put(&path, data, modified, Some(0))
    }

    /// Adds a directory and its parents; nothing changes when it exists.
    pub fn insert_dir(&self, path: &str, modified: Timestamp) -> Result<(), StoreError> {
        let path = parse_path(path)?;
        let mut inner = self.inner.borrow_mut();
        match inner.node(&path) {
            Some(Node::Dir { .. }) => return Ok(()),
            Some(Node::File { .. }) => return Err(StoreError::Conflict),
            None if path.is_root() => return Ok(()),
            None => {}
        }
        if path
            .ancestors()
            .any(|a| matches!(inner.node(&a), Some(Node::File { .. })))
        {
            return Err(StoreError::Conflict);
        }
        inner.make_parents(&path, modified)?;
        inner
            .nodes
            .insert(String::from(path.as_str()), Node::Dir { modified });
        Ok(())
    }

    /// The whole content of a file, `None` when it is not one.
    #[must_use]
    pub fn get(&self, path: &str) -> Option<Vec<u8>> {
        let path = parse_path(path).ok()?;
        match self.inner.borrow().node(&path) {
            Some(Node::File { data, .. }) => Some(data.as_ref().clone()),
            _ => None,
        }
    }

    /// Every path in the store (files and directories, not the root), sorted.
    #[must_use]
    pub fn paths(&self) -> Vec<String> {
        self.inner.borrow().nodes.keys().cloned().collect()
    }

    /// Removes a directory and everything under it; `NotFound` when there is none.
    pub fn remove_dir_all(&self, path: &str) -> Result<(), StoreError> {
        let path = parse_path(path)?;
        let mut inner = self.inner.borrow_mut();
        if !matches!(inner.node(&path), Some(Node::Dir { .. })) {
            return Err(StoreError::NotFound);
        }
        let prefix = alloc::format!("{}/", path.as_str());
        let doomed: Vec<String> = inner
            .nodes
            .keys()
            .filter(|k| k.starts_with(&prefix) || **k == path.as_str())
            .cloned()
            .collect();
        for k in doomed {
            if let Some(Node::File { data, .. }) = inner.nodes.remove(&k) {
                inner.used -= data.len() as u64;
            }
        }
        Ok(())
    }
}

/// A literal `/`-separated path (`docs/a b.txt`, no percent-decoding), each segment checked
/// by [`StorePath::join`]; `Forbidden` when one is unsafe.
fn parse_path(path: &str) -> Result<StorePath, StoreError> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .try_fold(StorePath::root(), |p, seg| {
            p.join(seg).ok_or(StoreError::Forbidden)
        })
}

/// An upload to a [`MemoryStore`]: bytes are buffered and appear at the target only on
/// [`commit`](Upload::commit), all at once.
#[derive(Debug)]
pub struct MemoryUpload {
    store: MemoryStore,
    path: StorePath,
    data: Vec<u8>,
}

impl Upload for MemoryUpload {
    fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        let inner = self.store.inner.borrow();
        if let Some(cap) = inner.capacity {
            if inner.used + (self.data.len() + data.len()) as u64
                > cap.saturating_add(self.replaced_len(&inner))
            {
                return Err(StoreError::NoSpace);
            }
        }
        drop(inner);
        self.data.extend_from_slice(data);
        Ok(())
    }

    fn commit(self) -> Result<(), StoreError> {
        if self.store.read_only.get() {
            return Err(StoreError::ReadOnly);
        }
        let mut inner = self.store.inner.borrow_mut();
        let now = inner.now;
        inner.put(&self.path, self.data, now, None)
    }
}

impl MemoryUpload {
    fn replaced_len(&self, inner: &Inner) -> u64 {
        match inner.node(&self.path) {
            Some(Node::File { data, .. }) => data.len() as u64,
            _ => 0,
        }
    }
}

impl FileStore for MemoryStore {
    type Upload = MemoryUpload;

    fn metadata(&self, path: &StorePath) -> Result<Option<Metadata>, StoreError> {
        if path.is_root() {
            return Ok(Some(
                Node::Dir {
                    modified: Timestamp(0),
                }
                .meta(),
            ));
        }
        Ok(self.inner.borrow().node(path).map(Node::meta))
    }

    fn list(&self, dir: &StorePath) -> Result<Listed, StoreError> {
        let inner = self.inner.borrow();
        match inner.node(dir) {
            Some(Node::Dir { .. }) => {}
            None if dir.is_root() => {}
            Some(Node::File { .. }) => return Err(StoreError::Conflict),
            None => return Err(StoreError::NotFound),
        }
        let prefix = if dir.is_root() {
            String::new()
        } else {
            alloc::format!("{}/", dir.as_str())
        };
        let entries = inner
            .nodes
            .range::<str, _>((
                core::ops::Bound::Included(prefix.as_str()),
                core::ops::Bound::Unbounded,
            ))
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .map(|(k, n)| DirEntry {
                name: String::from(&k[prefix.len()..]),
                meta: n.meta(),
            })
            .collect();
        Ok(Listed::new(entries, 0, false))
    }

    fn read(&self, path: &StorePath, start: u64, len: u64) -> Result<Vec<u8>, StoreError> {
        match self.inner.borrow().node(path) {
            Some(Node::File { data, .. }) => {
                let start = usize::try_from(start).unwrap_or(usize::MAX).min(data.len());
                let end = start
                    .saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
                    .min(data.len());
                Ok(data[start..end].to_vec())
            }
            Some(Node::Dir { .. }) => Err(StoreError::Conflict),
            None => Err(StoreError::NotFound),
        }
    }

    fn begin_upload(&self, path: &StorePath) -> Result<MemoryUpload, StoreError> {
        if self.read_only.get() {
            return Err(StoreError::ReadOnly);
        }
        let inner = self.inner.borrow();
        if path.is_root() || matches!(inner.node(path), Some(Node::Dir { .. })) {
            return Err(StoreError::Conflict);
        }
        if path
            .ancestors()
            .any(|a| matches!(inner.node(&a), Some(Node::File { .. })))
        {
            return Err(StoreError::Conflict);
        }
        drop(inner);
        Ok(MemoryUpload {
            store: self.clone(),
            path: path.clone(),
            data: Vec::new(),
        })
    }

    fn remove(&self, path: &StorePath) -> Result<(), StoreError> {
        if self.read_only.get() {
            return Err(StoreError::ReadOnly);
        }
        let mut inner = self.inner.borrow_mut();
        match inner.node(path) {
            Some(Node::File { .. }) => {
                if let Some(Node::File { data, .. }) = inner.nodes.remove(path.as_str()) {
                    inner.used -= data.len() as u64;
                }
                Ok(())
            }
            Some(Node::Dir { .. }) => Err(StoreError::Conflict),
            None if path.is_root() => Err(StoreError::Conflict),
            None => Err(StoreError::NotFound),
        }
    }

    fn is_read_only(&self) -> bool {
        self.read_only.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::resolve;
    use crate::TargetForm;
    use alloc::vec;

    fn p(s: &str) -> StorePath {
        resolve(s, TargetForm::Origin).unwrap()
    }

    fn store() -> MemoryStore {
        MemoryStore::new()
            .with_file("a.txt", b"hello", Timestamp(10))
            .with_file("docs/b.txt", b"bee", Timestamp(20))
            .with_file("docs/sub/c.txt", b"", Timestamp(30))
            .with_dir("empty", Timestamp(40))
    }

    #[test]
    fn reports_metadata_of_files_and_implicit_dirs() {
        let s = store();
        type Row<'a> = (&'a str, Option<(Kind, u64, u64)>);
        let table: &[Row<'_>] = &[
            ("/", Some((Kind::Dir, 0, 0))),
            ("/a.txt", Some((Kind::File, 5, 10))),
            ("/docs", Some((Kind::Dir, 0, 20))),
            ("/docs/sub/c.txt", Some((Kind::File, 0, 30))),
            ("/empty", Some((Kind::Dir, 0, 40))),
            ("/nope", None),
            ("/a.txt/x", None),
        ];
        for (path, want) in table {
            let got = s
                .metadata(&p(path))
                .unwrap()
                .map(|m| (m.kind, m.len, m.modified.0));
            assert_eq!(got, *want, "{path}");
        }
    }

    #[test]
    fn lists_only_direct_children() {
        let s = store();
        let names = |d: &str| -> Vec<String> {
            s.list(&p(d))
                .unwrap()
                .entries()
                .iter()
                .map(|e| e.name.clone())
                .collect()
        };
        assert_eq!(names("/"), ["a.txt", "docs", "empty"]);
        assert_eq!(names("/docs"), ["b.txt", "sub"]);
        assert!(names("/empty").is_empty());
        assert_eq!(s.list(&p("/nope")), Err(StoreError::NotFound));
        assert_eq!(s.list(&p("/a.txt")), Err(StoreError::Conflict));
    }

    #[test]
    fn lists_do_not_mix_up_prefixes() {
        let s = MemoryStore::new()
            .with_file("d/x", b"", Timestamp(0))
            .with_file("d-e/y", b"", Timestamp(0));
        let names: Vec<String> = s
            .list(&p("/d"))
            .unwrap()
            .entries()
            .iter()
            .map(|e| e.name.clone())
            .collect();
        assert_eq!(names, ["x"]);
    }

    #[test]
    fn reads_clamped_ranges() {
        let s = store();
        let table: &[(u64, u64, &[u8])] = &[
            (0, 5, b"hello"),
            (1, 3, b"ell"),
            (3, 100, b"lo"),
            (5, 1, b""),
            (99, 1, b""),
            (0, u64::MAX, b"hello"),
        ];
        for (start, len, want) in table {
            assert_eq!(
                s.read(&p("/a.txt"), *start, *len).unwrap(),
                *want,
                "{start}+{len}"
            );
        }
        assert_eq!(s.read(&p("/nope"), 0, 1), Err(StoreError::NotFound));
        assert_eq!(s.read(&p("/docs"), 0, 1), Err(StoreError::Conflict));
    }

    #[test]
    fn upload_is_invisible_until_commit() {
        let s = store();
        s.set_now(Timestamp(99));
        let mut up = s.begin_upload(&p("/new/dir/f.txt")).unwrap();
        up.write(b"ab").unwrap();
        up.write(b"cd").unwrap();
        assert_eq!(s.metadata(&p("/new")).unwrap(), None);
        up.commit().unwrap();
        assert_eq!(s.get("new/dir/f.txt").unwrap(), b"abcd");
        let m = s.metadata(&p("/new/dir/f.txt")).unwrap().unwrap();
        assert_eq!((m.kind, m.len, m.modified), (Kind::File, 4, Timestamp(99)));
        assert_eq!(s.metadata(&p("/new/dir")).unwrap().unwrap().kind, Kind::Dir);
    }

    #[test]
    fn dropped_upload_leaves_no_trace() {
        let s = store();
        let mut up = s.begin_upload(&p("/a.txt")).unwrap();
        up.write(b"changed").unwrap();
        drop(up);
        assert_eq!(s.get("a.txt").unwrap(), b"hello");
    }

    #[test]
    fn replacing_in_the_same_second_changes_nanos() {
        let s = store();
        let before = s.metadata(&p("/a.txt")).unwrap().unwrap();
        s.set_now(before.modified);
        let mut up = s.begin_upload(&p("/a.txt")).unwrap();
        up.write(b"HELLO").unwrap();
        up.commit().unwrap();
        let after = s.metadata(&p("/a.txt")).unwrap().unwrap();
        assert_eq!((after.len, after.modified), (before.len, before.modified));
        assert_ne!(after.modified_nanos, before.modified_nanos);
    }

    #[test]
    fn refuses_conflicting_writes() {
        let s = store();
        let table: &[(&str, StoreError)] = &[
            ("/", StoreError::Conflict),
            ("/docs", StoreError::Conflict),
            ("/a.txt/child", StoreError::Conflict),
            ("/docs/b.txt/x/y", StoreError::Conflict),
        ];
        for (path, want) in table {
            assert_eq!(s.begin_upload(&p(path)).err(), Some(*want), "{path}");
        }
        assert_eq!(
            s.insert("a.txt/x", vec![], Timestamp(0)),
            Err(StoreError::Conflict)
        );
        assert_eq!(
            s.insert_dir("a.txt", Timestamp(0)),
            Err(StoreError::Conflict)
        );
        assert_eq!(
            s.insert("../x", vec![], Timestamp(0)),
            Err(StoreError::Forbidden)
        );
    }

    #[test]
    fn commit_fails_when_a_file_appeared_in_the_way() {
        let s = MemoryStore::new();
        let up = s.begin_upload(&p("/d/f")).unwrap();
        s.insert("d", vec![1], Timestamp(0)).unwrap();
        assert_eq!(up.commit(), Err(StoreError::Conflict));
        assert_eq!(s.paths(), ["d"]);
    }

    #[test]
    fn removes_files_only() {
        let s = store();
        s.remove(&p("/docs/b.txt")).unwrap();
        assert_eq!(s.metadata(&p("/docs/b.txt")).unwrap(), None);
        let table: &[(&str, StoreError)] = &[
            ("/docs/b.txt", StoreError::NotFound),
            ("/docs", StoreError::Conflict),
            ("/", StoreError::Conflict),
            ("/nope", StoreError::NotFound),
        ];
        for (path, want) in table {
            assert_eq!(s.remove(&p(path)), Err(*want), "{path}");
        }
        s.remove_dir_all("docs").unwrap();
        assert_eq!(s.paths(), ["a.txt", "empty"]);
    }

    #[test]
    fn read_only_store_refuses_writes() {
        let s = store().read_only(true);
        assert!(s.is_read_only());
        assert_eq!(s.begin_upload(&p("/x")).err(), Some(StoreError::ReadOnly));
        assert_eq!(s.remove(&p("/a.txt")), Err(StoreError::ReadOnly));
        s.set_read_only(false);
        let up = s.begin_upload(&p("/x")).unwrap();
        s.set_read_only(true);
        assert_eq!(up.commit(), Err(StoreError::ReadOnly));
    }

    #[test]
    fn capacity_limit_gives_no_space() {
        let s = MemoryStore::new()
            .with_capacity_limit(10)
            .with_file("a", b"12345", Timestamp(0));
        let mut up = s.begin_upload(&p("/b")).unwrap();
        up.write(b"1234").unwrap();
        assert_eq!(up.write(b"56"), Err(StoreError::NoSpace));
        // Replacing a file may reuse its space.
        let mut up = s.begin_upload(&p("/a")).unwrap();
        up.write(b"1234567890").unwrap();
        up.commit().unwrap();
        assert_eq!(
            s.insert("c", vec![0], Timestamp(0)),
            Err(StoreError::NoSpace)
        );
    }

    #[test]
    fn fixture_paths_are_literal_names() {
        let s = MemoryStore::new()
            .with_file("/a b/caf\u{e9}.txt", b"1", Timestamp(0))
            .with_file("x%20y", b"2", Timestamp(0));
        assert_eq!(s.paths(), ["a b", "a b/caf\u{e9}.txt", "x%20y"]);
        assert_eq!(s.get("x%20y").unwrap(), b"2");
        for bad in ["..", "a/../b", "./a", "a\\b", "a\u{0}"] {
            assert_eq!(
                s.insert(bad, vec![], Timestamp(0)),
                Err(StoreError::Forbidden),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn clones_share_the_files() {
        let s = MemoryStore::new();
        let t = s.clone();
        t.insert("x", vec![1, 2], Timestamp(0)).unwrap();
        assert_eq!(s.get("x").unwrap(), [1, 2]);
    }
}
