//! Which IP addresses an outbound request may connect to.
//!
//! A public address is one in global unicast space that is not set aside by
//! the IANA special-purpose registries (RFC 6890 and successors): loopback,
//! RFC 1918 private, CGNAT, link-local, unique-local, documentation,
//! benchmarking, multicast, reserved and unspecified addresses are not.
//! IPv6 forms that embed an IPv4 address (IPv4-mapped, NAT64's well-known
//! prefix, 6to4) are judged by the IPv4 address inside.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Where outbound requests may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressPolicy {
    /// Public addresses only: what a server on the internet must enforce.
    PublicOnly,
    /// Also loopback, private, link-local and other non-public unicast
    /// addresses (tests, closed local setups). Unspecified, multicast and
    /// broadcast addresses stay refused: no peer lives there.
    AllowPrivate,
}

impl AddressPolicy {
    pub fn allows(self, ip: IpAddr) -> bool {
        match self {
            AddressPolicy::PublicOnly => is_public(ip),
            AddressPolicy::AllowPrivate => !is_never_a_peer(ip),
        }
    }
}

/// Whether `ip` is a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = a == 0 // "this network", 0.0.0.0/8
        || a == 10 // private
        || (a == 100 && (64..=127).contains(&b)) // shared address space (CGNAT), 100.64.0.0/10
        || a == 127 // loopback
        || (a == 169 && b == 254) // link-local (cloud metadata lives here)
        || (a == 172 && (16..=31).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast (deprecated)
        || (a == 192 && b == 168) // private
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, 198.18.0.0/15
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224; // multicast 224/4, reserved 240/4, broadcast
    !special
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    // Only global unicast (2000::/3) can be public. This leaves out ::, ::1,
    // the deprecated IPv4-compatible ::/96, 64:ff9b:1::/48 (local NAT64),
    // 100::/64 (discard), fc00::/7 (unique local), fe80::/10 (link-local),
    // fec0::/10 (site-local) and ff00::/8 (multicast).
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    let special = match s[0] {
        // IETF protocol assignments 2001::/23 (Teredo, benchmarking,
        // ORCHID, ...) and documentation 2001:db8::/32.
        0x2001 => s[1] < 0x0200 || s[1] == 0x0db8,
        // Documentation 3fff::/20.
        0x3fff => s[1] & 0xf000 == 0,
        _ => false,
    };
    !special
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), NAT64
/// well-known-prefix (`64:ff9b::a.b.c.d`) or 6to4 (`2002:AABB:CCDD::/48`)
/// address: connecting to those reaches that IPv4 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let low = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(low(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(low(s[1], s[2]));
    }
    None
}

fn is_never_a_peer(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast(),
        IpAddr::V6(v6) => v6.is_unspecified() || v6.is_multicast(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn refuses_every_special_purpose_range() {
        for text in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.8.9.10",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:2::1",
            "2001:10::1",
            "2001:db8::1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "3fff::1",
            "3fff:fff::1",
            "5f00::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(!is_public(ip(text)), "{text} must not count as public");
            assert!(!AddressPolicy::PublicOnly.allows(ip(text)), "{text}");
        }
    }

    #[test]
    fn accepts_public_unicast_next_to_the_ranges() {
        for text in [
            "1.1.1.1",
            "9.255.255.255",
            "11.0.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "126.255.255.255",
            "128.0.0.1",
            "169.253.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "192.0.3.1",
            "192.167.1.1",
            "192.169.1.1",
            "198.17.255.255",
            "198.20.0.1",
            "203.0.114.1",
            "223.255.255.254",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:200::1",
            "2001:db9::1",
            "2606:4700::1111",
            "2a00:1450:4001::1",
            "3fff:1000::1",
        ] {
            assert!(is_public(ip(text)), "{text} is public");
        }
    }

    #[test]
    fn allowing_private_still_refuses_what_is_never_a_peer() {
        let policy = AddressPolicy::AllowPrivate;
        for text in ["127.0.0.1", "::1", "10.0.0.1", "192.168.0.1", "fd00::1", "169.254.1.1", "8.8.8.8"] {
            assert!(policy.allows(ip(text)), "{text}");
        }
        for text in ["0.0.0.0", "::", "::ffff:0.0.0.0", "224.0.0.1", "255.255.255.255", "ff02::1", "::ffff:239.1.1.1"] {
            assert!(!policy.allows(ip(text)), "{text}");
        }
    }
}
