//! The core's [`FileStore`] on a real directory.
//!
//! - Every path is opened relative to the root's directory handle with `openat2` and
//!   `RESOLVE_BENEATH` on Linux, so no symlink (absolute or relative) can lead out of the
//!   root: such a path answers 403. Elsewhere, or on kernels without `openat2`, the path is
//!   canonicalized and checked to stay under the root.
//! - Uploads go to a temporary file `.simplehttp-upload-<random>` in the target's
//!   directory (or its nearest existing ancestor), are fsynced, and renamed over the target
//!   on commit, so a reader sees the old file or the new one, never a part. Dropping an
//!   upload removes its temporary. Temporaries are hidden from listings and requests, and
//!   [`remove_stale_temporaries`] deletes those a crash left behind.
//! - Each worker owns its own store; `metadata` keeps the file it opened so the reply can
//!   send it without opening it again ([`FsStore::open_file`]). Files opened in the last
//!   second stay open for their path, checked with `fstat` once per wake-up of the worker
//!   and after each upload or removal by the process; a small file that last changed
//!   seconds ago also keeps its contents, dropped as soon as `fstat` shows another size,
//!   mtime or ctime ([`FsStore::read_small`]).

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use simplehttp_core::{
    DirEntry, FileStore, Kind, Listed, Metadata, StoreError, StorePath, Timestamp, Upload,
};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::Instant;

/// Name prefix of upload temporaries.
pub const TEMP_PREFIX: &str = ".simplehttp-upload-";
/// Most entries of one folder a listing shows (about 80 bytes each while it is sent),
/// and the longest time spent reading the folder for it.
const LIST_MAX: usize = 250_000;
const LIST_TIME: std::time::Duration = std::time::Duration::from_secs(3);
/// The longest relative path (with its NUL) and the longest name Linux filesystems take.
const PATH_MAX: usize = 4096;
const NAME_MAX: usize = 255;

/// A [`FileStore`] on a directory of the filesystem.
#[derive(Debug)]
pub struct FsStore {
    root: PathBuf,
    root_fd: OwnedFd,
    read_only: bool,
    /// Whether `openat2` works here (cleared on ENOSYS).
    openat2: Cell<bool>,
    /// The file the last `metadata` call opened, for [`FsStore::open_file`], and its path
    /// (a buffer reused from one request to the next).
    last_open: RefCell<(String, Option<Rc<File>>)>,
    /// Files opened in the last second, by path: a hit costs one `fstat` instead of an
    /// `openat2`, an `fstat` and a `close`.
    cache: RefCell<HashMap<String, Cached>>,
    /// The time in whole seconds, as last told by [`FsStore::tick`].
    now: Cell<u64>,
    /// Counts the calls of [`FsStore::tick`]: the worker's wake-ups.
    round: Cell<u64>,
    /// Bytes of file contents held by `cache` (at most [`CACHE_BYTES`]).
    cached_bytes: Cell<usize>,
    /// The last listing made: requests for the same folder share its entries instead of
    /// each holding a copy, while it is current ([`Made`]).
    last_listing: RefCell<Option<(String, Made, Listed)>>,
}

/// When a listing was made: the second, the folder's stamp and the count of this process's
/// writes. A listing is reused only while all three are the same: an upload or removal by
/// any worker shows in the next listing, and so does an entry another program adds,
/// removes or renames (it changes the folder's mtime), unless it lands in the same tick of
/// the file-timestamp clock as the listing; a file another program changes in place shows
/// its new size within the second.
type Made = (u64, Stamp, u64);

/// Uploads committed and files removed by this process, all workers together: a listing
/// made before one of them is not reused after it.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Counts a write for [`WRITES`]; called once the change is made.
fn wrote() {
    WRITES.fetch_add(1, Ordering::Release);
}

/// An open file and what `fstat` said about it.
#[derive(Debug)]
struct Cached {
    file: Rc<File>,
    meta: Metadata,
    /// When it was opened (whole seconds).
    opened: u64,
    /// What the last `fstat` said: any change to the file's contents changes its ctime.
    stamp: Stamp,
    /// When that `fstat` ran: the round and the count of this process's [`WRITES`]. In
    /// the same round, with no write since, the entry is used without another.
    checked: (u64, u64),
    /// The whole contents of a small file, read after an `fstat` that gave `stamp`; kept
    /// only while `stamp` holds (see [`FsStore::read_small`]).
    data: Option<Rc<[u8]>>,
}

/// Size, mtime and ctime (with nanoseconds) of a file, as `fstat` gave them (widened so
/// that every platform's field types fit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    size: i128,
    mtime: (i128, i128),
    ctime: (i128, i128),
}

impl Stamp {
    fn of(st: &rustix::fs::Stat) -> Stamp {
        Stamp {
            size: i128::from(st.st_size),
            mtime: (i128::from(st.st_mtime), i128::from(st.st_mtime_nsec)),
            ctime: (i128::from(st.st_ctime), i128::from(st.st_ctime_nsec)),
        }
    }

    /// Whether the file was last changed well before `now` (whole seconds), so that any
    /// later change is bound to give it another ctime, whatever the granularity of file
    /// timestamps (git's "racily clean" rule). Only then may its contents be kept.
    fn settled(&self, now: u64) -> bool {
        self.ctime.0 + CONTENT_SETTLED < i128::from(now)
    }
}

/// How long an open file is reused for its path. Changes to the file itself show from the
/// worker's next wake-up (each round's first hit runs `fstat`), and so does its removal or
/// replacement by a rename (the old file has no link left); only a file replaced while
/// hard-linked elsewhere is seen late, by this much at most.
const CACHE_SECONDS: u64 = 1;
/// Most files a worker keeps open this way.
const CACHE_ENTRIES: usize = 1024;
/// Files up to this size may have their contents kept with the open file, so a hit
/// costs no read.
pub const CONTENT_MAX: u64 = 16 * 1024;
/// Most bytes of file contents a worker keeps.
const CACHE_BYTES: usize = 1 << 20;
/// A file's contents are kept only when it last changed at least this many seconds ago.
const CONTENT_SETTLED: i128 = 2;

impl FsStore {
    /// A store on `root`, which must be an absolute, canonical directory path.
    pub fn new(root: &Path, read_only: bool) -> io::Result<FsStore> {
        let root_fd = rustix::fs::open(
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(FsStore {
            root: root.to_path_buf(),
            root_fd,
            read_only,
            openat2: Cell::new(cfg!(any(target_os = "linux", target_os = "android"))),
            last_open: RefCell::new((String::new(), None)),
            cache: RefCell::new(HashMap::new()),
            now: Cell::new(0),
            round: Cell::new(0),
            cached_bytes: Cell::new(0),
            last_listing: RefCell::new(None),
        })
    }

    /// Opens `rel` (relative to the root, `/`-separated, already free of `..`) without
    /// leaving the root. An escape is `EXDEV`.
    fn open_beneath(&self, rel: &str, flags: OFlags) -> io::Result<OwnedFd> {
        let rel = if rel.is_empty() { "." } else { rel };
        let flags = flags | OFlags::CLOEXEC;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.openat2.get() {
            use rustix::fs::ResolveFlags;
            let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
            match rustix::fs::openat2(&self.root_fd, rel, flags, Mode::empty(), resolve) {
                Err(Errno::NOSYS) | Err(Errno::PERM) if self.openat2_unavailable() => {}
                other => return other.map_err(io::Error::from),
            }
        }
        let canonical = std::fs::canonicalize(self.root.join(rel))?;
        if !canonical.starts_with(&self.root) {
            return Err(Errno::XDEV.into());
        }
        Ok(rustix::fs::open(&canonical, flags, Mode::empty())?)
    }

    /// Called when `openat2` failed with ENOSYS or EPERM (a seccomp filter): checks
    /// whether it is missing altogether, and if so stops using it.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn openat2_unavailable(&self) -> bool {
        use rustix::fs::ResolveFlags;
        let probe = rustix::fs::openat2(
            &self.root_fd,
            ".",
            OFlags::PATH | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::BENEATH,
        );
        let missing = matches!(probe, Err(Errno::NOSYS) | Err(Errno::PERM));
        if missing {
            self.openat2.set(false);
        }
        missing
    }

    /// Tells the store the time (whole seconds) at the start of a round, a wake-up of the
    /// worker: a file kept open is checked with `fstat` once per round (and again after
    /// an upload or removal by this process), so one that another program changes or
    /// replaces shows from the next round on. Once a second, files kept open longer than
    /// the cache allows are closed.
    pub fn tick(&self, now: u64) {
        self.round.set(self.round.get() + 1);
        if now != self.now.get() {
            self.now.set(now);
            let mut bytes = 0;
            self.cache.borrow_mut().retain(|_, c| {
                let keep = now.saturating_sub(c.opened) < CACHE_SECONDS;
                if keep {
                    bytes += c.data.as_ref().map_or(0, |d| d.len());
                }
                keep
            });
            self.cached_bytes.set(bytes);
        }
    }

    /// Whether files are kept open for reuse.
    #[must_use]
    pub fn is_caching(&self) -> bool {
        !self.cache.borrow().is_empty()
    }

    /// Closes every file kept open for reuse (the worker calls it when idle, so an idle
    /// server holds no file open).
    pub fn drop_cache(&self) {
        self.last_listing.borrow_mut().take();
        self.cache.borrow_mut().clear();
        self.cached_bytes.set(0);
    }

    /// The cached metadata of `rel`, checked with `fstat` once per round; `None` when not
    /// cached (or no longer valid).
    fn cached(&self, rel: &str) -> Option<Metadata> {
        let mut cache = self.cache.borrow_mut();
        let entry = cache.get_mut(rel)?;
        let fresh = self.now.get().saturating_sub(entry.opened) < CACHE_SECONDS;
        // Before the `fstat`: a write counted after it makes the next use check again.
        let checked = (self.round.get(), WRITES.load(Ordering::Acquire));
        if fresh && entry.checked == checked {
            self.keep_open(rel, Rc::clone(&entry.file));
            return Some(entry.meta);
        }
        let st = match rustix::fs::fstat(&*entry.file) {
            // No link left: removed, or replaced by a rename. Look the path up again.
            Ok(st) if fresh && st.st_nlink > 0 => st,
            _ => {
                if let Some(gone) = cache.remove(rel) {
                    self.uncount(&gone);
                }
                return None;
            }
        };
        let meta = file_metadata(&st)?;
        entry.meta = meta;
        entry.checked = checked;
        let stamp = Stamp::of(&st);
        if stamp != entry.stamp {
            // Changed since its contents were read: read them again.
            entry.stamp = stamp;
            if let Some(data) = entry.data.take() {
                self.cached_bytes
                    .set(self.cached_bytes.get().saturating_sub(data.len()));
            }
        }
        self.keep_open(rel, Rc::clone(&entry.file));
        Some(meta)
    }

    /// Remembers `file` as the one `rel` names, for [`FsStore::open_file`].
    fn keep_open(&self, rel: &str, file: Rc<File>) {
        let (name, kept) = &mut *self.last_open.borrow_mut();
        name.clear();
        name.push_str(rel);
        *kept = Some(file);
    }

    /// The file at `path` for sending, reusing the one `metadata` just opened.
    pub fn open_file(&self, path: &StorePath) -> Result<Rc<File>, StoreError> {
        let (name, kept) = &mut *self.last_open.borrow_mut();
        if let Some(file) = kept.take() {
            if name == path.as_str() {
                return Ok(file);
            }
        }
        let fd = self
            .open_beneath(path.as_str(), OFlags::RDONLY | OFlags::NONBLOCK)
            .map_err(|e| store_error(&e))?;
        Ok(Rc::new(File::from(fd)))
    }

    /// Fills `buf` from `file` at `start`, where `file` is the one [`FsStore::open_file`]
    /// gave for `path` right after `metadata`. A small file's contents are kept with its
    /// open file: while `fstat` finds it unchanged (each `metadata` hit checks), they are
    /// copied from memory instead of read.
    pub fn read_small(
        &self,
        path: &StorePath,
        file: &Rc<File>,
        start: u64,
        buf: &mut [u8],
    ) -> io::Result<()> {
        let mut cache = self.cache.borrow_mut();
        let entry = cache
            .get_mut(path.as_str())
            .filter(|e| Rc::ptr_eq(&e.file, file));
        let Some(entry) = entry else {
            return file.read_exact_at(buf, start);
        };
        if let Some(data) = &entry.data {
            let from = usize::try_from(start).unwrap_or(usize::MAX);
            if let Some(src) = from
                .checked_add(buf.len())
                .and_then(|end| data.get(from..end))
            {
                buf.copy_from_slice(src);
                return Ok(());
            }
        }
        file.read_exact_at(buf, start)?;
        // Keep the whole file when it has settled: a change after the `fstat` that gave
        // `stamp` (even one before this read) gives it another ctime, so the next check
        // drops what was read here.
        let whole = start == 0 && buf.len() as u64 == entry.meta.len;
        if whole
            && entry.data.is_none()
            && entry.meta.len <= CONTENT_MAX
            && entry.stamp.settled(self.now.get())
            && self.cached_bytes.get() + buf.len() <= CACHE_BYTES
        {
            entry.data = Some(Rc::from(&*buf));
            self.cached_bytes.set(self.cached_bytes.get() + buf.len());
        }
        Ok(())
    }

    fn uncount(&self, entry: &Cached) {
        let n = entry.data.as_ref().map_or(0, |d| d.len());
        self.cached_bytes
            .set(self.cached_bytes.get().saturating_sub(n));
    }

    /// Forgets the file kept by the last `metadata` call.
    pub fn forget_open(&self) {
        self.last_open.borrow_mut().1 = None;
    }

    fn stat_beneath(&self, rel: &str, keep: bool) -> Result<Option<Metadata>, StoreError> {
        if keep {
            if let Some(meta) = self.cached(rel) {
                return Ok(Some(meta));
            }
        }
        let checked = (self.round.get(), WRITES.load(Ordering::Acquire));
        let fd = match self.open_beneath(rel, OFlags::RDONLY | OFlags::NONBLOCK) {
            Ok(fd) => fd,
            Err(e) => {
                return match errno(&e) {
                    Some(Errno::NOENT) | Some(Errno::NOTDIR) | Some(Errno::NAMETOOLONG) => Ok(None),
                    _ => Err(store_error(&e)),
                }
            }
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| store_error(&e.into()))?;
        // Devices, FIFOs and sockets are not served.
        let meta = metadata_of(&st).ok_or(StoreError::Forbidden)?;
        if keep && meta.kind == Kind::File {
            let file = Rc::new(File::from(fd));
            let mut cache = self.cache.borrow_mut();
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
                self.cached_bytes.set(0);
            }
            let opened = self.now.get();
            let cached = Cached {
                file: Rc::clone(&file),
                meta,
                opened,
                stamp: Stamp::of(&st),
                checked,
                data: None,
            };
            if let Some(old) = cache.insert(rel.to_string(), cached) {
                self.uncount(&old);
            }
            self.keep_open(rel, file);
        }
        Ok(Some(meta))
    }
}

/// The metadata of a regular file from `fstat` (`None` for anything else).
fn file_metadata(st: &rustix::fs::Stat) -> Option<Metadata> {
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return None;
    }
    Some(Metadata {
        kind: Kind::File,
        len: u64::try_from(st.st_size).unwrap_or(0),
        modified: Timestamp(u64::try_from(st.st_mtime).unwrap_or(0)),
        modified_nanos: u32::try_from(st.st_mtime_nsec).unwrap_or(0),
    })
}

fn errno(e: &io::Error) -> Option<Errno> {
    e.raw_os_error().map(Errno::from_raw_os_error)
}

/// Maps an I/O error to the store's error (and so to a status).
#[must_use]
pub fn store_error(e: &io::Error) -> StoreError {
    match errno(e) {
        Some(Errno::NOENT) => StoreError::NotFound,
        Some(Errno::ACCESS) | Some(Errno::PERM) | Some(Errno::XDEV) | Some(Errno::LOOP) => {
            StoreError::Forbidden
        }
        Some(Errno::NOTDIR) | Some(Errno::ISDIR) | Some(Errno::EXIST) | Some(Errno::NOTEMPTY) => {
            StoreError::Conflict
        }
        Some(Errno::NOSPC) | Some(Errno::DQUOT) | Some(Errno::FBIG) => StoreError::NoSpace,
        Some(Errno::ROFS) => StoreError::ReadOnly,
        Some(Errno::NAMETOOLONG) => StoreError::NameTooLong,
        // Out of descriptors or memory: the next attempt may well succeed (503).
        Some(Errno::MFILE) | Some(Errno::NFILE) | Some(Errno::NOMEM) => StoreError::Unavailable,
        _ => StoreError::Io,
    }
}

/// A regular file's or a directory's metadata; `None` for anything else.
fn metadata_of(st: &rustix::fs::Stat) -> Option<Metadata> {
    let kind = match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => Kind::File,
        FileType::Directory => Kind::Dir,
        _ => return None,
    };
    Some(Metadata {
        kind,
        len: if kind == Kind::File {
            u64::try_from(st.st_size).unwrap_or(0)
        } else {
            0
        },
        modified: Timestamp(u64::try_from(st.st_mtime).unwrap_or(0)),
        modified_nanos: u32::try_from(st.st_mtime_nsec).unwrap_or(0),
    })
}

fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX)
}

/// Whether any segment of `rel` names an upload temporary.
fn touches_temp(rel: &str) -> bool {
    rel.split('/').any(is_temp_name)
}

fn split_parent(rel: &str) -> (&str, &str) {
    match rel.rfind('/') {
        Some(i) => (&rel[..i], &rel[i + 1..]),
        None => ("", rel),
    }
}

impl FsStore {
    /// Reads the entries of directory `rel` (open as `fd`), bounded in count and time.
    fn read_dir(&self, rel: &str, fd: &OwnedFd) -> Result<Listed, StoreError> {
        let (mut entries, mut left_out, mut truncated) = (Vec::new(), 0, false);
        let started = Instant::now();
        let dir_iter = rustix::fs::Dir::read_from(fd).map_err(|e| store_error(&e.into()))?;
        for (n, entry) in dir_iter.enumerate() {
            let Ok(entry) = entry else { break };
            // Bounded in size and time, however large the folder: the listing then says
            // it is incomplete.
            if entries.len() >= LIST_MAX || (n % 256 == 255 && started.elapsed() > LIST_TIME) {
                truncated = true;
                break;
            }
            let Ok(name) = entry.file_name().to_str() else {
                // No request can name it; the listing counts it as not shown.
                left_out += 1;
                continue;
            };
            if name == "." || name == ".." || is_temp_name(name) {
                continue;
            }
            // One `fstatat` beside the folder's handle; only a symlink is followed, and
            // then beneath the root. Entries that escape the root, vanish meanwhile or are
            // neither file nor directory are left out.
            let meta = match rustix::fs::statat(fd, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => {
                    let child = if rel.is_empty() {
                        name.to_string()
                    } else {
                        format!("{rel}/{name}")
                    };
                    self.stat_beneath(&child, false).ok().flatten()
                }
                Ok(st) => metadata_of(&st),
                Err(_) => None,
            };
            if let Some(meta) = meta {
                entries.push(DirEntry {
                    name: name.to_string(),
                    meta,
                });
            }
        }
        Ok(Listed::new(entries, left_out, truncated))
    }
}

impl FileStore for FsStore {
    type Upload = FsUpload;

    fn metadata(&self, path: &StorePath) -> Result<Option<Metadata>, StoreError> {
        if touches_temp(path.as_str()) {
            return Ok(None);
        }
        self.stat_beneath(path.as_str(), true)
    }

    fn list(&self, dir: &StorePath) -> Result<Listed, StoreError> {
        let rel = dir.as_str();
        // Before the folder is read: a write counted after this shows in the next listing.
        let writes = WRITES.load(Ordering::Acquire);
        let fd = self
            .open_beneath(rel, OFlags::RDONLY | OFlags::DIRECTORY)
            .map_err(|e| store_error(&e))?;
        let st = rustix::fs::fstat(&fd).map_err(|e| store_error(&e.into()))?;
        let made = (self.now.get(), Stamp::of(&st), writes);
        if let Some((path, when, listed)) = &*self.last_listing.borrow() {
            if path == rel && *when == made {
                return Ok(listed.clone());
            }
        }
        let listed = self.read_dir(rel, &fd)?.prepare(dir);
        *self.last_listing.borrow_mut() = Some((rel.to_string(), made, listed.clone()));
        Ok(listed)
    }

    fn read(&self, path: &StorePath, start: u64, len: u64) -> Result<Vec<u8>, StoreError> {
        let file = self.open_file(path)?;
        let len = usize::try_from(len).map_err(|_| StoreError::Io)?;
        let mut buf = vec![0; len];
        file.read_exact_at(&mut buf, start)
            .map_err(|e| store_error(&e))?;
        Ok(buf)
    }

    fn begin_upload(&self, path: &StorePath) -> Result<FsUpload, StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let rel = path.as_str();
        if rel.is_empty() {
            return Err(StoreError::Conflict);
        }
        if touches_temp(rel) {
            return Err(StoreError::Forbidden);
        }
        // Refused before anything is created: a name the filesystem cannot hold would
        // otherwise fail only at the rename, after the missing directories were made.
        if rel.len() >= PATH_MAX || rel.split('/').any(|seg| seg.len() > NAME_MAX) {
            return Err(StoreError::NameTooLong);
        }
        let (parent, name) = split_parent(rel);
        // The nearest existing ancestor holds the temporary; the directories missing
        // below it are created on commit.
        let mut missing = Vec::new();
        let mut dir = parent;
        let dir_fd = loop {
            match self.open_beneath(dir, OFlags::RDONLY | OFlags::DIRECTORY) {
                Ok(fd) => break fd,
                Err(e) if errno(&e) == Some(Errno::NOENT) && !dir.is_empty() => {
                    let (up, seg) = split_parent(dir);
                    missing.push(seg.to_string());
                    dir = up;
                }
                Err(e) => return Err(store_error(&e)),
            }
        };
        missing.reverse();
        let _creation = TEMP_CREATION.read().unwrap_or_else(PoisonError::into_inner);
        let mut attempt = 0u32;
        loop {
            let temp = format!("{TEMP_PREFIX}{:016x}", random_u64());
            match rustix::fs::openat(
                &dir_fd,
                temp.as_str(),
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC | OFlags::NOFOLLOW,
                Mode::from_raw_mode(0o644),
            ) {
                Ok(fd) => {
                    // Held until the upload ends (or the process dies), so that a start
                    // of another server on an overlapping root never sweeps it away. The
                    // sweep of another process may come between the creation and the
                    // lock: it then holds the lock for a moment and removes the name, so
                    // the lock is waited for and the name checked to still be this file;
                    // if it is not, another name is tried.
                    let locked = rustix::fs::flock(&fd, rustix::fs::FlockOperation::LockExclusive);
                    let ours = locked.is_ok()
                        && match (
                            rustix::fs::fstat(&fd),
                            rustix::fs::statat(&dir_fd, temp.as_str(), AtFlags::SYMLINK_NOFOLLOW),
                        ) {
                            (Ok(held), Ok(named)) => {
                                held.st_ino == named.st_ino && held.st_dev == named.st_dev
                            }
                            _ => false,
                        };
                    if !ours {
                        if attempt < 8 {
                            attempt += 1;
                            continue;
                        }
                        return Err(StoreError::Io);
                    }
                    return Ok(FsUpload {
                        dir: dir_fd,
                        temp,
                        file: Some(File::from(fd)),
                        missing,
                        name: name.to_string(),
                        done: false,
                    });
                }
                Err(Errno::EXIST) if attempt < 8 => attempt += 1,
                Err(e) => return Err(store_error(&e.into())),
            }
        }
    }

    fn remove(&self, path: &StorePath) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let rel = path.as_str();
        if rel.is_empty() {
            return Err(StoreError::Conflict);
        }
        if touches_temp(rel) {
            return Err(StoreError::NotFound);
        }
        let (parent, name) = split_parent(rel);
        let dir = self
            .open_beneath(parent, OFlags::RDONLY | OFlags::DIRECTORY)
            .map_err(|e| store_error(&e))?;
        rustix::fs::unlinkat(&dir, name, AtFlags::empty()).map_err(|e| store_error(&e.into()))?;
        wrote();
        Ok(())
    }

    fn is_read_only(&self) -> bool {
        self.read_only
    }
}

/// An upload in progress: a temporary file beside its target.
#[derive(Debug)]
pub struct FsUpload {
    dir: OwnedFd,
    temp: String,
    file: Option<File>,
    missing: Vec<String>,
    name: String,
    done: bool,
}

impl Upload for FsUpload {
    fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        match &mut self.file {
            Some(f) => f.write_all(data).map_err(|e| store_error(&e)),
            None => Err(StoreError::Io),
        }
    }

    fn commit(mut self) -> Result<(), StoreError> {
        let file = self.file.take().ok_or(StoreError::Io)?;
        file.sync_data().map_err(|e| store_error(&e))?;
        // `file` stays open, its lock held, until the rename: a sweep of stale temporaries
        // must not take this one for abandoned in between.
        let mut dirs = Vec::with_capacity(self.missing.len());
        let mut made = Vec::with_capacity(self.missing.len());
        let placed = self.place(&mut dirs, &mut made);
        if placed.is_err() {
            // A failed upload leaves nothing behind, not even the directories it made
            // (each removed only while empty: a concurrent upload may have used it).
            for (i, seg) in self.missing.iter().enumerate().take(made.len()).rev() {
                if made[i] {
                    let parent = if i == 0 {
                        self.dir.as_fd()
                    } else {
                        dirs[i - 1].as_fd()
                    };
                    let _ = rustix::fs::unlinkat(parent, seg.as_str(), AtFlags::REMOVEDIR);
                }
            }
            return placed;
        }
        drop(file);
        self.done = true;
        wrote();
        // Make the rename itself durable; the data already is.
        let to = dirs.last().map_or(self.dir.as_fd(), |d| d.as_fd());
        let _ = rustix::fs::fsync(to);
        Ok(())
    }
}

impl FsUpload {
    /// Makes the missing directories (`made[i]`: whether `missing[i]` was made here, and
    /// `dirs[i]` its handle) and renames the temporary into the last of them.
    fn place(&self, dirs: &mut Vec<OwnedFd>, made: &mut Vec<bool>) -> Result<(), StoreError> {
        for seg in &self.missing {
            let cur = dirs.last().map_or(self.dir.as_fd(), |d| d.as_fd());
            match rustix::fs::mkdirat(cur, seg.as_str(), Mode::from_raw_mode(0o755)) {
                Ok(()) => made.push(true),
                Err(Errno::EXIST) => made.push(false),
                Err(e) => return Err(store_error(&e.into())),
            }
            let next = rustix::fs::openat(
                cur,
                seg.as_str(),
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| store_error(&e.into()))?;
            dirs.push(next);
        }
        let to = dirs.last().map_or(self.dir.as_fd(), |d| d.as_fd());
        rustix::fs::renameat(&self.dir, self.temp.as_str(), to, self.name.as_str())
            .map_err(|e| store_error(&e.into()))
    }
}

impl Drop for FsUpload {
    fn drop(&mut self) {
        if !self.done {
            self.file.take();
            let _ = rustix::fs::unlinkat(&self.dir, self.temp.as_str(), AtFlags::empty());
        }
    }
}

fn random_u64() -> u64 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    h.finish()
}

/// Held shared by an upload while it creates and locks its temporary, and exclusively by
/// the sweep while it checks and removes one: the sweep, which runs beside serving, never
/// sees a temporary of this process before its lock is taken.
static TEMP_CREATION: RwLock<()> = RwLock::new(());

/// Removes upload temporaries under `root` (left by a crash), at any depth an upload can
/// create, without following symlinks. A temporary still locked by a live upload (of
/// another server on an overlapping root, or of this one) is left alone. Returns how many
/// were removed.
///
/// Each directory is opened relative to its parent's handle, so no path grows past
/// PATH_MAX however deep the tree is; a handle stays open only while subdirectories of it
/// are still to be read (so at most one per level).
pub fn remove_stale_temporaries(root: &Path) -> usize {
    /// Whether no live upload holds the temporary's lock.
    fn abandoned(dir: &OwnedFd, name: &std::ffi::CStr) -> bool {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let Ok(fd) = rustix::fs::openat(dir, name, flags, Mode::empty()) else {
            return false;
        };
        rustix::fs::flock(&fd, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_ok()
    }
    use std::ffi::CString;
    use std::rc::Rc;
    // openat2 takes paths of at most PATH_MAX (4096) bytes, so uploads cannot create
    // directories deeper than this; the bound also ends a walk caught in a bind-mount loop.
    const MAX_DEPTH: usize = 4096;
    let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let Ok(root_fd) = rustix::fs::open(root, dir_flags, Mode::empty()) else {
        return 0;
    };
    let mut removed = 0;
    // (parent, name, depth); the root has no name.
    let mut pending: Vec<(Rc<OwnedFd>, Option<CString>, usize)> = vec![(Rc::new(root_fd), None, 0)];
    while let Some((parent, name, depth)) = pending.pop() {
        let dir = match name {
            None => parent,
            Some(name) => {
                match rustix::fs::openat(&*parent, name.as_c_str(), dir_flags, Mode::empty()) {
                    Ok(fd) => Rc::new(fd),
                    Err(_) => continue,
                }
            }
        };
        let Ok(entries) = rustix::fs::Dir::read_from(&*dir) else {
            continue;
        };
        for entry in entries {
            let Ok(entry) = entry else { break };
            let name = entry.file_name();
            if name == c"." || name == c".." {
                continue;
            }
            let kind = match entry.file_type() {
                FileType::Unknown => rustix::fs::statat(&*dir, name, AtFlags::SYMLINK_NOFOLLOW)
                    .map_or(FileType::Unknown, |st| FileType::from_raw_mode(st.st_mode)),
                known => known,
            };
            match kind {
                FileType::Directory if depth < MAX_DEPTH => {
                    pending.push((Rc::clone(&dir), Some(name.to_owned()), depth + 1));
                }
                FileType::RegularFile if name.to_str().is_ok_and(is_temp_name) => {
                    let _creation = TEMP_CREATION
                        .write()
                        .unwrap_or_else(PoisonError::into_inner);
                    if abandoned(&dir, name)
                        && rustix::fs::unlinkat(&*dir, name, AtFlags::empty()).is_ok()
                    {
                        removed += 1;
                    }
                }
                _ => {}
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    fn temp_root(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("simplehttp-fs-{tag}-{:x}", random_u64()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::canonicalize(dir).unwrap()
    }

    #[test]
    fn refuses_symlinks_out_of_the_root() {
        let root = temp_root("escape");
        std::os::unix::fs::symlink("/etc", root.join("out")).unwrap();
        std::fs::write(root.join("in.txt"), b"hi").unwrap();
        std::os::unix::fs::symlink("in.txt", root.join("ok")).unwrap();
        let store = FsStore::new(&root, false).unwrap();
        assert_eq!(
            store.stat_beneath("out/passwd", false),
            Err(StoreError::Forbidden)
        );
        assert_eq!(store.stat_beneath("out", false), Err(StoreError::Forbidden));
        let ok = store.stat_beneath("ok", false).unwrap().unwrap();
        assert_eq!((ok.kind, ok.len), (Kind::File, 2));
        assert_eq!(store.stat_beneath("missing", false), Ok(None));
        // The portable fallback refuses the same escapes.
        store.openat2.set(false);
        assert_eq!(
            store.stat_beneath("out/passwd", false),
            Err(StoreError::Forbidden)
        );
        assert_eq!(store.stat_beneath("ok", false).unwrap().unwrap().len, 2);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn cached_files_follow_changes_removals_and_renames() {
        let root = temp_root("cache");
        std::fs::write(root.join("f"), b"one").unwrap();
        let store = FsStore::new(&root, false).unwrap();
        store.tick(100);
        let len = |store: &FsStore| store.stat_beneath("f", true).unwrap().map(|m| m.len);
        assert_eq!(len(&store), Some(3));
        // A hit: the same open file, and what it holds from the next round (the worker's
        // next wake-up) on. (Within a round it may not be checked again: only this
        // process's writes, counted for all its stores, make it so.)
        let first = store.last_open.borrow().1.as_ref().map(Rc::as_ptr).unwrap();
        std::fs::write(root.join("f"), b"three").unwrap();
        store.tick(100);
        assert_eq!(len(&store), Some(5));
        let second = store.last_open.borrow().1.as_ref().map(Rc::as_ptr).unwrap();
        assert_eq!(first, second);
        // Replaced by a rename: the new file is seen next round.
        std::fs::write(root.join("g"), b"renamed!").unwrap();
        std::fs::rename(root.join("g"), root.join("f")).unwrap();
        store.tick(100);
        assert_eq!(len(&store), Some(8));
        // Removed: gone next round.
        std::fs::remove_file(root.join("f")).unwrap();
        store.tick(100);
        assert_eq!(len(&store), None);
        // Entries older than the cache allows are closed on the next tick.
        std::fs::write(root.join("f"), b"x").unwrap();
        assert_eq!(len(&store), Some(1));
        assert_eq!(store.cache.borrow().len(), 1);
        store.tick(100 + CACHE_SECONDS);
        assert!(store.cache.borrow().is_empty());
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_listing_is_shared_only_while_nothing_changed() {
        let root = temp_root("listing");
        std::fs::write(root.join("a"), b"a").unwrap();
        let (store, other) = (
            FsStore::new(&root, false).unwrap(),
            FsStore::new(&root, false).unwrap(),
        );
        // All within one second, as a busy worker sees it.
        store.tick(100);
        let names = |store: &FsStore| {
            let listed = store.list(&StorePath::root()).unwrap();
            listed
                .entries()
                .iter()
                .map(|e| e.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&store), ["a"]);
        let shared = |store: &FsStore| {
            store
                .last_listing
                .borrow()
                .as_ref()
                .unwrap()
                .2
                .entries()
                .as_ptr()
        };
        let first = shared(&store);
        assert_eq!(names(&store), ["a"]);
        assert_eq!(shared(&store), first, "the same folder, unchanged: shared");
        // An upload this store commits, one another worker's store commits, and a removal
        // each show in the very next listing.
        let upload = |store: &FsStore, name: &str| {
            let mut up = store
                .begin_upload(&StorePath::root().join(name).unwrap())
                .unwrap();
            up.write(b"new").unwrap();
            up.commit().unwrap();
        };
        upload(&store, "b");
        assert_eq!(names(&store), ["a", "b"]);
        upload(&other, "c");
        assert_eq!(names(&store), ["a", "b", "c"]);
        other.remove(&StorePath::root().join("a").unwrap()).unwrap();
        assert_eq!(names(&store), ["b", "c"]);
        // Another program's new entry changes the folder's mtime (past one tick of the
        // file-timestamp clock, 10 ms at most).
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(root.join("d"), b"d").unwrap();
        assert_eq!(names(&store), ["b", "c", "d"]);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn kept_contents_follow_changes_and_wait_for_a_settled_file() {
        let root = temp_root("contents");
        std::fs::write(root.join("f"), b"aaaa").unwrap();
        let store = FsStore::new(&root, false).unwrap();
        let path = StorePath::root().join("f").unwrap();
        let read = |store: &FsStore| {
            let meta = store.metadata(&path).unwrap().unwrap();
            let file = store.open_file(&path).unwrap();
            let mut buf = vec![0; usize::try_from(meta.len).unwrap()];
            store.read_small(&path, &file, 0, &mut buf).unwrap();
            store.forget_open();
            buf
        };
        let kept = |store: &FsStore| {
            store
                .cache
                .borrow()
                .get("f")
                .is_some_and(|c| c.data.is_some())
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        // Changed just now: read every time, never kept.
        store.tick(now);
        assert_eq!(read(&store), b"aaaa");
        assert!(!kept(&store));
        // Settled (as seen from a clock moved on): kept, and served from memory.
        store.tick(now + 10);
        std::fs::write(root.join("f"), b"bbbb").unwrap();
        store.tick(now + 11);
        assert_eq!(read(&store), b"bbbb");
        assert!(kept(&store));
        assert_eq!(store.cached_bytes.get(), 4);
        assert_eq!(read(&store), b"bbbb");
        // Rewritten in place with the same size: the new ctime drops what was kept, from
        // the next round (the worker's next wake-up) on.
        std::thread::sleep(Duration::from_millis(30));
        std::fs::write(root.join("f"), b"cccc").unwrap();
        store.tick(now + 11);
        assert_eq!(read(&store), b"cccc");
        assert_eq!(read(&store), b"cccc");
        std::fs::write(root.join("f"), b"dd").unwrap();
        store.tick(now + 11);
        assert_eq!(read(&store), b"dd");
        // An upload by this process (any worker's store) shows in the same round.
        let other = FsStore::new(&root, false).unwrap();
        let mut up = other.begin_upload(&path).unwrap();
        up.write(b"uploaded").unwrap();
        up.commit().unwrap();
        assert_eq!(read(&store), b"uploaded");
        store.drop_cache();
        assert_eq!(store.cached_bytes.get(), 0);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn maps_errors_to_statuses() {
        assert_eq!(store_error(&Errno::NOSPC.into()), StoreError::NoSpace);
        assert_eq!(store_error(&Errno::ACCESS.into()), StoreError::Forbidden);
        assert_eq!(store_error(&Errno::NOTDIR.into()), StoreError::Conflict);
        assert_eq!(store_error(&Errno::ISDIR.into()), StoreError::Conflict);
        assert_eq!(store_error(&Errno::IO.into()), StoreError::Io);
        assert_eq!(store_error(&Errno::MFILE.into()), StoreError::Unavailable);
        assert_eq!(StoreError::Unavailable.status(), 503);
    }

    #[test]
    fn a_sweep_beside_uploads_never_takes_their_temporaries() {
        let root = temp_root("sweep-race");
        let store = FsStore::new(&root, false).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sweeper = {
            let (root, stop) = (root.clone(), std::sync::Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut removed = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    removed += remove_stale_temporaries(&root);
                }
                removed
            })
        };
        for i in 0..2000 {
            let path = simplehttp_core::resolve(
                &format!("/f{}", i % 10),
                simplehttp_core::TargetForm::Origin,
            )
            .unwrap();
            let mut up = store.begin_upload(&path).unwrap();
            up.write(b"data").unwrap();
            up.commit().unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(sweeper.join().unwrap(), 0);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn removes_stale_temporaries() {
        let root = temp_root("stale");
        std::fs::create_dir(root.join("d")).unwrap();
        std::fs::write(root.join(format!("{TEMP_PREFIX}1")), b"x").unwrap();
        std::fs::write(root.join(format!("d/{TEMP_PREFIX}2")), b"x").unwrap();
        std::fs::write(root.join("keep"), b"x").unwrap();
        // One in use by a live upload: locked, so kept until the lock goes.
        let live = root.join(format!("d/{TEMP_PREFIX}3"));
        std::fs::write(&live, b"x").unwrap();
        let held = std::fs::File::open(&live).unwrap();
        rustix::fs::flock(&held, rustix::fs::FlockOperation::LockExclusive).unwrap();
        assert_eq!(remove_stale_temporaries(&root), 2);
        assert!(root.join("keep").exists());
        assert!(live.exists());
        drop(held);
        assert_eq!(remove_stale_temporaries(&root), 1);
        assert!(!live.exists());
        std::fs::remove_dir_all(root).unwrap();
    }
}
