//! What the start lines say: the URLs the server can be reached at, and `--qr`'s code.
//!
//! A socket bound to `0.0.0.0` or `::` listens on every address of the machine, and
//! `http://0.0.0.0:8080` opens nowhere: such a bind is shown as one URL per interface
//! address ([`if_addrs`]), loopback first, then IPv4, then IPv6. IPv6 link-local addresses
//! (`fe80::/10`) are left out: they need a zone (`%eth0`) that names the *client's*
//! interface, which the server cannot know, and browsers do not take zones in URLs.

use std::net::{IpAddr, SocketAddr};

/// One address the server can be reached at, as a URL (`http://[::1]:8080`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reachable {
    /// The address.
    pub addr: SocketAddr,
    /// `scheme://addr`, IPv6 in brackets.
    pub url: String,
}

/// The URLs of the bound sockets `bound` (each with whether an IPv6 one also takes IPv4,
/// dual-stack), expanding unspecified addresses to the machine's `interfaces`.
#[must_use]
pub fn reachable(bound: &[(SocketAddr, bool)], interfaces: &[IpAddr], tls: bool) -> Vec<Reachable> {
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for &(addr, dual_stack) in bound {
        let port = addr.port();
        if !addr.ip().is_unspecified() {
            addrs.push(addr);
            continue;
        }
        let v4 = addr.is_ipv4() || dual_stack;
        let v6 = addr.is_ipv6();
        let mut found: Vec<IpAddr> = interfaces
            .iter()
            .copied()
            .filter(|ip| match ip {
                IpAddr::V4(_) => v4,
                IpAddr::V6(a) => v6 && !a.is_unicast_link_local() && a.to_ipv4_mapped().is_none(),
            })
            .collect();
        // Without the interfaces (none, or they could not be read), loopback at least.
        if found.is_empty() {
            if v4 {
                found.push(IpAddr::from([127, 0, 0, 1]));
            }
            if v6 {
                found.push(IpAddr::from(std::net::Ipv6Addr::LOCALHOST));
            }
        }
        addrs.extend(found.into_iter().map(|ip| SocketAddr::new(ip, port)));
    }
    let mut seen = std::collections::HashSet::new();
    addrs.retain(|a| seen.insert(*a));
    // Loopback first, IPv4 before IPv6; otherwise as the interfaces come (a stable sort).
    addrs.sort_by_key(|a| (!a.ip().is_loopback(), a.is_ipv6()));
    let scheme = if tls { "https" } else { "http" };
    addrs
        .into_iter()
        .map(|addr| Reachable {
            addr,
            url: format!("{scheme}://{addr}"),
        })
        .collect()
}

/// This machine's interface addresses; none when they cannot be read.
#[must_use]
pub fn interface_addrs() -> Vec<IpAddr> {
    if_addrs::get_if_addrs()
        .map(|list| list.into_iter().map(|i| i.ip()).collect())
        .unwrap_or_default()
}

/// The first URL another machine can open, if any.
#[must_use]
pub fn first_lan(urls: &[Reachable]) -> Option<&Reachable> {
    urls.iter().find(|r| !r.addr.ip().is_loopback())
}

/// `text` as a QR code for a terminal: two modules a character with the half blocks
/// `▀ ▄ █`, light modules drawn in white on black whatever the terminal's colours, with a
/// quiet zone of two modules around it. Ends each line with a reset.
#[must_use]
pub fn qr_lines(text: &str) -> Option<Vec<String>> {
    use qrcode::{Color, EcLevel, QrCode};
    const QUIET: usize = 2;
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 2 * QUIET;
    let dark = |x: usize, y: usize| -> bool {
        if x < QUIET || y < QUIET || x >= QUIET + width || y >= QUIET + width {
            return false;
        }
        colors[(y - QUIET) * width + (x - QUIET)] == Color::Dark
    };
    let mut lines = Vec::with_capacity(side.div_ceil(2));
    for row in (0..side).step_by(2) {
        let mut line = String::from("\x1b[97;40m");
        for x in 0..side {
            // The row below the last is part of no code: drawn dark, the terminal's own.
            let (top, bottom) = (dark(x, row), row + 1 >= side || dark(x, row + 1));
            line.push(match (top, bottom) {
                (false, false) => '█',
                (false, true) => '▀',
                (true, false) => '▄',
                (true, true) => ' ',
            });
        }
        line.push_str("\x1b[0m");
        lines.push(line);
    }
    Some(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn urls(bound: &[(SocketAddr, bool)], interfaces: &[&str], tls: bool) -> Vec<String> {
        let ifs: Vec<IpAddr> = interfaces.iter().map(|i| i.parse().unwrap()).collect();
        reachable(bound, &ifs, tls)
            .into_iter()
            .map(|r| r.url)
            .collect()
    }

    const IFS: [&str; 6] = [
        "192.168.1.5",
        "127.0.0.1",
        "fe80::1",
        "::1",
        "2001:db8::5",
        "10.0.0.2",
    ];

    #[test]
    fn an_unspecified_bind_lists_each_interface_loopback_first() {
        assert_eq!(
            urls(&[(sa("0.0.0.0:8080"), false)], &IFS, false),
            [
                "http://127.0.0.1:8080",
                "http://192.168.1.5:8080",
                "http://10.0.0.2:8080"
            ]
        );
        // `::` alone is dual-stack on Linux: both families, without link-local.
        assert_eq!(
            urls(&[(sa("[::]:443"), true)], &IFS, true),
            [
                "https://127.0.0.1:443",
                "https://[::1]:443",
                "https://192.168.1.5:443",
                "https://10.0.0.2:443",
                "https://[2001:db8::5]:443"
            ]
        );
        assert_eq!(
            urls(&[(sa("[::]:80"), false)], &IFS, false),
            ["http://[::1]:80", "http://[2001:db8::5]:80"]
        );
    }

    #[test]
    fn specific_binds_are_kept_and_never_duplicated() {
        assert_eq!(
            urls(
                &[(sa("127.0.0.1:1"), false), (sa("[::1]:1"), false)],
                &IFS,
                false
            ),
            ["http://127.0.0.1:1", "http://[::1]:1"]
        );
        assert_eq!(
            urls(
                &[(sa("192.168.1.5:1"), false), (sa("0.0.0.0:1"), false)],
                &IFS,
                false
            ),
            [
                "http://127.0.0.1:1",
                "http://192.168.1.5:1",
                "http://10.0.0.2:1"
            ]
        );
        // No interface could be read: loopback still.
        assert_eq!(
            urls(&[(sa("0.0.0.0:1"), false)], &[], false),
            ["http://127.0.0.1:1"]
        );
    }

    #[test]
    fn first_lan_skips_loopback() {
        let ifs: Vec<IpAddr> = IFS.iter().map(|i| i.parse().unwrap()).collect();
        let all = reachable(&[(sa("0.0.0.0:8"), false)], &ifs, false);
        assert_eq!(first_lan(&all).unwrap().url, "http://192.168.1.5:8");
        let lo = reachable(&[(sa("127.0.0.1:8"), false)], &ifs, false);
        assert_eq!(first_lan(&lo), None);
    }

    #[test]
    fn draws_a_square_code_of_half_blocks() {
        let lines = qr_lines("http://192.168.1.5:8080").unwrap();
        let code = qrcode::QrCode::with_error_correction_level(
            "http://192.168.1.5:8080".as_bytes(),
            qrcode::EcLevel::M,
        )
        .unwrap();
        let side = code.width() + 4;
        assert_eq!(lines.len(), side.div_ceil(2));
        for line in &lines {
            let body = line
                .strip_prefix("\x1b[97;40m")
                .and_then(|l| l.strip_suffix("\x1b[0m"))
                .unwrap();
            assert_eq!(body.chars().count(), side);
            assert!(body.chars().all(|c| " ▀▄█".contains(c)), "{body:?}");
        }
        // The quiet zone: the first line is light on top (two light rows).
        assert!(lines[0].contains(&"█".repeat(side)));
    }
}
