//! `-J/--remote-header-name`: the file name `-O` saves under, taken from the response's
//! `Content-Disposition` (RFC 6266) and made safe.
//!
//! `filename*=UTF-8''...` (RFC 8187; ISO-8859-1 too) is preferred over `filename=`. The
//! name keeps only its last path segment (`../../x` and `/etc/passwd` become `x` and
//! `passwd`); what is left must be a plain name: not empty, not `.` or `..`, no leading dot
//! (no hidden file), no control character, no bidi control, at most 255 bytes. Otherwise,
//! or without the field, the URL's name is used, and a line on stderr says why.

use super::show;

/// Longest file name on Linux file systems.
const MAX_NAME: usize = 255;

/// The name to save under, given the field's value and the URL's name: the name, and a
/// line for stderr when the header's name was not used as it was.
pub fn choose(field: Option<&[u8]>, url_name: &str) -> (String, Option<String>) {
    let fallback = |why: String| {
        let shown = show::sanitize(url_name.as_bytes());
        (
            url_name.to_string(),
            Some(format!("-J: {why}; saving as \"{shown}\" (from the URL)")),
        )
    };
    let Some(field) = field else {
        return fallback("the response has no Content-Disposition".into());
    };
    let Some(raw) = filename(field) else {
        return fallback("Content-Disposition names no file".into());
    };
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let shown = show::sanitize(raw.as_bytes());
    if let Err(why) = check(base) {
        return fallback(format!("the server's name \"{shown}\" {why}"));
    }
    let note = (base != raw).then(|| {
        format!(
            "-J: the server's name \"{shown}\" has directories; saving as \"{}\"",
            show::sanitize(base.as_bytes())
        )
    });
    (base.to_string(), note)
}

/// The `-J` destination for a final response with Content-Disposition `field`, in place of
/// `-O`'s `url_name`: said on stderr when it is not the server's name as sent, and refused
/// (exit 1) when a file of that name exists, unless `--clobber`.
pub fn output(
    field: Option<&[u8]>,
    url_name: &std::path::Path,
    cfg: &super::config::Config,
) -> Result<super::config::Output, super::error::Failure> {
    let (name, note) = choose(field, &url_name.to_string_lossy());
    if let Some(note) = note {
        show::eprint_lines("simple-client: ", [note]);
    }
    let shown = show::sanitize(name.as_bytes());
    if cfg.verbose {
        show::eprint_lines("* ", [format!("saving as \"{shown}\"")]);
    }
    let path = std::path::PathBuf::from(name);
    if !cfg.clobber && std::fs::symlink_metadata(&path).is_ok() {
        return Err(super::error::Failure::local(format!(
            "-J: \"{shown}\" exists; not overwriting it (--clobber does)"
        )));
    }
    Ok(super::config::Output::File(path))
}

/// Why `name` (one path segment) is not a safe file name, if it is not.
fn check(name: &str) -> Result<(), String> {
    if name.is_empty() || name == "." || name == ".." {
        return Err("is not a file name".into());
    }
    if name.starts_with('.') {
        return Err("starts with a dot (a hidden file)".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!("holds a control character (U+{:04X})", c as u32));
    }
    if let Some(c) = name.chars().find(|&c| show::is_bidi_control(c)) {
        return Err(format!(
            "holds a bidi control (U+{:04X}), which can make it show as another name",
            c as u32
        ));
    }
    if name.len() > MAX_NAME {
        return Err(format!("is longer than {MAX_NAME} bytes"));
    }
    Ok(())
}

/// The file name in a Content-Disposition value: `filename*` when it decodes, else
/// `filename`; `None` when neither is there.
pub fn filename(value: &[u8]) -> Option<String> {
    let params = params(value);
    let extended = params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("filename*"))
        .and_then(|(_, v)| decode_ext(v));
    extended.or_else(|| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("filename"))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    })
}

/// The `name=value` parameters after the disposition type; quoted strings unquoted
/// (RFC 9110 §5.6.4).
fn params(value: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = value.iter().position(|&b| b == b';').unwrap_or(value.len());
    while i < value.len() {
        i += 1; // the ';'
        while i < value.len() && matches!(value[i], b' ' | b'\t') {
            i += 1;
        }
        let name_start = i;
        while i < value.len() && !matches!(value[i], b'=' | b';') {
            i += 1;
        }
        let name = String::from_utf8_lossy(&value[name_start..i])
            .trim()
            .to_string();
        if i >= value.len() || value[i] == b';' {
            continue;
        }
        i += 1; // the '='
        while i < value.len() && matches!(value[i], b' ' | b'\t') {
            i += 1;
        }
        let mut v = Vec::new();
        if value.get(i) == Some(&b'"') {
            i += 1;
            while i < value.len() && value[i] != b'"' {
                if value[i] == b'\\' && i + 1 < value.len() {
                    i += 1;
                }
                v.push(value[i]);
                i += 1;
            }
            // Past the closing quote, to the next ';'.
            while i < value.len() && value[i] != b';' {
                i += 1;
            }
        } else {
            while i < value.len() && value[i] != b';' {
                v.push(value[i]);
                i += 1;
            }
            while v.last().is_some_and(|b| matches!(b, b' ' | b'\t')) {
                v.pop();
            }
        }
        out.push((name, v));
    }
    out
}

/// Decodes an RFC 8187 `charset'language'pct-encoded` value (UTF-8 or ISO-8859-1).
fn decode_ext(v: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(v).ok()?;
    let mut parts = text.splitn(3, '\'');
    let (charset, _lang, encoded) = (parts.next()?, parts.next()?, parts.next()?);
    let mut bytes = Vec::with_capacity(encoded.len());
    let b = encoded.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |c: u8| (c as char).to_digit(16);
            let (h, l) = (hex(*b.get(i + 1)?)?, hex(*b.get(i + 2)?)?);
            bytes.push((h * 16 + l) as u8);
            i += 3;
        } else {
            bytes.push(b[i]);
            i += 1;
        }
    }
    if charset.eq_ignore_ascii_case("utf-8") {
        String::from_utf8(bytes).ok()
    } else if charset.eq_ignore_ascii_case("iso-8859-1") {
        Some(bytes.iter().map(|&b| char::from(b)).collect())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_forms_preferring_the_extended_one() {
        let rows: &[(&str, Option<&str>)] = &[
            ("attachment; filename=\"a b.txt\"", Some("a b.txt")),
            ("attachment; filename=plain.txt", Some("plain.txt")),
            ("attachment;filename=\"q\\\"x\";size=3", Some("q\"x")),
            (
                "attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt",
                Some("€ rates.txt"),
            ),
            ("attachment; filename*=iso-8859-1'en'%E9t%E9", Some("été")),
            (
                "attachment; filename*=UTF-8''%FF; filename=ok.txt",
                Some("ok.txt"),
            ),
            ("inline", None),
            ("attachment; name=x", None),
        ];
        for (value, want) in rows {
            assert_eq!(filename(value.as_bytes()).as_deref(), *want, "{value}");
        }
    }

    #[test]
    fn keeps_only_safe_base_names() {
        let url = "from-url.bin";
        let cd = |v: &str| choose(Some(v.as_bytes()), url);
        assert_eq!(
            cd("attachment; filename=\"report.pdf\""),
            ("report.pdf".into(), None)
        );
        let (name, note) = cd("attachment; filename=\"../../x\"");
        assert_eq!(name, "x");
        assert_eq!(
            note.as_deref(),
            Some("-J: the server's name \"../../x\" has directories; saving as \"x\"")
        );
        assert_eq!(cd("attachment; filename=\"/etc/passwd\"").0, "passwd");
        assert_eq!(
            cd("attachment; filename=\"..\\\\..\\\\win.ini\"").0,
            "win.ini"
        );
        for (value, why) in [
            ("attachment; filename*=UTF-8''a%0D%0Ab", "the server's name \"a\\r\\nb\" holds a control character (U+000D)"),
            (
                "attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe",
                "the server's name \"invoice\\u{202e}fdp.exe\" holds a bidi control (U+202E), which can make it show as another name",
            ),
            ("attachment; filename=\"\"", "the server's name \"\" is not a file name"),
            ("attachment; filename=\"a/\"", "the server's name \"a/\" is not a file name"),
            ("attachment; filename=\"../..\"", "the server's name \"../..\" is not a file name"),
            ("attachment; filename=\".bashrc\"", "the server's name \".bashrc\" starts with a dot (a hidden file)"),
            ("attachment", "Content-Disposition names no file"),
        ] {
            assert_eq!(
                cd(value),
                (
                    url.to_string(),
                    Some(format!("-J: {why}; saving as \"from-url.bin\" (from the URL)"))
                ),
                "{value}"
            );
        }
        let long = format!("attachment; filename=\"{}\"", "a".repeat(256));
        assert_eq!(cd(&long).0, url);
        assert_eq!(
            choose(None, url).1.as_deref(),
            Some("-J: the response has no Content-Disposition; saving as \"from-url.bin\" (from the URL)")
        );
    }
}
