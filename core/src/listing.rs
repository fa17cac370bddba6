//! Directory listings: the HTML page of a folder, or the same entries as JSON, rendered a
//! piece at a time.
//!
//! [`decide`](crate::decide()) plans a listing as [`Body::Listing`](crate::Body::Listing):
//! the folder's entries, in the order the query asks for, and a cursor. A shell asks for the
//! next piece with [`Listing::write_next`] whenever its socket has drained what it had, so
//! it never holds more than one piece, whatever the size of the folder. The entries are
//! shared with the store ([`Listed`]); a connection holds a cursor, and for an order other
//! than by name a permutation of 4 bytes an entry.
//!
//! # The query
//! `?sort=name|size|modified&order=asc|desc&format=html|json`, each part optional; an
//! unknown part or value is ignored ([`ListingQuery::parse`]). Folders always come first;
//! ties are broken by name. `Accept: application/json` (preferred over `text/html`) also
//! asks for JSON; both answers say `Vary: Accept`.
//!
//! # The page
//! Breadcrumbs, a parent link, a table of name, size (in binary units, the exact bytes in
//! its `title`) and modification time (UTC, in a `<time datetime>` the script shows in the
//! reader's time), sort links in the column heads that work without JavaScript, a count and
//! total size. The script and stylesheet are not inline: they come from the reserved path
//! (see [`assets`](crate::assets)), so the page's `Content-Security-Policy` can forbid
//! every inline script and style. Under a writable root it holds an upload area the script
//! shows (files picked, or files and folders dropped, each uploaded by `PUT`; delete by
//! `DELETE` after a confirmation); a read-only page has none. Every control has a name
//! saying what it acts on (the upload input names the folder, the sort links say in their
//! `title` which way they sort, `../` is "Parent folder").
//!
//! # The JSON
//! `[{"name":"a.txt","kind":"file","size":3,"modified":784111777,"etag":"\"3-2ebc98a1-0\""}, ...]`:
//! `kind` is `"file"` or `"dir"`, `modified` is a Unix time in whole seconds (UTC), `size`
//! is bytes (`null` for a folder), `etag` is the file's ETag as a `GET` would give it
//! (`null` for a folder). Names are the real names, escaped as JSON (`"`, `\`, control
//! characters, and `<`, `>`, `&`, U+2028, U+2029 as `\u` escapes).
//!
//! # Names
//! Every name shown is safe to show and every link works: a name the request-target rules
//! would refuse (a control character such as a newline, a name no request could spell) is
//! left out, as are names the store could not read as UTF-8 and the root's `.simplehttp`
//! (the reserved path), and the page says how many were left out. Names starting with `.`
//! are left out too unless [`View::hidden`], and not counted: a hidden name is one the
//! server does not admit to. Bidirectional-text
//! controls (U+202E and its kin), which would make a name read as another, are shown as
//! their code points.

use crate::assets::{LISTING_CSS, LISTING_JS, RESERVED};
use crate::date::format_rfc3339;
use crate::head::TargetForm;
use crate::store::{DirEntry, Kind, Listed, Metadata};
use crate::target::{encode_segment, resolve, StorePath};
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt::Write as _;

/// The column a listing is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// By name (byte order of the UTF-8 names).
    #[default]
    Name,
    /// By size in bytes (folders, which have none, by name).
    Size,
    /// By modification time.
    Modified,
}

impl SortKey {
    fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Size => "size",
            SortKey::Modified => "modified",
        }
    }
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Smallest, oldest or first name first.
    #[default]
    Asc,
    /// Largest, newest or last name first.
    Desc,
}

/// What a listing is rendered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The HTML page.
    #[default]
    Html,
    /// A JSON array of entries.
    Json,
}

/// What a listing's query asks for: `?sort=name|size|modified&order=asc|desc&format=html|json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListingQuery {
    /// The column to sort by.
    pub sort: SortKey,
    /// The direction.
    pub order: Order,
    /// The format asked for in the query (`None`: let `Accept` decide).
    pub format: Option<Format>,
}

impl ListingQuery {
    /// Reads a query (without its `?`). Parts other than `sort`, `order` and `format`, and
    /// values other than those listed, are ignored: a listing link never fails.
    ///
    /// ```
    /// use simplehttp_core::listing::{Format, ListingQuery, Order, SortKey};
    /// let q = ListingQuery::parse(Some("sort=size&order=desc&format=json"));
    /// assert_eq!((q.sort, q.order, q.format), (SortKey::Size, Order::Desc, Some(Format::Json)));
    /// assert_eq!(ListingQuery::parse(Some("sort=colour")), ListingQuery::default());
    /// ```
    #[must_use]
    pub fn parse(query: Option<&str>) -> ListingQuery {
        let mut q = ListingQuery::default();
        for part in query.unwrap_or("").split('&') {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            match (key, value) {
                ("sort", "name") => q.sort = SortKey::Name,
                ("sort", "size") => q.sort = SortKey::Size,
                ("sort", "modified") => q.sort = SortKey::Modified,
                ("order", "asc") => q.order = Order::Asc,
                ("order", "desc") => q.order = Order::Desc,
                ("format", "html") => q.format = Some(Format::Html),
                ("format", "json") => q.format = Some(Format::Json),
                _ => {}
            }
        }
        q
    }
}

/// How a listing is shown: its order, its format and whether the page offers uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct View {
    /// The column to sort by.
    pub sort: SortKey,
    /// The direction.
    pub order: Order,
    /// HTML or JSON.
    pub format: Format,
    /// The store takes writes: the page holds the upload area and delete buttons.
    pub writable: bool,
    /// Show names that start with `.`; otherwise they are left out, uncounted
    /// ([`Policy::hidden`](crate::Policy::hidden)).
    pub hidden: bool,
}

/// A listing's page, to be written piece by piece ([`Listing::write_next`]) or whole
/// ([`Listing::to_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    dir: StorePath,
    /// Prepared: in name order, every name linkable.
    listed: Listed,
    view: View,
    /// The indices of the entries shown, in the order shown, unless that is every
    /// prepared entry in the prepared order.
    order: Option<Vec<u32>>,
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

/// Entries per piece: one allocation per piece, not per entry.
const RUN: usize = 64;

impl Listing {
    /// The HTML listing of `dir` from what the store listed, by name, read-only: sorted,
    /// with names that could not be linked to left out (and counted); see
    /// [`Listed::prepare`].
    #[must_use]
    pub fn new(dir: StorePath, listed: Listed) -> Listing {
        Listing::with_view(dir, listed, View::default())
    }

    /// The listing of `dir` as `view` asks. Sorting other than by name ascending, or
    /// leaving hidden names out of a folder that has some, takes 4 bytes an entry (and
    /// sorting O(n log n) comparisons).
    #[must_use]
    pub fn with_view(dir: StorePath, listed: Listed, view: View) -> Listing {
        let listed = listed.prepare(&dir);
        let order = shown_order(listed.entries(), view);
        Listing {
            listed,
            dir,
            view,
            order,
            at: At::Head,
        }
    }

    /// Every linkable entry of the folder, in name order (folders first), hidden ones
    /// included; [`Listing::iter`] gives those shown, in the order shown.
    #[must_use]
    pub fn entries(&self) -> &[DirEntry] {
        self.listed.entries()
    }

    /// How many entries are shown.
    #[must_use]
    pub fn len(&self) -> usize {
        self.order
            .as_ref()
            .map_or(self.listed.entries().len(), Vec::len)
    }

    /// Whether no entry is shown.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries shown, in the order shown.
    pub fn iter(&self) -> impl Iterator<Item = &DirEntry> + '_ {
        (0..self.len()).map(move |i| self.nth(i))
    }

    /// How the listing is shown.
    #[must_use]
    pub fn view(&self) -> View {
        self.view
    }

    fn nth(&self, i: usize) -> &DirEntry {
        let entries = self.entries();
        match &self.order {
            Some(order) => &entries[order[i] as usize],
            None => &entries[i],
        }
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
        let count = self.len();
        match at {
            At::Head => {
                match self.view.format {
                    Format::Html => self.html_head(h),
                    Format::Json => h.push('['),
                }
                if count == 0 {
                    At::Tail
                } else {
                    At::Entry(0)
                }
            }
            At::Entry(i) => {
                let end = (i + RUN).min(count);
                let mut href = String::new();
                for n in i..end {
                    let e = self.nth(n);
                    match self.view.format {
                        Format::Html => entry_row(e, &mut href, h),
                        Format::Json => json_entry(e, n == 0, h),
                    }
                }
                if end == count {
                    At::Tail
                } else {
                    At::Entry(end)
                }
            }
            At::Tail => {
                match self.view.format {
                    Format::Html => self.html_tail(h),
                    Format::Json => h.push_str(if count == 0 { "]\n" } else { "\n]\n" }),
                }
                At::Done
            }
            At::Done => At::Done,
        }
    }

    fn html_head(&self, h: &mut String) {
        let mut title = String::new();
        html_escape(&alloc::format!("{}", self.dir), &mut title);
        if !self.dir.is_root() {
            title.push('/');
        }
        h.push_str(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"color-scheme\" content=\"light dark\">\n\
             <link rel=\"icon\" href=\"data:,\">\n<title>Index of ",
        );
        h.push_str(&title);
        let _ = write!(
            h,
            "</title>\n<link rel=\"stylesheet\" href=\"/{RESERVED}/{}?v={:016x}\">\n\
             <script src=\"/{RESERVED}/{}?v={:016x}\" defer></script>\n</head>\n<body>\n<header>\n",
            LISTING_CSS.name, LISTING_CSS.hash, LISTING_JS.name, LISTING_JS.hash
        );
        self.breadcrumbs(h);
        h.push_str("<h1>Index of ");
        h.push_str(&title);
        h.push_str("</h1>\n");
        let (mut dirs, mut files, mut bytes) = (0usize, 0usize, 0u64);
        for e in self.iter() {
            if e.meta.kind == Kind::Dir {
                dirs += 1;
            } else {
                files += 1;
                bytes = bytes.saturating_add(e.meta.len);
            }
        }
        let _ = write!(
            h,
            "<p class=\"summary\" id=\"summary\">{dirs} folder{}, {files} file{}, <span title=\"{bytes} bytes\">",
            plural(dirs),
            plural(files)
        );
        human_size(bytes, h);
        h.push_str("</span></p>\n</header>\n<main>\n");
        if self.view.writable {
            // Shown by the script, which does the uploading: without it, nothing to offer.
            // The input's name says where the files go; the results are announced.
            h.push_str(
                "<section id=\"upload\" class=\"upload\" aria-label=\"Upload\" hidden>\n\
                 <label class=\"drop\" id=\"drop\"><span>Drop files or folders here, or</span> \
                 <input type=\"file\" id=\"files\" multiple aria-label=\"Upload files to ",
            );
            h.push_str(&title);
            h.push_str(
                "\"></label>\n\
                 <ul id=\"results\" class=\"results\" aria-label=\"Upload and delete results\" \
                 aria-live=\"polite\"></ul>\n</section>\n",
            );
        }
        h.push_str(
            "<input type=\"search\" id=\"filter\" class=\"filter\" placeholder=\"Filter names\" \
             aria-label=\"Filter names\" autocomplete=\"off\" hidden>\n",
        );
        // For the script: whether to offer uploads, and whether the server takes dot-names
        // (else a dropped folder's `.git` is left out rather than sent file by file to 404).
        let _ = write!(
            h,
            "<table id=\"listing\"{}{}>\n<thead><tr>",
            if self.view.writable {
                " data-writable=\"\""
            } else {
                ""
            },
            if self.view.writable && self.view.hidden {
                " data-hidden=\"\""
            } else {
                ""
            }
        );
        for (key, label, class) in [
            (SortKey::Name, "Name", "name"),
            (SortKey::Size, "Size", "size"),
            (SortKey::Modified, "Modified", "modified"),
        ] {
            self.sort_head(key, label, class, h);
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        if !self.dir.is_root() {
            h.push_str(
                "<tr class=\"up\"><td><a href=\"../\" aria-label=\"Parent folder\">../</a></td><td></td><td></td></tr>\n",
            );
        }
    }

    /// A column head: a link sorting by it (ascending, or the other way when it is the
    /// current column), and `aria-sort` on the current one.
    fn sort_head(&self, key: SortKey, label: &str, class: &str, h: &mut String) {
        let current = self.view.sort == key;
        let next = if current && self.view.order == Order::Asc {
            "desc"
        } else {
            "asc"
        };
        let _ = write!(h, "<th class=\"{class}\"");
        if current {
            h.push_str(match self.view.order {
                Order::Asc => " aria-sort=\"ascending\"",
                Order::Desc => " aria-sort=\"descending\"",
            });
        }
        // The link's name stays the column's (it names the column head too); its title
        // (the accessible description) says what following it does.
        let lower = match key {
            SortKey::Name => "name",
            SortKey::Size => "size",
            SortKey::Modified => "modification time",
        };
        let way = if next == "asc" {
            "ascending"
        } else {
            "descending"
        };
        let _ = write!(
            h,
            "><a href=\"?sort={}&amp;order={next}\" title=\"Sort by {lower}, {way}\">{label}",
            key.as_str()
        );
        if current {
            h.push_str(match self.view.order {
                Order::Asc => "<span aria-hidden=\"true\"> \u{25B2}</span>",
                Order::Desc => "<span aria-hidden=\"true\"> \u{25BC}</span>",
            });
        }
        h.push_str("</a></th>");
    }

    /// `Home / a / b /`, each part a link to that folder.
    fn breadcrumbs(&self, h: &mut String) {
        h.push_str("<nav class=\"crumbs\" aria-label=\"Path\"><a href=\"/\">Home</a>");
        let mut href = String::from("/");
        for seg in self.dir.segments() {
            encode_segment(seg, &mut href);
            href.push('/');
            h.push_str(" / <a href=\"");
            html_escape(&href, h);
            h.push_str("\">");
            html_escape(seg, h);
            h.push_str("</a>");
        }
        h.push_str("</nav>\n");
    }

    fn html_tail(&self, h: &mut String) {
        h.push_str("</tbody>\n</table>\n");
        let left_out = self.left_out();
        if left_out > 0 {
            let _ = writeln!(
                h,
                "<p class=\"note\">{} name{} in this folder cannot be shown or requested (not \
                 UTF-8, holding control characters, or reserved) and {} left out.</p>",
                left_out,
                plural(left_out),
                if left_out == 1 { "is" } else { "are" },
            );
        }
        if self.listed.truncated() {
            let _ = writeln!(
                h,
                "<p class=\"note\">This folder is too large to list whole: only the first {} \
                 entries read are shown.</p>",
                self.len()
            );
        }
        h.push_str("</main>\n</body>\n</html>\n");
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The order to show `entries` (prepared: folders first, then by name) in, as indices;
/// `None` for the prepared order itself.
/// Whether a listing that hides dot names leaves `e` out.
fn is_hidden(e: &DirEntry) -> bool {
    e.name.starts_with('.')
}

/// The indices of the entries `view` shows, in its order; `None`: all, in name order.
fn shown_order(entries: &[DirEntry], view: View) -> Option<Vec<u32>> {
    let View { sort, order, .. } = view;
    let hide = !view.hidden && entries.iter().any(is_hidden);
    if !hide && (sort, order) == (SortKey::Name, Order::Asc) {
        return None;
    }
    // The store bounds a listing far below 4 billion entries; past that, by name, and
    // nothing at all rather than a hidden name.
    let Ok(n) = u32::try_from(entries.len()) else {
        return hide.then(Vec::new);
    };
    let mut idx: Vec<u32> = (0..n)
        .filter(|&i| !hide || !is_hidden(&entries[i as usize]))
        .collect();
    if (sort, order) == (SortKey::Name, Order::Asc) {
        return Some(idx);
    }
    let key = |e: &DirEntry, f: &DirEntry| -> Ordering {
        let by = match sort {
            SortKey::Name => Ordering::Equal,
            // Folders have no size: they keep their name order.
            SortKey::Size if e.meta.kind == Kind::Dir => Ordering::Equal,
            SortKey::Size => e.meta.len.cmp(&f.meta.len),
            SortKey::Modified => (e.meta.modified, e.meta.modified_nanos)
                .cmp(&(f.meta.modified, f.meta.modified_nanos)),
        };
        by.then_with(|| e.name.cmp(&f.name))
    };
    idx.sort_unstable_by(|&a, &b| {
        let (e, f) = (&entries[a as usize], &entries[b as usize]);
        let within = match order {
            Order::Asc => key(e, f),
            Order::Desc => key(f, e),
        };
        (e.meta.kind != Kind::Dir)
            .cmp(&(f.meta.kind != Kind::Dir))
            .then(within)
    });
    Some(idx)
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
    h.push_str("</a></td>");
    if is_dir {
        h.push_str("<td>-</td>");
    } else {
        let _ = write!(h, "<td title=\"{} bytes\">", e.meta.len);
        human_size(e.meta.len, h);
        h.push_str("</td>");
    }
    let date = format_rfc3339(e.meta.modified);
    let date = core::str::from_utf8(&date).unwrap_or("");
    // `1994-11-06 08:49 UTC`, the exact second in the datetime.
    let _ = writeln!(
        h,
        "<td><time datetime=\"{date}\">{} {} UTC</time></td></tr>",
        &date[..10],
        &date[11..16]
    );
}

/// `512 B`, `1.5 KiB`, `20.0 MiB`: binary units, one decimal.
fn human_size(n: u64, h: &mut String) {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        let _ = write!(h, "{n} B");
        return;
    }
    let mut unit = 1024u128;
    let mut i = 0;
    while i + 1 < UNITS.len() && u128::from(n) >= unit * 1024 {
        unit *= 1024;
        i += 1;
    }
    let tenths = (u128::from(n) * 10 + unit / 2) / unit;
    let _ = write!(h, "{}.{} {}", tenths / 10, tenths % 10, UNITS[i]);
}

/// One JSON object of the array, with the comma before it unless it is the first.
fn json_entry(e: &DirEntry, first: bool, h: &mut String) {
    h.push_str(if first { "\n" } else { ",\n" });
    h.push_str("{\"name\":");
    json_string(&e.name, h);
    let Metadata {
        kind,
        len,
        modified,
        ..
    } = e.meta;
    match kind {
        Kind::Dir => {
            let _ = write!(
                h,
                ",\"kind\":\"dir\",\"size\":null,\"modified\":{},\"etag\":null}}",
                modified.0
            );
        }
        Kind::File => {
            let _ = write!(
                h,
                ",\"kind\":\"file\",\"size\":{len},\"modified\":{},\"etag\":",
                modified.0
            );
            json_string(&crate::decide::etag(&e.meta), h);
            h.push('}');
        }
    }
}

/// `s` as a JSON string (RFC 8259 §7). Beyond what JSON requires (`"`, `\\`, controls),
/// `<`, `>`, `&`, U+2028 and U+2029 are escaped too, so the text is inert wherever it
/// is pasted (HTML, a script).
pub(crate) fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
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
        // `/.simplehttp/` is the reserved path: decide answers it, never the store.
        if dir.is_root() && e.name == RESERVED {
            return false;
        }
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

    fn file(name: &str, len: u64, modified: u64) -> DirEntry {
        DirEntry {
            name: String::from(name),
            meta: Metadata {
                kind: Kind::File,
                len,
                modified: Timestamp(modified),
                modified_nanos: 0,
            },
        }
    }

    fn mixed() -> Listed {
        Listed::new(
            alloc::vec![
                file("b.txt", 300, 20),
                entry("zdir", Kind::Dir),
                file("a.txt", 5000, 10),
                file("c.txt", 10, 30),
                entry("adir", Kind::Dir),
                file("d.txt", 10, 5),
            ],
            0,
            false,
        )
    }

    fn shown(sort: SortKey, order: Order) -> Vec<String> {
        let view = View {
            sort,
            order,
            ..View::default()
        };
        let l = Listing::with_view(StorePath::root(), mixed(), view);
        l.iter().map(|e| e.name.clone()).collect()
    }

    #[test]
    fn sorts_by_each_column_folders_first() {
        use Order::{Asc, Desc};
        use SortKey::{Modified, Name, Size};
        for (sort, order, want) in [
            (
                Name,
                Asc,
                ["adir", "zdir", "a.txt", "b.txt", "c.txt", "d.txt"],
            ),
            (
                Name,
                Desc,
                ["zdir", "adir", "d.txt", "c.txt", "b.txt", "a.txt"],
            ),
            (
                Size,
                Asc,
                ["adir", "zdir", "c.txt", "d.txt", "b.txt", "a.txt"],
            ),
            (
                Size,
                Desc,
                ["zdir", "adir", "a.txt", "b.txt", "d.txt", "c.txt"],
            ),
            (
                Modified,
                Asc,
                ["adir", "zdir", "d.txt", "a.txt", "b.txt", "c.txt"],
            ),
            (
                Modified,
                Desc,
                ["zdir", "adir", "c.txt", "b.txt", "a.txt", "d.txt"],
            ),
        ] {
            assert_eq!(shown(sort, order), want, "{sort:?} {order:?}");
        }
    }

    #[test]
    fn sorts_a_quarter_million_entries() {
        let entries: Vec<DirEntry> = (0..250_000u64)
            .map(|i| file(&alloc::format!("f{i:06}"), (i * 7919) % 100_003, i % 977))
            .collect();
        let view = View {
            sort: SortKey::Size,
            order: Order::Desc,
            ..View::default()
        };
        let l = Listing::with_view(StorePath::root(), Listed::new(entries, 0, false), view);
        let sizes: Vec<u64> = l.iter().map(|e| e.meta.len).collect();
        assert_eq!(sizes.len(), 250_000);
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn column_heads_link_to_each_order() {
        let view = View {
            sort: SortKey::Size,
            order: Order::Asc,
            ..View::default()
        };
        let h = String::from_utf8(Listing::with_view(StorePath::root(), mixed(), view).to_bytes())
            .unwrap();
        assert!(
            h.contains(
                "<th class=\"name\"><a href=\"?sort=name&amp;order=asc\" \
                 title=\"Sort by name, ascending\">Name</a></th>"
            ),
            "{h}"
        );
        assert!(h.contains("<th class=\"size\" aria-sort=\"ascending\"><a href=\"?sort=size&amp;order=desc\" title=\"Sort by size, descending\">Size"), "{h}");
        assert!(
            h.contains(
                "<a href=\"?sort=modified&amp;order=asc\" \
                 title=\"Sort by modification time, ascending\">Modified</a>"
            ),
            "{h}"
        );
        assert!(
            h.contains("2 folders, 4 files, <span title=\"5320 bytes\">5.2 KiB</span>"),
            "{h}"
        );
        assert!(
            h.contains("<time datetime=\"1970-01-01T00:00:20Z\">1970-01-01 00:00 UTC</time>"),
            "{h}"
        );
        // Nothing inline for the CSP to refuse: the assets come from the reserved path.
        assert!(!h.contains("<style") && !h.contains("<script>") && !h.contains(" style="));
        assert!(h.contains("<script src=\"/.simplehttp/listing.js?v="));
        assert!(h.contains("<link rel=\"stylesheet\" href=\"/.simplehttp/listing.css?v="));
        assert!(!h.contains("id=\"upload\""), "read-only: no upload area");
        let writable = View {
            writable: true,
            ..View::default()
        };
        let h =
            String::from_utf8(Listing::with_view(StorePath::root(), mixed(), writable).to_bytes())
                .unwrap();
        assert!(
            h.contains("<section id=\"upload\" class=\"upload\" aria-label=\"Upload\" hidden>"),
            "{h}"
        );
        assert!(
            h.contains(
                "<input type=\"file\" id=\"files\" multiple aria-label=\"Upload files to /\">"
            ),
            "{h}"
        );
        assert!(
            h.contains("<table id=\"listing\" data-writable=\"\">"),
            "{h}"
        );
        let with_dots = View {
            writable: true,
            hidden: true,
            ..View::default()
        };
        let h =
            String::from_utf8(Listing::with_view(StorePath::root(), mixed(), with_dots).to_bytes())
                .unwrap();
        assert!(
            h.contains("<table id=\"listing\" data-writable=\"\" data-hidden=\"\">"),
            "{h}"
        );
    }

    #[test]
    fn shows_sizes_in_binary_units() {
        for (n, want) in [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1536, "1.5 KiB"),
            (10 * 1024 * 1024, "10.0 MiB"),
            (u64::MAX, "16.0 EiB"),
        ] {
            let mut h = String::new();
            human_size(n, &mut h);
            assert_eq!(h, want);
        }
    }

    #[test]
    fn query_parts_pick_the_order_and_format() {
        use Format::{Html, Json};
        for (q, sort, order, format) in [
            (None, SortKey::Name, Order::Asc, None),
            (Some(""), SortKey::Name, Order::Asc, None),
            (Some("sort=modified"), SortKey::Modified, Order::Asc, None),
            (
                Some("order=desc&sort=size"),
                SortKey::Size,
                Order::Desc,
                None,
            ),
            (Some("format=json"), SortKey::Name, Order::Asc, Some(Json)),
            (
                Some("format=html&x=1&sort"),
                SortKey::Name,
                Order::Asc,
                Some(Html),
            ),
            (
                Some("sort=SIZE&order=up&format=xml"),
                SortKey::Name,
                Order::Asc,
                None,
            ),
            (Some("sort=size&sort=name"), SortKey::Name, Order::Asc, None),
        ] {
            let got = ListingQuery::parse(q);
            assert_eq!(
                (got.sort, got.order, got.format),
                (sort, order, format),
                "{q:?}"
            );
        }
    }

    #[test]
    fn json_lists_every_entry_escaped() {
        let entries = alloc::vec![
            file("q\"b<i>&\u{2028}.txt", 3, 784_111_777),
            entry("d", Kind::Dir),
            file("\u{202E}é", 0, 1),
        ];
        let view = View {
            format: Format::Json,
            ..View::default()
        };
        let l = Listing::with_view(StorePath::root(), Listed::new(entries, 0, false), view);
        let j = String::from_utf8(l.to_bytes()).unwrap();
        assert_eq!(
            j,
            "[\n{\"name\":\"d\",\"kind\":\"dir\",\"size\":null,\"modified\":0,\"etag\":null},\n\
             {\"name\":\"q\\\"b\\u003ci\\u003e\\u0026\\u2028.txt\",\"kind\":\"file\",\"size\":3,\
             \"modified\":784111777,\"etag\":\"\\\"3-2ebc98a1-0\\\"\"},\n\
             {\"name\":\"\u{202E}é\",\"kind\":\"file\",\"size\":0,\"modified\":1,\"etag\":\"\\\"0-1-0\\\"\"}\n]\n"
        );
        assert_eq!(l.total_len(), j.len() as u64);
        let empty = Listing::with_view(StorePath::root(), Listed::default(), view);
        assert_eq!(empty.to_bytes(), b"[]\n");
        let mut out = String::new();
        json_string("\u{1}\u{7f}\t\r\n\\", &mut out);
        assert_eq!(out, "\"\\u0001\\u007f\\t\\r\\n\\\\\"");
    }

    #[test]
    fn hides_the_reserved_name_at_the_root_only() {
        let root = listing("", &[".simplehttp", "a"], 0);
        let names: Vec<&str> = root.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!((names, root.left_out()), (alloc::vec!["a"], 1));
        let below = listing("/d/", &[".simplehttp"], 0);
        assert_eq!(below.entries().len(), 1);
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
        assert!(h.contains("<a href=\"../\" aria-label=\"Parent folder\">../</a>"));
        assert!(
            h.contains("<a href=\"./a%20b/\">a b/</a></td><td>-</td>"),
            "{h}"
        );
        assert!(
            h.contains(
                "<a href=\"./b%3Cscript%3E.txt\">b&lt;script&gt;.txt</a></td><td title=\"3 bytes\">3 B</td>"
            ),
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
        assert!(
            h.contains("<a href=\"/\">Home</a> / <a href=\"/d%26d/\">d&amp;d</a></nav>"),
            "{h}"
        );
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
            page.contains("<p class=\"note\">3 names in this folder cannot be shown"),
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
