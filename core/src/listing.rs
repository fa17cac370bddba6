//! Directory listings: the HTML page of a folder, rendered a piece at a time.
//!
//! [`decide`](crate::decide()) plans a listing as [`Body::Listing`](crate::Body::Listing):
//! the folder's entries, sorted (folders first, then by name), and a cursor. A shell asks
//! for the next piece with [`Listing::write_next`] whenever its socket has drained what it
//! had, so it never holds more than one piece of HTML, whatever the size of the folder.
//!
//! Every name shown is safe to show and every link works: a name the request-target rules
//! would refuse (a control character such as a newline, a name no request could spell) is
//! left out, as are names the store could not read as UTF-8, and the page says how many
//! were left out. Bidirectional-text controls (U+202E and its kin), which would make a name
//! read as another, are shown as their code points.

use crate::head::TargetForm;
use crate::store::{DirEntry, Kind, Listed};
use crate::target::{encode_segment, resolve, StorePath};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

/// A listing's page, to be written piece by piece ([`Listing::write_next`]) or whole
/// ([`Listing::to_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    dir: StorePath,
    /// Prepared: in order, every name linkable.
    listed: Listed,
    /// The next part to write.
    at: At,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Head,
    Entry(usize),
    Tail,
    Done,
}

impl Listing {
    /// The listing of `dir` from what the store listed: sorted, with names that could not
    /// be linked to left out (and counted); see [`Listed::prepare`].
    #[must_use]
    pub fn new(dir: StorePath, listed: Listed) -> Listing {
        Listing {
            listed: listed.prepare(&dir),
            dir,
            at: At::Head,
        }
    }

    /// The entries shown, in order.
    #[must_use]
    pub fn entries(&self) -> &[DirEntry] {
        self.listed.entries()
    }

    /// How many names of the folder are not shown.
    #[must_use]
    pub fn left_out(&self) -> usize {
        self.listed.left_out()
    }

    /// Whether every piece has been written.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.at == At::Done
    }

    /// Appends the next pieces of the page to `out`, stopping once about `max` bytes were
    /// added (always at least one piece). Returns whether the page is now complete.
    pub fn write_next(&mut self, out: &mut Vec<u8>, max: usize) -> bool {
        let start = out.len();
        let mut s = String::new();
        while self.at != At::Done && (out.len() == start || out.len() - start < max) {
            s.clear();
            self.at = self.render(self.at, &mut s);
            out.extend_from_slice(s.as_bytes());
        }
        self.at == At::Done
    }

    /// The whole page from where the cursor is (all of it for a new listing).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut copy = self.clone();
        let mut out = Vec::new();
        while !copy.write_next(&mut out, usize::MAX) {}
        out
    }

    /// The length of the whole page in bytes (for a `Content-Length`), computed by rendering
    /// it a piece at a time without keeping it.
    #[must_use]
    pub fn total_len(&self) -> u64 {
        let mut at = At::Head;
        let mut s = String::new();
        let mut n = 0u64;
        while at != At::Done {
            s.clear();
            at = self.render(at, &mut s);
            n += s.len() as u64;
        }
        n
    }

    /// Renders the part at `at` into `h` and returns the part after it.
    fn render(&self, at: At, h: &mut String) -> At {
        match at {
            At::Head => {
                let mut title = String::new();
                html_escape(&alloc::format!("{}", self.dir), &mut title);
                if !self.dir.is_root() {
                    title.push('/');
                }
                h.push_str(
                    "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>Index of ",
                );
                h.push_str(&title);
                h.push_str("</title>\n</head>\n<body>\n<h1>Index of ");
                h.push_str(&title);
                h.push_str(
                    "</h1>\n<table>\n<tr><th>Name</th><th>Size</th><th>Modified</th></tr>\n",
                );
                if !self.dir.is_root() {
                    h.push_str("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n");
                }
                if self.entries().is_empty() {
                    At::Tail
                } else {
                    At::Entry(0)
                }
            }
            At::Entry(i) => {
                // A piece is a run of entries: one allocation per piece, not per entry.
                let entries = self.entries();
                let end = (i + 64).min(entries.len());
                let mut href = String::new();
                for e in &entries[i..end] {
                    entry_row(e, &mut href, h);
                }
                if end == entries.len() {
                    At::Tail
                } else {
                    At::Entry(end)
                }
            }
            At::Tail => {
                h.push_str("</table>\n");
                let left_out = self.left_out();
                if left_out > 0 {
                    let _ = writeln!(
                        h,
                        "<p>{} name{} in this folder cannot be shown or requested (not UTF-8, \
                         or holding control characters) and {} left out.</p>",
                        left_out,
                        if left_out == 1 { "" } else { "s" },
                        if left_out == 1 { "is" } else { "are" },
                    );
                }
                if self.listed.truncated() {
                    let _ = writeln!(
                        h,
                        "<p>This folder is too large to list whole: only the first {} \
                         entries read are shown.</p>",
                        self.entries().len()
                    );
                }
                h.push_str("</body>\n</html>\n");
                At::Done
            }
            At::Done => At::Done,
        }
    }
}

/// One table row: escaped name, percent-encoded relative link, size, date.
fn entry_row(e: &DirEntry, href: &mut String, h: &mut String) {
    let is_dir = e.meta.kind == Kind::Dir;
    href.clear();
    encode_segment(&e.name, href);
    h.push_str("<tr><td><a href=\"./");
    html_escape(href, h);
    if is_dir {
        h.push('/');
    }
    h.push_str("\">");
    html_escape(&e.name, h);
    if is_dir {
        h.push('/');
    }
    h.push_str("</a></td><td>");
    if is_dir {
        h.push('-');
    } else {
        let _ = write!(h, "{}", e.meta.len);
    }
    h.push_str("</td><td>");
    h.push_str(core::str::from_utf8(&crate::date::format_http_date(e.meta.modified)).unwrap_or(""));
    h.push_str("</td></tr>\n");
}

/// Keeps the entries whose listed link leads back to `dir/name`: a name the request-target
/// rules refuse (control characters, say) could be shown but never requested.
pub(crate) fn keep_linkable(dir: &StorePath, entries: &mut Vec<DirEntry>) {
    let mut href = String::new();
    let mut base = dir.to_url_path();
    if !base.ends_with('/') {
        base.push('/');
    }
    entries.retain(|e| {
        let Some(want) = dir.join(&e.name) else {
            return false;
        };
        href.clear();
        href.push_str(&base);
        encode_segment(&e.name, &mut href);
        resolve(&href, TargetForm::Origin).is_ok_and(|got| got == want)
    });
}

/// Escapes `s` for HTML text and attribute values. Control characters (which no request
/// could name, but a file name may hold) become U+FFFD; bidirectional-text controls and
/// other invisible formatting characters, which could make one name read as another,
/// become their code point in brackets (`[U+202E]`).
pub(crate) fn html_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push('\u{fffd}'),
            c if is_invisible_format(c) => {
                let _ = write!(out, "[U+{:04X}]", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// Bidirectional-text controls (Unicode's Bidi_Control property), zero-width characters
/// and the byte-order mark: characters that change how a name reads without being seen.
#[must_use]
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Metadata;
    use crate::Timestamp;

    fn entry(name: &str, kind: Kind) -> DirEntry {
        DirEntry {
            name: String::from(name),
            meta: Metadata {
                kind,
                len: 3,
                modified: Timestamp(0),
                modified_nanos: 0,
            },
        }
    }

    fn listing(dir: &str, names: &[&str], left_out: usize) -> Listing {
        let dir = if dir.is_empty() {
            StorePath::root()
        } else {
            resolve(dir, TargetForm::Origin).unwrap()
        };
        let entries = names.iter().map(|n| entry(n, Kind::File)).collect();
        Listing::new(dir, Listed::new(entries, left_out, false))
    }

    #[test]
    fn html_escape_replaces_control_characters() {
        let mut out = String::new();
        html_escape("a<b>\u{1b}[31m\u{85}&", &mut out);
        assert_eq!(out, "a&lt;b&gt;\u{fffd}[31m\u{fffd}&amp;");
    }

    #[test]
    fn escapes_names_and_links() {
        let entries = alloc::vec![
            entry("b<script>.txt", Kind::File),
            entry("a b", Kind::Dir),
            entry("x:y&z'\".txt", Kind::File),
        ];
        let dir = StorePath::root().join("d&d").unwrap();
        let listed = Listed::new(entries, 0, false);
        let h = String::from_utf8(Listing::new(dir, listed).to_bytes()).unwrap();
        assert!(h.contains("<title>Index of /d&amp;d/</title>"), "{h}");
        assert!(h.contains("<a href=\"../\">../</a>"));
        assert!(
            h.contains("<a href=\"./a%20b/\">a b/</a></td><td>-</td>"),
            "{h}"
        );
        assert!(
            h.contains("<a href=\"./b%3Cscript%3E.txt\">b&lt;script&gt;.txt</a></td><td>3</td>"),
            "{h}"
        );
        assert!(
            h.contains("<a href=\"./x%3Ay%26z%27%22.txt\">x:y&amp;z&#39;&quot;.txt</a>"),
            "{h}"
        );
        assert!(
            h.find("a b/").unwrap() < h.find("b&lt;").unwrap(),
            "directories first"
        );
        assert!(!h.contains("<script>"));
        assert!(!h.contains("cannot be shown"));
        let empty = listing("", &[], 0).to_bytes();
        assert!(!String::from_utf8(empty).unwrap().contains("../"));
    }

    #[test]
    fn leaves_out_names_whose_links_would_not_work_and_says_so() {
        let l = listing("/d/", &["ok.txt", "new\nline", "tab\there", "b"], 1);
        let names: Vec<&str> = l.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["b", "ok.txt"]);
        assert_eq!(l.left_out(), 3);
        let page = String::from_utf8(l.to_bytes()).unwrap();
        assert!(
            page.contains("<p>3 names in this folder cannot be shown"),
            "{page}"
        );
    }

    #[test]
    fn shows_bidi_controls_as_code_points() {
        let l = listing("", &["invoice\u{202E}txt.exe"], 0);
        let page = String::from_utf8(l.to_bytes()).unwrap();
        assert!(page.contains(">invoice[U+202E]txt.exe</a>"), "{page}");
        assert!(
            page.contains("href=\"./invoice%E2%80%AEtxt.exe\""),
            "{page}"
        );
        assert!(!page.contains('\u{202E}'));
    }

    #[test]
    fn pieces_add_up_to_the_whole_page_and_its_length() {
        let names: Vec<String> = (0..1000).map(|i| alloc::format!("file-{i:04}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut l = listing("/big/", &refs, 0);
        let whole = l.to_bytes();
        assert_eq!(l.total_len(), whole.len() as u64);
        let mut pieces = Vec::new();
        let mut calls = 0;
        loop {
            let before = pieces.len();
            let done = l.write_next(&mut pieces, 4096);
            assert!(pieces.len() > before);
            // A piece stops soon after the budget: at most one run of entries past it.
            assert!(pieces.len() - before < 4096 + 64 * 200);
            calls += 1;
            if done {
                break;
            }
        }
        assert!(l.is_done());
        assert!(calls > 5, "{calls} pieces");
        assert_eq!(pieces, whole);
        assert!(l.write_next(&mut pieces, 10));
        assert_eq!(pieces, whole);
    }
}
