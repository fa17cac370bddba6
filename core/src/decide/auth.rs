//! HTTP Basic authentication (RFC 7617): who may write, or read as well.
//!
//! The core parses `Authorization: Basic …` and decides what a missing or refused login
//! answers (401 with a challenge, 429 with `Retry-After`); whether a user's password is
//! right is the [`Authenticator`]'s to say. A shell with password hashes, a file it
//! re-reads and a table of failed attempts implements it outside the core (which stays
//! `no_std` and free of hashing crates); [`PlainUsers`] is the in-memory one, for
//! passwords given in plain, as `simple-server --auth USER:PASS` does.

use super::trim;
use crate::head::RequestHead;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::net::SocketAddr;

/// What a request presented in its `Authorization` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented<'a> {
    /// No `Authorization` field, or a scheme other than Basic: nothing was tried.
    Nothing,
    /// `Basic` with a token that is not base64 of `user:password` (RFC 7617 §2): a
    /// failed attempt.
    Malformed,
    /// `Basic` credentials: the user-id and the password, as sent (RFC 7617 §2.1: UTF-8
    /// is what the challenge asks for, but the bytes are whatever the client sent).
    Basic {
        /// The user-id, before the first colon.
        user: &'a [u8],
        /// The password, after it.
        password: &'a [u8],
    },
}

/// An [`Authenticator`]'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The credentials are a user's: the request goes on.
    Granted,
    /// None, or wrong ones: 401 with `WWW-Authenticate` ([`Rule::Unauthorized`](crate::Rule::Unauthorized)).
    Denied,
    /// Too many failed attempts from this peer lately: 429 with `Retry-After` ([`Rule::TooManyAttempts`](crate::Rule::TooManyAttempts)),
    /// whatever was presented, so that guessing cannot go on.
    Throttled {
        /// Seconds until the peer may try again.
        retry_after: u32,
    },
}

/// Checks credentials: the users a server knows, how their passwords are verified, and
/// how failed attempts are counted.
///
/// [`decide_from`](crate::decide::decide_from) calls it for each request that needs
/// credentials, with the peer's address when the shell knows it. It is behind a trait so
/// that what needs `std` or a heavy crate (password hashes, a clock for a table of
/// failures, a file to re-read) stays out of the core.
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// The verdict on what `peer` presented.
    fn check(&self, peer: Option<SocketAddr>, presented: Presented<'_>) -> Verdict;
}

/// Who must log in, and how they are checked ([`Policy::auth`](crate::Policy::auth)).
#[derive(Clone, Debug)]
pub struct Auth {
    /// Checks the credentials.
    pub users: Arc<dyn Authenticator>,
    /// Every request needs credentials, reads included (OPTIONS aside: it says only which
    /// methods exist, and a browser's CORS preflight never carries credentials);
    /// otherwise only PUT and DELETE do.
    pub reads: bool,
}

impl Auth {
    /// Credentials checked by `users`, for writes only or (`reads`) for every request.
    #[must_use]
    pub fn new(users: impl Authenticator + 'static, reads: bool) -> Auth {
        Auth {
            users: Arc::new(users),
            reads,
        }
    }
}

/// Two `Auth`s are equal when they check with the same authenticator and cover the same
/// requests.
impl PartialEq for Auth {
    fn eq(&self, other: &Auth) -> bool {
        Arc::ptr_eq(&self.users, &other.users) && self.reads == other.reads
    }
}

impl Eq for Auth {}

/// Users with plain passwords, held in memory. A check compares what was presented
/// with every user's `user:password` in time that depends neither on which user it is
/// (an unknown user costs what a known one does) nor on where the bytes differ. It counts
/// no failures: a shell that wants 429s after repeated failures wraps it.
#[derive(Clone, Default)]
pub struct PlainUsers {
    /// `user:password`, each.
    pairs: Vec<Vec<u8>>,
}

impl PlainUsers {
    /// The users of `pairs`, each `user:password` (split at the first colon, RFC 7617).
    #[must_use]
    pub fn new<I, S>(pairs: I) -> PlainUsers
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        PlainUsers {
            pairs: pairs
                .into_iter()
                .map(|p| p.as_ref().as_bytes().to_vec())
                .collect(),
        }
    }

    /// How many users there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Whether `user` and `password` are one of the pairs, in time that does not depend
    /// on which one or where they differ.
    #[must_use]
    pub fn verify(&self, user: &[u8], password: &[u8]) -> bool {
        let mut given = Vec::with_capacity(user.len() + 1 + password.len());
        given.extend_from_slice(user);
        given.push(b':');
        given.extend_from_slice(password);
        // No early exit: every pair is compared, whichever matches.
        self.pairs
            .iter()
            .fold(false, |found, pair| found | constant_time_eq(&given, pair))
    }
}

/// Never shows the passwords.
impl fmt::Debug for PlainUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlainUsers")
            .field("users", &self.pairs.len())
            .finish()
    }
}

impl Authenticator for PlainUsers {
    fn check(&self, _peer: Option<SocketAddr>, presented: Presented<'_>) -> Verdict {
        match presented {
            Presented::Basic { user, password } if self.verify(user, password) => Verdict::Granted,
            _ => Verdict::Denied,
        }
    }
}

/// The realm and charset of the challenge (RFC 7617 §2, §2.1): one protection space for
/// the whole server, and UTF-8 for the user-id and password.
pub(super) const CHALLENGE: &str = "Basic realm=\"simplehttp\", charset=\"UTF-8\"";

/// The decoded token of `Authorization: Basic …`: `None` when there is no such field
/// (or another scheme), `Some(None)` when it does not decode.
pub(super) fn basic_token(req: &RequestHead<'_>) -> Option<Option<Vec<u8>>> {
    let v = trim(req.header("authorization")?);
    // RFC 9110 §11.1: the scheme is case-insensitive.
    if v.len() < 5 || !v[..5].eq_ignore_ascii_case(b"basic") {
        return None;
    }
    if v.len() == 5 || v[5] != b' ' {
        // `Basic` with no token, or `Basicx`: another scheme only if it is a longer token.
        return (v.len() == 5).then_some(None);
    }
    Some(base64_decode(trim(&v[6..])))
}

/// What a decoded token presents: the user-id before the first colon (RFC 7617 §2: a
/// user-id cannot hold one), the password after.
pub(super) fn presented(token: &Option<Option<Vec<u8>>>) -> Presented<'_> {
    match token {
        None => Presented::Nothing,
        Some(None) => Presented::Malformed,
        Some(Some(t)) => match t.iter().position(|&b| b == b':') {
            Some(colon) => Presented::Basic {
                user: &t[..colon],
                password: &t[colon + 1..],
            },
            None => Presented::Malformed,
        },
    }
}

/// Standard base64 (RFC 4648 §4), padding optional.
fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let s = s
        .strip_suffix(b"==")
        .or_else(|| s.strip_suffix(b"="))
        .unwrap_or(s);
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in s {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6 | u32::from(v)) & 0xffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    // One leftover sextet cannot end a valid encoding.
    (bits < 6).then_some(out)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    fn b64(s: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in s.chunks(3) {
            let n = c
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= c.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn base64_round_trips() {
        for s in [
            &b""[..],
            b"a",
            b"ab",
            b"abc",
            b"user:pass",
            b"\xff\xfe\x00:\x01",
        ] {
            let e = b64(s);
            assert_eq!(base64_decode(e.as_bytes()).as_deref(), Some(s), "{e}");
            assert_eq!(
                base64_decode(e.trim_end_matches('=').as_bytes()).as_deref(),
                Some(s),
                "{e}"
            );
        }
        assert_eq!(b64(b"Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        for bad in [&b"a"[..], b"ab!c", b"ab c", b"abcde", b"=abc"] {
            assert_eq!(base64_decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn plain_users_grant_only_their_own_passwords() {
        let users = PlainUsers::new(["alice:s3cret", "bob:pass:word"]);
        assert_eq!(users.len(), 2);
        let check = |u: &[u8], p: &[u8]| {
            users.check(
                None,
                Presented::Basic {
                    user: u,
                    password: p,
                },
            )
        };
        assert_eq!(check(b"alice", b"s3cret"), Verdict::Granted);
        assert_eq!(check(b"bob", b"pass:word"), Verdict::Granted);
        assert_eq!(check(b"alice", b"pass:word"), Verdict::Denied);
        assert_eq!(check(b"alice", b"s3cret\0"), Verdict::Denied);
        assert_eq!(check(b"carol", b"s3cret"), Verdict::Denied);
        assert_eq!(check(b"", b""), Verdict::Denied);
        assert_eq!(users.check(None, Presented::Nothing), Verdict::Denied);
        assert_eq!(users.check(None, Presented::Malformed), Verdict::Denied);
        assert!(!alloc::format!("{users:?}").contains("s3cret"));
    }

    #[test]
    fn reads_what_a_request_presents() {
        use crate::{Event, Limits, RequestParser};
        let seen = |field: &str| {
            let field = if field.is_empty() {
                String::new()
            } else {
                alloc::format!("{field}\r\n")
            };
            let raw = alloc::format!("GET / HTTP/1.1\r\nHost: x\r\n{field}\r\n");
            let mut p = RequestParser::new(Limits::default());
            let Event::Head(head) = p.handle_bytes(raw.as_bytes()).unwrap().event else {
                panic!("{raw}")
            };
            let token = basic_token(&head);
            match presented(&token) {
                Presented::Nothing => String::from("nothing"),
                Presented::Malformed => String::from("malformed"),
                Presented::Basic { user, password } => alloc::format!(
                    "{}|{}",
                    core::str::from_utf8(user).unwrap(),
                    core::str::from_utf8(password).unwrap()
                ),
            }
        };
        assert_eq!(seen(""), "nothing");
        assert_eq!(seen("Authorization: Bearer abc"), "nothing");
        assert_eq!(seen("Authorization: Basicly abc"), "nothing");
        assert_eq!(seen("Authorization: Basic"), "malformed");
        assert_eq!(seen("Authorization: Basic !!!"), "malformed");
        assert_eq!(seen("Authorization: Basic dXNlcg=="), "malformed");
        assert_eq!(seen("Authorization: Basic dXNlcjpzZWNyZXQ="), "user|secret");
        assert_eq!(
            seen("Authorization: BASIC   dXNlcjpzZWNyZXQ=  "),
            "user|secret"
        );
        assert_eq!(seen("Authorization: Basic OmE6Yg=="), "|a:b");
    }

    #[test]
    fn compares_in_constant_time_shape() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"ab\0", b"ab"));
    }
}
