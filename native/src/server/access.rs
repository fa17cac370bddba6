//! Who may use the server: the users of `--auth` and `--auth-file`, how their passwords
//! are checked, the file's reload, and the table of failed logins that earns a 429.
//!
//! The core parses `Authorization: Basic` and answers 401 or 429 as an
//! [`Authenticator`] says; [`Access`] is that authenticator.
//!
//! - `--auth USER:PASS` (and `SIMPLE_SERVER_AUTH`) users are the core's [`PlainUsers`]:
//!   every user's `user:password` is compared, in constant time, whatever was presented.
//! - `--auth-file` users have SHA-512-crypt (`$6$`) or argon2 (`$argon2id$`, `$argon2i$`,
//!   `$argon2d$`) hashes. An unknown user is verified against the first user's hash, and
//!   refused whatever the result, so it costs what a known user does.
//! - The file is checked for a change (inode, size, times, mode) at most once a second,
//!   on the first login after that second; a new file replaces the users only if every
//!   line of it is good. Otherwise the old users stay and one line says why.
//! - A hash costs milliseconds (argon2's defaults: about 20 ms in a release build), and a
//!   login is checked on the worker thread that serves the connection, so every other
//!   connection of that worker waits meanwhile. Rather than hand verifications to a
//!   thread (the core decides a request in one call, and a pending verdict would need a
//!   new state in its engine), a successful verification is remembered: a browser sends
//!   the credentials with every request, and each after the first costs an HMAC and a
//!   table look-up. The table holds HMAC-SHA-256 tags of (file generation, user,
//!   password) under a key drawn at start, never a password or a fast hash of one; it is
//!   emptied when the file changes and holds at most [`GRANTED_MAX`] tags. Failed
//!   verifications are never remembered, and are bounded per address by the throttle.
//! - Failed logins (wrong credentials, or a `Basic` field that does not decode) are
//!   logged with the peer's address and counted per address (an IPv6 address by its /64,
//!   which one host usually holds whole): [`FAILURES_MAX`] within [`FAILURE_WINDOW`]
//!   earn 429 for [`BLOCK`] to every request that needs credentials, right ones
//!   included, without verifying anything. The table holds at most [`TABLE_MAX`]
//!   addresses; when full, stale ones go first, then the oldest that is not blocked.

use super::log::{push_sanitized, push_utc};
use argon2::password_hash::phc;
use argon2::{Argon2, PasswordHasher as _};
use ring::hmac;
use simplehttp_core::{Authenticator, PlainUsers, Presented, Verdict};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

/// Failed logins from one address that earn a 429.
pub const FAILURES_MAX: u32 = 10;
/// The window those failures are counted in.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// How long an address then gets 429.
pub const BLOCK: Duration = Duration::from_secs(60);
/// Most addresses the failure table holds.
pub const TABLE_MAX: usize = 4096;
/// Most successful verifications remembered.
pub const GRANTED_MAX: usize = 1024;
/// How often the file is checked for a change, at most.
const RECHECK: Duration = Duration::from_secs(1);
/// The largest `--auth-file`: about 8,000 users.
const FILE_MAX: u64 = 1 << 20;
/// The most SHA-512-crypt rounds a hash may ask for (glibc's default is 5,000; a million
/// take about half a second).
const ROUNDS_MAX: u32 = 1_000_000;
/// The most memory an argon2 hash may ask for, in KiB (argon2's default is 19 MiB), and
/// the most passes: each verification takes this memory on a worker thread.
const ARGON2_M_MAX: u32 = 256 * 1024;
const ARGON2_T_MAX: u32 = 32;
const ARGON2_P_MAX: u32 = 16;

/// A password hash of a known scheme, checked when the file was read.
#[derive(Clone)]
enum Hash {
    ShaCrypt(sha_crypt::PasswordHash),
    Argon2(String),
}

impl Hash {
    /// Parses `s` (the part of a line after `user:`); the error says what is wrong with it,
    /// never quoting it.
    fn parse(s: &str) -> Result<Hash, String> {
        const KNOWN: &str = "SHA-512-crypt ($6$...) and argon2 ($argon2id$...) are understood; \
                             simple-server --hash-password USER makes a line";
        if s.is_empty() {
            return Err("the password is empty".into());
        }
        if !s.starts_with('$') {
            return Err(format!("holds a plain password, not a hash ({KNOWN})"));
        }
        if let Some(rest) = s.strip_prefix("$6$") {
            if let Some(rounds) = rest.strip_prefix("rounds=") {
                let n = rounds.split('$').next().unwrap_or("");
                match n.parse::<u32>() {
                    Ok(n) if (1000..=ROUNDS_MAX).contains(&n) => {}
                    _ => {
                        return Err(format!(
                            "a SHA-512-crypt hash wants rounds=1000 to rounds={ROUNDS_MAX}"
                        ))
                    }
                }
            }
            let bad = || "not a well-formed SHA-512-crypt hash".to_string();
            let hash = sha_crypt::PasswordHash::new(s).map_err(|_| bad())?;
            // $6$[rounds=N$]salt$hash: the hash is 86 characters of crypt base64.
            let last = s.rsplit('$').next().unwrap_or("");
            if last.len() != 86 || s.matches('$').count() > 4 {
                return Err(bad());
            }
            return Ok(Hash::ShaCrypt(hash));
        }
        if ["$argon2id$", "$argon2i$", "$argon2d$"]
            .iter()
            .any(|p| s.starts_with(p))
        {
            let bad = || "not a well-formed argon2 hash".to_string();
            let hash = phc::PasswordHash::new(s).map_err(|_| bad())?;
            let params = argon2::Params::try_from(&hash).map_err(|_| bad())?;
            if hash.salt.is_none() || hash.hash.is_none() {
                return Err(bad());
            }
            if params.m_cost() > ARGON2_M_MAX
                || params.t_cost() > ARGON2_T_MAX
                || params.p_cost() > ARGON2_P_MAX
            {
                return Err(format!(
                    "the argon2 hash costs more than this server verifies (at most \
                     m={ARGON2_M_MAX}, t={ARGON2_T_MAX}, p={ARGON2_P_MAX})"
                ));
            }
            return Ok(Hash::Argon2(s.to_string()));
        }
        Err(format!("unknown hash scheme ({KNOWN})"))
    }

    /// Whether `password` is the one hashed.
    fn verify(&self, password: &[u8]) -> bool {
        use sha_crypt::PasswordVerifier as _;
        match self {
            Hash::ShaCrypt(h) => sha_crypt::ShaCrypt::default()
                .verify_password(password, h)
                .is_ok(),
            Hash::Argon2(s) => Argon2::default()
                .verify_password(password, s.as_str())
                .is_ok(),
        }
    }
}

/// The users of one reading of the file.
struct FileUsers {
    users: HashMap<String, Hash>,
    /// The first user's hash: what an unknown user is verified against.
    dummy: Hash,
    /// Which reading this is: remembered verifications are of one reading.
    generation: u64,
}

/// What identifies a version of the file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    mode: u32,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt as _;
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
            mode: meta.mode(),
        }
    }
}

/// The `--auth-file`, as last read, and what was last seen of it.
struct UsersFile {
    path: PathBuf,
    current: RwLock<Arc<FileUsers>>,
    /// The last check for a change, and the version seen then (good or bad: a bad one is
    /// reported once).
    checked: Mutex<(Instant, Option<Stamp>)>,
}

/// A user list read from an `--auth-file`, ready to serve.
pub struct LoadedFile {
    path: PathBuf,
    users: FileUsers,
    stamp: Stamp,
}

impl LoadedFile {
    /// The user names, in no order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.users.users.keys().map(String::as_str)
    }
}

/// Reads and checks an `--auth-file`: one `user:hash` a line, `#` comments and blank
/// lines allowed; group and others may neither read nor write it. `taken` are the names
/// `--auth` already gives. The error is one line naming the file (and the line).
pub fn load_file(path: &Path, taken: &[String]) -> Result<LoadedFile, String> {
    let (text, stamp) = read_private(path)?;
    let shown = path.display();
    let mut users: HashMap<String, Hash> = HashMap::new();
    let mut lines_of: HashMap<String, usize> = HashMap::new();
    let mut dummy = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let at = |why: String| format!("--auth-file {shown} line {n}: {why}");
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((user, hash)) = line.split_once(':') else {
            return Err(at(
                "wants USER:HASH, a user name, a colon, then a password hash".into(),
            ));
        };
        if user.is_empty() {
            return Err(at("wants USER:HASH; the user name is empty".into()));
        }
        if user.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(at(
                "the user name holds a space or a control character".into()
            ));
        }
        if let Some(first) = lines_of.get(user) {
            return Err(at(format!(
                "user {user} appears again (first on line {first})"
            )));
        }
        if taken.iter().any(|t| t == user) {
            return Err(at(format!("user {user} is also given by --auth")));
        }
        let hash = Hash::parse(hash).map_err(at)?;
        dummy.get_or_insert_with(|| hash.clone());
        lines_of.insert(user.to_string(), n);
        users.insert(user.to_string(), hash);
    }
    let Some(dummy) = dummy else {
        return Err(format!("--auth-file {shown} names no user"));
    };
    Ok(LoadedFile {
        path: path.to_path_buf(),
        users: FileUsers {
            users,
            dummy,
            generation: 0,
        },
        stamp,
    })
}

/// The text of a file that group and others may neither read nor write (as ssh asks of a
/// private key), and its stamp.
fn read_private(path: &Path) -> Result<(String, Stamp), String> {
    use std::io::Read as _;
    use std::os::unix::fs::PermissionsExt as _;
    let shown = path.display();
    let cannot =
        |e: std::io::Error| format!("cannot read --auth-file {shown}: {}", super::io_reason(&e));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    let mode = meta.permissions().mode() & 0o7777;
    if meta.is_file() && mode & 0o077 != 0 {
        return Err(format!(
            "--auth-file {shown} is open to other users (mode {mode:04o}); run chmod 600 {shown}"
        ));
    }
    let mut bytes = Vec::new();
    file.take(FILE_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > FILE_MAX {
        return Err(format!(
            "--auth-file {shown} is larger than 1 MiB; it wants USER:HASH lines"
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("--auth-file {shown} is not UTF-8 text; it wants USER:HASH lines"))?;
    Ok((text, Stamp::of(&meta)))
}

/// One address's failed logins.
#[derive(Debug, Clone, Copy)]
struct Record {
    since: Instant,
    count: u32,
    blocked_until: Option<Instant>,
}

/// Failed logins per address, bounded.
#[derive(Debug, Default)]
struct Failures {
    map: HashMap<IpAddr, Record>,
}

/// The address failures are counted under: an IPv4 address, or an IPv6 address's /64.
fn failure_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    }
}

impl Failures {
    /// Seconds `ip` must still wait, if it is blocked.
    fn blocked(&mut self, ip: IpAddr, now: Instant) -> Option<u32> {
        let key = failure_key(ip);
        let until = self.map.get(&key)?.blocked_until?;
        if until > now {
            let secs = (until - now).as_secs_f64().ceil();
            return Some((secs as u32).max(1));
        }
        self.map.remove(&key);
        None
    }

    /// Counts a failure from `ip`; whether it blocks the address now.
    fn fail(&mut self, ip: IpAddr, now: Instant) -> bool {
        let key = failure_key(ip);
        if !self.map.contains_key(&key) && self.map.len() >= TABLE_MAX {
            self.make_room(now);
        }
        let fresh = Record {
            since: now,
            count: 0,
            blocked_until: None,
        };
        let r = self.map.entry(key).or_insert(fresh);
        if r.blocked_until.is_none() && now.duration_since(r.since) > FAILURE_WINDOW {
            *r = fresh;
        }
        r.count += 1;
        if r.count >= FAILURES_MAX && r.blocked_until.is_none() {
            r.blocked_until = Some(now + BLOCK);
            return true;
        }
        false
    }

    fn make_room(&mut self, now: Instant) {
        self.map.retain(|_, r| match r.blocked_until {
            Some(until) => until > now,
            None => now.duration_since(r.since) <= FAILURE_WINDOW,
        });
        if self.map.len() >= TABLE_MAX {
            let oldest = self
                .map
                .iter()
                .min_by_key(|(_, r)| (r.blocked_until.is_some(), r.since))
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                self.map.remove(&k);
            }
        }
    }
}

/// The users a server knows, how their passwords are checked, and the failed logins per
/// address: the core's [`Authenticator`] for `simple-server`. See the [module docs](self).
pub struct Access {
    plain: PlainUsers,
    /// The names of `plain`, which the file may not give again.
    plain_names: Vec<String>,
    file: Option<UsersFile>,
    failures: Mutex<Failures>,
    /// Tags of successful verifications against the file.
    granted: Mutex<HashSet<[u8; 32]>>,
    key: hmac::Key,
}

impl fmt::Debug for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Access")
            .field("plain", &self.plain)
            .field(
                "file",
                &self.file.as_ref().map(|f| f.path.display().to_string()),
            )
            .finish_non_exhaustive()
    }
}

impl Access {
    /// The users of `plain` (`user:password` each, checked already) and of `file`.
    #[must_use]
    pub fn new(plain: &[String], file: Option<LoadedFile>) -> Access {
        let rng = ring::rand::SystemRandom::new();
        // The system's random source failing at start is a broken system.
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng).expect("the system's random source");
        Access {
            plain: PlainUsers::new(plain),
            plain_names: plain
                .iter()
                .map(|p| p.split_once(':').map_or(p.as_str(), |(u, _)| u).to_string())
                .collect(),
            file: file.map(|f| UsersFile {
                path: f.path,
                current: RwLock::new(Arc::new(f.users)),
                checked: Mutex::new((Instant::now(), Some(f.stamp))),
            }),
            failures: Mutex::new(Failures::default()),
            granted: Mutex::new(HashSet::new()),
            key,
        }
    }

    /// The file's users as they are now, after reading it again if it changed.
    fn file_users(&self, file: &UsersFile, now: Instant) -> Arc<FileUsers> {
        // One thread checks at a time; the others go on with the users they have.
        if let Ok(mut checked) = file.checked.try_lock() {
            if now.duration_since(checked.0) >= RECHECK {
                checked.0 = now;
                let stamp = std::fs::metadata(&file.path).ok().map(|m| Stamp::of(&m));
                if stamp != checked.1 {
                    checked.1 = stamp;
                    self.reload(file);
                }
            }
        }
        Arc::clone(&file.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn reload(&self, file: &UsersFile) {
        match load_file(&file.path, &self.plain_names) {
            Ok(loaded) => {
                let mut current = file.current.write().unwrap_or_else(|e| e.into_inner());
                let mut users = loaded.users;
                users.generation = current.generation + 1;
                let n = users.users.len();
                *current = Arc::new(users);
                drop(current);
                self.granted
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clear();
                log_line(&format!(
                    "read --auth-file {} again: {n} user{}",
                    file.path.display(),
                    if n == 1 { "" } else { "s" }
                ));
            }
            Err(e) => log_line(&format!("kept the users of before: {e}")),
        }
    }

    /// The tag remembering that `password` is `user`'s in `generation`.
    fn tag(&self, generation: u64, user: &[u8], password: &[u8]) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(&generation.to_le_bytes());
        ctx.update(&(user.len() as u64).to_le_bytes());
        ctx.update(user);
        ctx.update(password);
        let mut out = [0; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        out
    }

    fn verify_file(&self, users: &FileUsers, user: &[u8], password: &[u8]) -> bool {
        let tag = self.tag(users.generation, user, password);
        let mut granted = self.granted.lock().unwrap_or_else(|e| e.into_inner());
        if granted.contains(&tag) {
            return true;
        }
        drop(granted);
        let known = std::str::from_utf8(user)
            .ok()
            .and_then(|u| users.users.get(u));
        let ok = match known {
            Some(hash) => hash.verify(password),
            None => {
                // As slow as a known user, and refused whatever the result.
                let _ = users.dummy.verify(password);
                false
            }
        };
        if ok {
            granted = self.granted.lock().unwrap_or_else(|e| e.into_inner());
            if granted.len() >= GRANTED_MAX {
                granted.clear();
            }
            granted.insert(tag);
        }
        ok
    }

    /// Logs a failed login from `peer` (as `user`, when one was given) and counts it.
    fn failed(&self, peer: Option<SocketAddr>, user: Option<&[u8]>, now: Instant) {
        let mut line = String::from("failed login");
        if let Some(user) = user {
            line.push_str(" as \"");
            push_sanitized(&mut line, user);
            line.push('"');
        } else {
            line.push_str(" (Basic credentials that do not decode)");
        }
        let Some(peer) = peer else {
            log_line(&line);
            return;
        };
        line.push_str(&format!(" from {peer}"));
        let blocked = self
            .failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .fail(peer.ip(), now);
        if blocked {
            line.push_str(&format!(
                "; {FAILURES_MAX} within {} s: 429 to {} for {} s",
                FAILURE_WINDOW.as_secs(),
                failure_key(peer.ip()),
                BLOCK.as_secs()
            ));
        }
        log_line(&line);
    }
}

impl Authenticator for Access {
    fn check(&self, peer: Option<SocketAddr>, presented: Presented<'_>) -> Verdict {
        let now = Instant::now();
        if let Some(peer) = peer {
            let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(retry_after) = failures.blocked(peer.ip(), now) {
                return Verdict::Throttled { retry_after };
            }
        }
        let (user, password) = match presented {
            Presented::Nothing => return Verdict::Denied,
            Presented::Malformed => {
                self.failed(peer, None, now);
                return Verdict::Denied;
            }
            Presented::Basic { user, password } => (user, password),
        };
        if self.plain.verify(user, password) {
            return Verdict::Granted;
        }
        if let Some(file) = &self.file {
            let users = self.file_users(file, now);
            if self.verify_file(&users, user, password) {
                return Verdict::Granted;
            }
        }
        self.failed(peer, Some(user), now);
        Verdict::Denied
    }
}

/// `2026-11-24T11:00:00Z simple-server: <text>` on stderr, ignoring failures.
fn log_line(text: &str) {
    let mut line = String::new();
    push_utc(&mut line, SystemTime::now());
    line.push_str(" simple-server: ");
    line.push_str(text);
    line.push('\n');
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// An argon2id hash of `password` with argon2's default cost (19 MiB, 2 passes), as
/// `--hash-password` prints.
pub fn hash_password(password: &[u8]) -> Result<String, String> {
    Argon2::default()
        .hash_password(password)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openssl passwd -6 -salt saltsalt s3cret`.
    const SHA512: &str = "$6$saltsalt$As4wrv0kZlfch1du9WeH7qhskyLriQWySXrZzynnvi46nFnNxjdpl6ksRegrrKexvhIa/Iny8S8uF3fVWTMuC1";

    #[test]
    fn parses_and_verifies_both_schemes() {
        let h = Hash::parse(SHA512).unwrap();
        assert!(h.verify(b"s3cret"));
        assert!(!h.verify(b"s3cret "));
        let made = hash_password(b"pass word").unwrap();
        assert!(
            made.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{made}"
        );
        let h = Hash::parse(&made).unwrap();
        assert!(h.verify(b"pass word"));
        assert!(!h.verify(b"pass"));
    }

    #[test]
    fn refuses_what_is_not_a_known_hash() {
        let err = |s: &str| Hash::parse(s).err().unwrap();
        assert_eq!(err(""), "the password is empty");
        assert!(err("s3cret").starts_with("holds a plain password"));
        assert!(err("$2y$10$abcdefghijklmnopqrstuv").starts_with("unknown hash scheme"));
        assert!(err("$1$salt$hash").starts_with("unknown hash scheme"));
        assert_eq!(err("$6$salt$short"), "not a well-formed SHA-512-crypt hash");
        assert!(err("$6$rounds=999$salt$x").contains("rounds=1000"));
        assert!(err("$6$rounds=2000000$salt$x").contains("rounds=1000"));
        assert_eq!(
            err("$argon2id$v=19$nonsense"),
            "not a well-formed argon2 hash"
        );
        let huge =
            "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA";
        assert!(
            err(huge).starts_with("the argon2 hash costs more"),
            "{}",
            err(huge)
        );
        // No message quotes what it refused.
        for bad in ["s3cret", "$x$s3cret", "$6$s3cret"] {
            assert!(!err(bad).contains("s3cret"), "{bad}");
        }
    }

    #[test]
    fn counts_failures_per_address_and_blocks_for_a_while() {
        let mut f = Failures::default();
        let t0 = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for i in 1..FAILURES_MAX {
            assert!(!f.fail(a, t0), "{i}");
            assert_eq!(f.blocked(a, t0), None);
        }
        assert!(f.fail(a, t0));
        assert_eq!(f.blocked(a, t0), Some(60));
        assert_eq!(f.blocked(a, t0 + Duration::from_millis(59_500)), Some(1));
        assert_eq!(f.blocked(b, t0), None);
        assert_eq!(f.blocked(a, t0 + BLOCK), None);
        // Failures further apart than the window never add up.
        let mut f = Failures::default();
        for i in 0..30 {
            assert!(!f.fail(a, t0 + Duration::from_secs(i * 7)));
        }
        // One IPv6 host's /64 counts as one address; the IPv4-mapped form is IPv4.
        let v6 = |s: &str| failure_key(s.parse().unwrap());
        assert_eq!(v6("2001:db8::1"), v6("2001:db8::ffff:1"));
        assert_ne!(v6("2001:db8::1"), v6("2001:db8:0:1::1"));
        assert_eq!(v6("::ffff:192.0.2.1"), a);
    }

    #[test]
    fn the_failure_table_stays_bounded() {
        let mut f = Failures::default();
        let t0 = Instant::now();
        for i in 0..(TABLE_MAX as u32 + 100) {
            f.fail(IpAddr::V4(i.into()), t0);
        }
        assert!(f.map.len() <= TABLE_MAX);
    }
}
