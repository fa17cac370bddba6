//! Where the response body goes: stdout, or a file written through a temporary file.
//!
//! A file download first goes to a hidden temporary file in the destination's directory,
//! renamed over the destination only once the body is complete. Any failure, and Ctrl-C,
//! removes the temporary file, so an existing file is never replaced by a partial one.
//!
//! The temporary gets the mode of the file it replaces. A symbolic link at the destination
//! is followed: the temporary goes beside the file it points to and is renamed over that
//! file, so the link stays. A hard link is broken: the rename gives the destination a new
//! file, and the other names keep the old content.

use super::config::Output;
use super::error::Failure;
use super::resume::Keep;
use super::show::TerminalText;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The temporary files being written (several with `-Z`), and what each becomes if cut
/// short: the Ctrl-C handler removes them (or keeps them as partial files for `-C -`).
static PARTIAL: Mutex<Vec<(PathBuf, Option<Keep>)>> = Mutex::new(Vec::new());

/// Forgets `temp` in [`PARTIAL`] (it was renamed, removed or kept).
fn unregister(partial: &mut Vec<(PathBuf, Option<Keep>)>, temp: &Path) {
    partial.retain(|(p, _)| p != temp);
}

/// Bodies at least this large get a progress bar (when stderr is a terminal).
const PROGRESS_ABOVE: u64 = 1 << 20;

/// Size of the write buffer in front of the output.
const WRITE_BUFFER: usize = 256 * 1024;

/// Called on Ctrl-C: removes the partial download, if any, and keeps it from being renamed.
/// Returns with the lock held forever, so no rename can happen after it.
pub fn remove_partial_for_exit() {
    let guard = PARTIAL.lock().unwrap_or_else(|e| e.into_inner());
    for (p, keep) in guard.iter() {
        abandon(p, keep.as_ref());
    }
    std::mem::forget(guard);
}

/// A download stopped short in `temp`: removed, or kept as the partial file to resume.
fn abandon(temp: &Path, keep: Option<&Keep>) {
    match keep {
        None => {
            let _ = fs::remove_file(temp);
        }
        Some(k) => super::resume::keep_partial(temp, k),
    }
}

/// The response body's destination.
pub struct Sink {
    out: BufWriter<File>,
    /// How body bytes can go from the socket to `out` without passing through this
    /// process, once tried.
    splice: Option<Splice>,
    temp: Option<(PathBuf, PathBuf)>,
    /// What the temporary becomes if the body is cut short (`-C -`, `--retry`); without it,
    /// it is removed.
    keep: Option<Keep>,
    /// Body bytes already in the file before this response's (a resumed download).
    offset: u64,
    /// A device or FIFO written in place (no temporary), for error messages.
    direct: Option<PathBuf>,
    /// Set when the body goes to a terminal as text: control characters shown escaped.
    terminal: Option<TerminalText>,
    written: u64,
    progress: Option<ProgressBar>,
    want_progress: bool,
    /// Never rename over an existing file (`-J` without `--clobber`).
    no_replace: bool,
}

/// A write to stdout failed because the reader went away: stop quietly.
#[derive(Debug)]
pub struct StdoutClosed;

/// Why a write failed.
#[derive(Debug)]
pub enum WriteFailure {
    /// The reader of stdout went away.
    Closed(StdoutClosed),
    /// A real error.
    Failed(Failure),
}

impl Sink {
    /// Opens the destination. `total` is the body length when known.
    pub fn open(output: &Output, total: Option<u64>, progress: bool) -> Result<Sink, Failure> {
        let (file, temp, to_tty) = match output {
            Output::Stdout { .. } => {
                let stdout = io::stdout();
                let tty = stdout.is_terminal();
                (stdout_file()?, None, tty)
            }
            // A device, FIFO or socket (`-o /dev/null`, a named pipe) is written as it is:
            // renaming a temporary file over it would replace it with a regular file.
            Output::File(dest) if is_special(dest) => {
                let file = OpenOptions::new()
                    .write(true)
                    .open(dest)
                    .map_err(|e| Failure::local(format!("opening {}: {e}", dest.display())))?;
                (file, None, false)
            }
            Output::File(dest) => {
                let dest = resolve_links(dest)?;
                let (file, temp) = create_temp(&dest)?;
                (file, Some((temp, dest)), false)
            }
        };
        let want_progress = progress && !to_tty && io::stderr().is_terminal();
        let direct = match output {
            Output::File(dest) if temp.is_none() => Some(dest.clone()),
            _ => None,
        };
        let mut sink = Sink {
            out: BufWriter::with_capacity(WRITE_BUFFER, file),
            splice: None,
            temp,
            keep: None,
            offset: 0,
            direct,
            terminal: match output {
                Output::Stdout { exact: false } if to_tty => Some(TerminalText::default()),
                _ => None,
            },
            written: 0,
            progress: None,
            want_progress,
            no_replace: false,
        };
        if let Some(n) = total.filter(|&n| n >= PROGRESS_ABOVE) {
            sink.start_progress(Some(n));
        }
        Ok(sink)
    }

    /// Keeps the temporary as the partial file described by `keep` if the body is cut short.
    pub fn keep_on_failure(&mut self, keep: Keep) {
        let mut guard = PARTIAL.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((temp, _)) = &self.temp {
            if let Some((_, k)) = guard.iter_mut().find(|(p, _)| p == temp) {
                *k = Some(keep.clone());
            }
        }
        self.keep = Some(keep);
    }

    /// Continues the partial file `part` (holding `offset` bytes) for `dest`: the body is
    /// appended to it, and it is renamed to `dest` when complete; cut short, it stays.
    pub fn append(
        part: &Path,
        dest: &Path,
        offset: u64,
        keep: Keep,
        total: Option<u64>,
        progress: bool,
    ) -> Result<Sink, Failure> {
        // Written at its end, not opened for appending: splice refuses O_APPEND files.
        let mut file = OpenOptions::new()
            .write(true)
            .open(part)
            .map_err(|e| Failure::local(format!("opening {}: {e}", part.display())))?;
        io::Seek::seek(&mut file, io::SeekFrom::End(0))
            .map_err(|e| Failure::local(format!("opening {}: {e}", part.display())))?;
        PARTIAL
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((part.to_path_buf(), Some(keep.clone())));
        let mut sink = Sink {
            out: BufWriter::with_capacity(WRITE_BUFFER, file),
            splice: None,
            temp: Some((part.to_path_buf(), dest.to_path_buf())),
            keep: Some(keep),
            offset,
            direct: None,
            terminal: None,
            written: 0,
            progress: None,
            want_progress: progress && io::stderr().is_terminal(),
            no_replace: false,
        };
        if let Some(n) = total.filter(|&n| n >= PROGRESS_ABOVE) {
            sink.start_progress(Some(offset + n));
        }
        Ok(sink)
    }

    /// The finished download must not replace a file that appeared meanwhile: the rename
    /// fails instead (`RENAME_NOREPLACE`), and the temporary is removed.
    pub fn never_replace(&mut self) {
        self.no_replace = true;
    }

    /// Whether the output is a terminal that gets text (control characters escaped), not
    /// the exact bytes.
    pub fn is_terminal(&self) -> bool {
        self.terminal.is_some()
    }

    fn start_progress(&mut self, total: Option<u64>) {
        if !self.want_progress || self.progress.is_some() {
            return;
        }
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr())
                .with_style(
                    ProgressStyle::with_template(
                        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                ),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.set_position(self.offset + self.written);
        self.progress = Some(bar);
    }

    /// Writes head bytes (not counted as body).
    pub fn write_head(&mut self, bytes: &[u8]) -> Result<(), WriteFailure> {
        if self.terminal.is_some() {
            let text = super::show::head_lines(bytes).join("\r\n") + "\r\n\r\n";
            self.write_raw(text.as_bytes())
        } else {
            self.write_raw(bytes)
        }
    }

    /// Moves up to `max` body bytes from the socket `from` straight to the output with
    /// `splice`, without copying them into this process: returns how many (0 when the
    /// server closed the connection), or `None` when this output takes no splice (a
    /// terminal, a file system without it), and the caller reads the body itself.
    ///
    /// Bytes still in the write buffer go first. Spliced bytes are in the file (the page
    /// cache) when this returns, as a flushed write's are: a partial download kept to
    /// resume holds them.
    pub fn splice_from(
        &mut self,
        from: &std::net::TcpStream,
        max: usize,
    ) -> Result<Option<usize>, SpliceFailure> {
        if self.terminal.is_some() || matches!(self.splice, Some(Splice::Off)) {
            return Ok(None);
        }
        if !self.out.buffer().is_empty() {
            self.out
                .flush()
                .map_err(|e| SpliceFailure::Write(self.write_error(e)))?;
        }
        if self.splice.is_none() {
            self.splice = Some(Splice::new(self.out.get_ref()));
        }
        let moved = match self.splice.as_mut() {
            Some(s) => s.moved(from, self.out.get_ref(), max),
            None => return Ok(None),
        };
        let n = match moved {
            Moved::Bytes(n) => n,
            Moved::Unsupported => {
                self.splice = Some(Splice::Off);
                return Ok(None);
            }
            Moved::ReadFailed(e) => return Err(SpliceFailure::Read(e)),
            Moved::WriteFailed(e) => return Err(SpliceFailure::Write(self.write_error(e))),
            // Bytes already taken from the socket and held in the pipe: written the plain
            // way, and no splice from now on.
            Moved::Stuck { moved, held } => {
                self.splice = Some(Splice::Off);
                self.out
                    .get_mut()
                    .write_all(&held)
                    .map_err(|e| SpliceFailure::Write(self.write_error(e)))?;
                moved
            }
        };
        self.count(n);
        Ok(Some(n))
    }

    /// Counts `n` body bytes written, for the progress bar.
    fn count(&mut self, n: usize) {
        self.written += n as u64;
        match &self.progress {
            Some(bar) => bar.set_position(self.offset + self.written),
            None if self.want_progress && self.written >= PROGRESS_ABOVE => {
                self.start_progress(None)
            }
            None => {}
        }
    }

    /// Writes body bytes.
    pub fn write_body(&mut self, bytes: &[u8]) -> Result<(), WriteFailure> {
        match self.terminal.as_mut() {
            Some(text) => {
                let shown = text.push(bytes);
                self.write_raw(shown.as_bytes())?;
            }
            None => self.write_raw(bytes)?,
        }
        self.count(bytes.len());
        Ok(())
    }

    /// When no more of the body has come for a moment: what may be kept to resume goes from
    /// the write buffer into the file, since Ctrl-C and `-m` exit from another thread,
    /// without this buffer. The file is always a prefix of the body, so the partial file
    /// and its sidecar agree whenever the download stops; a stalled download's file holds
    /// every byte received. Flushing only then (and when the buffer fills), rather than
    /// after every read, spares a system call per TLS record (16 KiB) while bytes come.
    pub fn flush_kept(&mut self) -> Result<(), WriteFailure> {
        if self.keep.is_some() && !self.out.buffer().is_empty() {
            self.out.flush().map_err(|e| self.write_error(e))?;
        }
        Ok(())
    }

    /// Whether [`flush_kept`](Sink::flush_kept) has anything to do.
    pub fn holds_kept(&self) -> bool {
        self.keep.is_some() && !self.out.buffer().is_empty()
    }

    /// Whether the body goes out as it arrives (stdout, a device): what is written stays.
    pub fn in_place(&self) -> bool {
        self.temp.is_none()
    }

    /// Body bytes in the file so far: those of a resumed download's earlier part, and
    /// this response's.
    pub fn written(&self) -> u64 {
        self.offset + self.written
    }

    fn write_raw(&mut self, bytes: &[u8]) -> Result<(), WriteFailure> {
        self.out.write_all(bytes).map_err(|e| self.write_error(e))
    }

    fn write_error(&self, e: io::Error) -> WriteFailure {
        match &self.temp {
            None if e.kind() == io::ErrorKind::BrokenPipe => WriteFailure::Closed(StdoutClosed),
            None => {
                let to = self
                    .direct
                    .as_ref()
                    .map_or("stdout".into(), |p| p.display().to_string());
                WriteFailure::Failed(Failure::local(format!("writing to {to}: {e}")))
            }
            Some((temp, dest)) => {
                // ENOSPC, or EFBIG past a file size limit (SIGXFSZ is caught, see `run`).
                let full = matches!(e.raw_os_error(), Some(28 | 27));
                let what = if full { "no room left" } else { "cannot write" };
                let fate = match &self.keep {
                    Some(k) if k.outlives_run() => "kept to resume (-C -)",
                    _ => "removed",
                };
                WriteFailure::Failed(Failure::local(format!(
                    "{what} for {} (writing {}): {e}; the partial download is {fate}",
                    dest.display(),
                    temp.display()
                )))
            }
        }
    }

    /// The body is complete: flush, and move a temporary file into place.
    pub fn finish(mut self) -> Result<(), WriteFailure> {
        if let Some(bar) = self.progress.take() {
            bar.finish_and_clear();
        }
        if let Some(rest) = self.terminal.as_mut().map(TerminalText::finish) {
            self.write_raw(rest.as_bytes())?;
        }
        self.out.flush().map_err(|e| self.write_error(e))?;
        if let Some((temp, dest)) = self.temp.take() {
            let mut guard = PARTIAL.lock().unwrap_or_else(|e| e.into_inner());
            let renamed = if self.no_replace {
                use rustix::fs::{renameat_with, RenameFlags, CWD};
                renameat_with(CWD, &temp, CWD, &dest, RenameFlags::NOREPLACE)
                    .map_err(io::Error::from)
            } else {
                fs::rename(&temp, &dest)
            };
            match (&renamed, self.keep.take()) {
                (Ok(()), Some(keep)) => super::resume::completed(&keep),
                (Ok(()), None) => {}
                (Err(_), keep) => abandon(&temp, keep.as_ref()),
            }
            unregister(&mut guard, &temp);
            drop(guard);
            renamed.map_err(|e| {
                WriteFailure::Failed(Failure::local(format!(
                    "could not move the download into {}: {e}",
                    dest.display()
                )))
            })?;
        }
        Ok(())
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Some(bar) = self.progress.take() {
            bar.abandon();
        }
        if let Some((temp, _)) = self.temp.take() {
            // Cut short: what arrived goes into the file before it is kept (or removed).
            if self.keep.is_some() {
                let _ = self.out.flush();
            }
            let mut guard = PARTIAL.lock().unwrap_or_else(|e| e.into_inner());
            abandon(&temp, self.keep.as_ref());
            unregister(&mut guard, &temp);
        }
    }
}

/// Why moving body bytes with `splice` failed.
#[derive(Debug)]
pub enum SpliceFailure {
    /// Reading the socket failed (a timeout, a reset): as a failed read.
    Read(io::Error),
    /// Writing the output failed.
    Write(WriteFailure),
}

/// The kernel moves body bytes from the socket to the output: straight into a pipe, or
/// through a pipe of our own into a file or device. Nothing is copied into this process,
/// and for `/dev/null` nothing is copied at all.
enum Splice {
    /// The output is a pipe: one splice from the socket to it.
    Direct,
    /// Through this pipe (read end, write end).
    Via(rustix::fd::OwnedFd, rustix::fd::OwnedFd),
    /// Not for this output.
    Off,
}

/// What one [`Splice::moved`] did.
enum Moved {
    Bytes(usize),
    /// Nothing moved: this output takes no splice.
    Unsupported,
    ReadFailed(io::Error),
    WriteFailed(io::Error),
    /// The output refused the last `held` of the `moved` bytes taken from the socket, still
    /// in our pipe: here they are.
    Stuck {
        moved: usize,
        held: Vec<u8>,
    },
}

/// The pipe between socket and output holds this much (Linux's limit for an unprivileged
/// process is 1 MiB; the default of 64 KiB would mean 16 splices where a read takes one).
const SPLICE_PIPE: usize = 1 << 20;

impl Splice {
    fn new(out: &File) -> Splice {
        use rustix::fs::{fstat, FileType};
        use rustix::pipe::{fcntl_setpipe_size, pipe_with, PipeFlags};
        let Ok(st) = fstat(out) else {
            return Splice::Off;
        };
        match FileType::from_raw_mode(st.st_mode) {
            FileType::Fifo => Splice::Direct,
            FileType::RegularFile | FileType::CharacterDevice => {
                match pipe_with(PipeFlags::CLOEXEC) {
                    Ok((r, w)) => {
                        let _ = fcntl_setpipe_size(&w, SPLICE_PIPE);
                        Splice::Via(r, w)
                    }
                    Err(_) => Splice::Off,
                }
            }
            _ => Splice::Off,
        }
    }

    /// Moves up to `max` bytes from `from` to `out`.
    fn moved(&mut self, from: &std::net::TcpStream, out: &File, max: usize) -> Moved {
        use rustix::io::Errno;
        use rustix::pipe::{splice, SpliceFlags};
        let unsupported =
            |e: Errno| e == Errno::INVAL || e == Errno::NOSYS || e == Errno::OPNOTSUPP;
        let (r, w) = match self {
            Splice::Off => return Moved::Unsupported,
            Splice::Direct => {
                return loop {
                    match splice(from, None, out, None, max, SpliceFlags::MOVE) {
                        Ok(n) => break Moved::Bytes(n),
                        Err(Errno::INTR) => continue,
                        Err(e) if unsupported(e) => break Moved::Unsupported,
                        // EPIPE: the reader of stdout went away.
                        Err(Errno::PIPE) => break Moved::WriteFailed(Errno::PIPE.into()),
                        Err(e) => break Moved::ReadFailed(e.into()),
                    }
                };
            }
            Splice::Via(r, w) => (&*r, &*w),
        };
        let n = loop {
            match splice(from, None, w, None, max.min(SPLICE_PIPE), SpliceFlags::MOVE) {
                Ok(n) => break n,
                Err(Errno::INTR) => continue,
                Err(e) if unsupported(e) => return Moved::Unsupported,
                Err(e) => return Moved::ReadFailed(e.into()),
            }
        };
        let mut left = n;
        while left > 0 {
            match splice(r, None, out, None, left, SpliceFlags::MOVE) {
                Ok(0) => return Moved::WriteFailed(io::ErrorKind::WriteZero.into()),
                Ok(k) => left -= k,
                Err(Errno::INTR) => continue,
                Err(e) if unsupported(e) => {
                    let mut held = vec![0; left];
                    let mut got = 0;
                    while got < left {
                        match rustix::io::read(r, &mut held[got..]) {
                            Ok(0) => {
                                return Moved::WriteFailed(io::ErrorKind::UnexpectedEof.into())
                            }
                            Ok(k) => got += k,
                            Err(Errno::INTR) => {}
                            Err(e) => return Moved::WriteFailed(e.into()),
                        }
                    }
                    return Moved::Stuck { moved: n, held };
                }
                Err(e) => return Moved::WriteFailed(e.into()),
            }
        }
        Moved::Bytes(n)
    }
}

/// A handle on stdout that writes straight to file descriptor 1, without Rust's line buffer.
fn stdout_file() -> Result<File, Failure> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let fd = io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| Failure::local(format!("stdout: {e}")))?;
        Ok(File::from(fd))
    }
    #[cfg(not(unix))]
    {
        compile_error!("simple-client writes stdout through a file handle; port stdout_file()");
    }
}

/// Whether `dest` exists and is neither a regular file nor a directory (following links).
fn is_special(dest: &Path) -> bool {
    fs::metadata(dest).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Most symbolic links followed from an `-o` destination (Linux's own limit, `ELOOP`).
const MAX_LINKS: usize = 40;

/// The file `dest` names once symbolic links are followed, even to a file that does not
/// exist yet: the download is renamed over that, so a link stays a link and its target gets
/// the new content, as when writing through it.
pub fn resolve_links(dest: &Path) -> Result<PathBuf, Failure> {
    let mut path = dest.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&path).map_err(|e| {
                    Failure::local(format!("reading the link {}: {e}", path.display()))
                })?;
                path = match path.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(Failure::local(format!(
        "{}: more than {MAX_LINKS} symbolic links to follow",
        dest.display()
    )))
}

/// Creates `.NAME.PID.N.part` beside `dest`, registered for removal on Ctrl-C. It gets the
/// permissions of the file it is to replace (without set-id and sticky bits), so a 0600
/// file stays 0600; for a new file, the usual 0666 less the umask.
fn create_temp(dest: &Path) -> Result<(File, PathBuf), Failure> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let keep_mode = fs::metadata(dest)
        .ok()
        .filter(fs::Metadata::is_file)
        .map(|m| m.permissions().mode() & 0o777);
    if dest.is_dir() {
        return Err(Failure::local(format!("{} is a directory", dest.display())));
    }
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dest
        .file_name()
        .ok_or_else(|| Failure::local(format!("{} is not a file name", dest.display())))?
        .to_string_lossy()
        .into_owned();
    let mut guard = PARTIAL.lock().unwrap_or_else(|e| e.into_inner());
    for n in 0..100 {
        let temp = dir.join(format!(".{name}.{}.{n}.part", std::process::id()));
        let created = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(keep_mode.unwrap_or(0o666))
            .open(&temp);
        match created {
            Ok(f) => {
                guard.push((temp.clone(), None));
                // The umask applied at creation; the replaced file's mode is kept exactly.
                if let Some(mode) = keep_mode {
                    f.set_permissions(fs::Permissions::from_mode(mode))
                        .map_err(|e| {
                            let _ = fs::remove_file(&temp);
                            unregister(&mut guard, &temp);
                            Failure::local(format!("setting the mode of {}: {e}", temp.display()))
                        })?;
                }
                return Ok((f, temp));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(Failure::local(format!(
                    "cannot create a file in {}: {e}",
                    dir.display()
                )))
            }
        }
    }
    Err(Failure::local(format!(
        "cannot create a temporary file in {}",
        dir.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spliced_bytes_follow_buffered_ones_into_the_file_and_a_pipe() {
        use std::net::{TcpListener, TcpStream};
        let body: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        let dir = std::env::temp_dir().join(format!("sink-splice-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("f");
        let (r, w) = rustix::pipe::pipe().unwrap();
        for to_pipe in [false, true] {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let mut tx = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (rx, _) = listener.accept().unwrap();
            let sent = body.clone();
            let writer = std::thread::spawn(move || tx.write_all(&sent[5..]).unwrap());
            let mut sink = if to_pipe {
                // A FIFO is written in place: spliced straight into it.
                let fd = rustix::io::dup(&w).unwrap();
                let mut sink = Sink::open(&Output::File(dest.clone()), None, false).unwrap();
                drop(std::mem::replace(
                    &mut sink.out,
                    BufWriter::new(File::from(fd)),
                ));
                if let Some((temp, _)) = sink.temp.take() {
                    unregister(&mut PARTIAL.lock().unwrap(), &temp);
                    fs::remove_file(&temp).unwrap();
                }
                sink
            } else {
                Sink::open(&Output::File(dest.clone()), None, false).unwrap()
            };
            let reader = to_pipe.then(|| {
                let fd = rustix::io::dup(&r).unwrap();
                let want = body.len();
                std::thread::spawn(move || {
                    let mut got = vec![0; want];
                    io::Read::read_exact(&mut File::from(fd), &mut got).unwrap();
                    got
                })
            });
            // Five bytes through the write buffer first (as with the head's first read).
            sink.write_body(&body[..5]).unwrap();
            let mut moved = 5;
            while moved < body.len() {
                match sink.splice_from(&rx, body.len() - moved) {
                    Ok(Some(n)) if n > 0 => moved += n,
                    other => panic!("splice: {other:?}"),
                }
            }
            writer.join().unwrap();
            assert_eq!(sink.written(), body.len() as u64);
            match (&sink.splice, to_pipe) {
                (Some(Splice::Direct), true) | (Some(Splice::Via(..)), false) => {}
                _ => panic!("not spliced the expected way (to a pipe: {to_pipe})"),
            }
            sink.finish().unwrap();
            match reader {
                Some(t) => assert!(t.join().unwrap() == body, "the pipe got the body"),
                None => assert!(fs::read(&dest).unwrap() == body, "the file holds the body"),
            }
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn never_replace_keeps_a_file_that_appeared_meanwhile() {
        let dir = std::env::temp_dir().join(format!("sink-noreplace-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("f");
        let mut sink = Sink::open(&Output::File(dest.clone()), None, false).unwrap();
        sink.never_replace();
        sink.write_body(b"new").unwrap();
        fs::write(&dest, b"theirs").unwrap();
        assert!(matches!(sink.finish(), Err(WriteFailure::Failed(_))));
        assert_eq!(fs::read(&dest).unwrap(), b"theirs");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "the temporary is gone"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
