//! The pure parts of server-level blocks: IP ranges as admins write them
//! (`8.8.8.8`, `8.8.8.0/24`, `2001:db8::/32`), normalized to their network
//! address, and how a published domain block names an obfuscated host.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpRangeError {
    #[error("is not an IP address or range")]
    Address,
    #[error("has an invalid prefix length")]
    Prefix,
}

/// An address range: the network address and its prefix length. A single
/// address is a /32 (IPv4) or /128 (IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

fn bits(address: IpAddr) -> (u128, u8) {
    match address {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

fn mask(prefix: u8, width: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let all = if width == 32 { u128::from(u32::MAX) } else { u128::MAX };
    all & !((1u128 << (width - prefix)) - 1) & all
}

impl IpRange {
    /// Parses `address` or `address/prefix`; host bits are cleared
    /// (`10.1.2.3/8` is `10.0.0.0/8`), as Mastodon stores ranges.
    pub fn parse(text: &str) -> Result<IpRange, IpRangeError> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address.parse().map_err(|_| IpRangeError::Address)?;
        // An IPv4-mapped IPv6 address is the IPv4 address it carries.
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        let (value, width) = bits(address);
        let prefix = match prefix {
            None => width,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= width).ok_or(IpRangeError::Prefix)?,
        };
        let network = value & mask(prefix, width);
        let network = match address {
            IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::from(u32::try_from(network).unwrap_or(0))),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::from(network)),
        };
        Ok(IpRange { network, prefix })
    }

    /// Whether `address` is in this range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        let (net, width) = bits(self.network);
        let (value, other_width) = bits(address);
        width == other_width && value & mask(self.prefix, width) == net
    }
}

impl FromStr for IpRange {
    type Err = IpRangeError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        IpRange::parse(text)
    }
}

/// `network/prefix`, the stored and shown form.
impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A blocked host as the public list shows it when the block is obfuscated:
/// the middle half starred, dots kept (`example.com` → `exa****.*om`), as Mastodon.
pub fn obfuscated(host: &str) -> String {
    let chars: Vec<char> = host.chars().collect();
    let length = chars.len();
    let visible = length / 4;
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i > visible && i < length - visible && *c != '.' { '*' } else { *c })
        .collect()
}

/// The SHA-256 of the host, hex, which the public list gives so a host can be
/// checked against an obfuscated entry.
pub fn digest(host: &str) -> String {
    let hash = ring::digest::digest(&ring::digest::SHA256, host.as_bytes());
    hash.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_normalized_to_their_network() {
        assert_eq!(IpRange::parse("8.8.8.8").map(|r| r.to_string()), Ok("8.8.8.8/32".into()));
        assert_eq!(IpRange::parse("10.1.2.3/8").map(|r| r.to_string()), Ok("10.0.0.0/8".into()));
        assert_eq!(IpRange::parse("2001:db8::1/32").map(|r| r.to_string()), Ok("2001:db8::/32".into()));
        assert_eq!(IpRange::parse("::ffff:1.2.3.4").map(|r| r.to_string()), Ok("1.2.3.4/32".into()));
        assert_eq!(IpRange::parse("0.0.0.0/0").map(|r| r.to_string()), Ok("0.0.0.0/0".into()));
        assert_eq!(IpRange::parse("1.2.3.4/33"), Err(IpRangeError::Prefix));
        assert_eq!(IpRange::parse("1.2.3/8"), Err(IpRangeError::Address));
        assert_eq!(IpRange::parse("example.com"), Err(IpRangeError::Address));
    }

    #[test]
    fn a_range_contains_its_addresses_only() {
        let range = IpRange::parse("192.168.0.0/16").expect("range");
        assert!(range.contains("192.168.44.1".parse().expect("ip")));
        assert!(range.contains("::ffff:192.168.0.9".parse().expect("ip")));
        assert!(!range.contains("192.169.0.1".parse().expect("ip")));
        assert!(!range.contains("::1".parse().expect("ip")));
        let all = IpRange::parse("::/0").expect("range");
        assert!(all.contains("2001:db8::5".parse().expect("ip")));
        assert!(!all.contains("127.0.0.1".parse().expect("ip")));
    }

    #[test]
    fn obfuscation_stars_the_middle_as_mastodon() {
        assert_eq!(obfuscated("example.com"), "exa****.*om");
        assert_eq!(obfuscated("bad.host"), "bad.**st");
        assert_eq!(digest("example.com").len(), 64);
    }
}
