//! The DNS check before ordering: do the host's A/AAAA records point at this
//! host's public addresses? Also the TXT lookup self-service domain claims
//! prove control with ([`txt`]). Asked of `[acme] resolver` (a DNS server, ip:port,
//! over UDP with a minimal stub written here) or, without one, of the system
//! resolver. Skipped when no public addresses are configured.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsCheck {
    /// No `[acme] public_addresses`: nothing to compare with.
    Skipped,
    /// Every address found is one of ours.
    PointsHere(Vec<IpAddr>),
    /// Some address found is not ours.
    PointsElsewhere { found: Vec<IpAddr>, expected: Vec<IpAddr> },
    /// No A or AAAA record.
    NoRecords,
    /// The resolver did not answer usefully.
    Failed(String),
}

impl DnsCheck {
    pub fn ok(&self) -> bool {
        matches!(self, DnsCheck::Skipped | DnsCheck::PointsHere(_))
    }
}

fn list(addresses: &[IpAddr]) -> String {
    addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for DnsCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DnsCheck::Skipped => f.write_str("not checked ([acme] public_addresses is empty)"),
            DnsCheck::PointsHere(found) => write!(f, "points at this host ({})", list(found)),
            DnsCheck::PointsElsewhere { found, expected } => {
                write!(f, "points at {}, not at this host ({})", list(found), list(expected))
            }
            DnsCheck::NoRecords => f.write_str("has no A or AAAA record yet"),
            DnsCheck::Failed(why) => write!(f, "could not be looked up: {why}"),
        }
    }
}

/// Checks `host` against `expected` (this host's public addresses).
pub async fn check(resolver: Option<SocketAddr>, host: &str, expected: &[IpAddr]) -> DnsCheck {
    if expected.is_empty() {
        return DnsCheck::Skipped;
    }
    let found = match lookup(resolver, host).await {
        Ok(found) => found,
        Err(why) => return DnsCheck::Failed(why),
    };
    if found.is_empty() {
        DnsCheck::NoRecords
    } else if found.iter().all(|a| expected.contains(a)) {
        DnsCheck::PointsHere(found)
    } else {
        DnsCheck::PointsElsewhere { found, expected: expected.to_vec() }
    }
}

/// The A and AAAA addresses of `host`.
pub async fn lookup(resolver: Option<SocketAddr>, host: &str) -> Result<Vec<IpAddr>, String> {
    let Some(server) = resolver else {
        let found = tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((host, 0)))
            .await
            .map_err(|_| "the system resolver timed out".to_string())?;
        return match found {
            Ok(addrs) => {
                let mut ips: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
                ips.sort();
                ips.dedup();
                Ok(ips)
            }
            // The system resolver does not tell "no such name" from other failures.
            Err(_) => Ok(Vec::new()),
        };
    };
    let mut found = addresses(query(server, host, 1).await?);
    found.extend(addresses(query(server, host, 28).await?));
    found.sort();
    found.dedup();
    Ok(found)
}

/// The TXT strings of `name` (each record's character-strings joined), asked of
/// `resolver` or, without one, of the first `nameserver` in /etc/resolv.conf
/// (the system's resolver cannot be asked for TXT). None found: empty.
pub async fn txt(resolver: Option<SocketAddr>, name: &str) -> Result<Vec<String>, String> {
    let server = match resolver {
        Some(server) => server,
        None => system_nameserver().await?,
    };
    let records = query(server, name, TXT).await?;
    Ok(records.iter().filter(|(rtype, _)| *rtype == TXT).filter_map(|(_, data)| txt_strings(data)).collect())
}

const TXT: u16 = 16;

/// Answer records as (type, data).
type Records = Vec<(u16, Vec<u8>)>;

/// The first `nameserver` of /etc/resolv.conf, on port 53.
async fn system_nameserver() -> Result<SocketAddr, String> {
    let conf = tokio::fs::read_to_string("/etc/resolv.conf")
        .await
        .map_err(|e| format!("no [acme] resolver and /etc/resolv.conf cannot be read: {e}"))?;
    conf.lines()
        .filter_map(|line| line.trim().strip_prefix("nameserver"))
        .filter_map(|rest| rest.trim().parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .next()
        .ok_or_else(|| "no [acme] resolver and no nameserver in /etc/resolv.conf".to_string())
}

/// A TXT record's data: length-prefixed strings, joined; `None` if malformed or not UTF-8.
fn txt_strings(data: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(data.len());
    let mut at = 0;
    while at < data.len() {
        let len = usize::from(data[at]);
        out.extend_from_slice(data.get(at + 1..at + 1 + len)?);
        at += 1 + len;
    }
    String::from_utf8(out).ok()
}

/// The addresses among answer records.
fn addresses(records: Records) -> Vec<IpAddr> {
    let mut found = Vec::new();
    for (rtype, data) in records {
        match (rtype, data.len()) {
            (1, 4) => found.push(IpAddr::V4(Ipv4Addr::new(data[0], data[1], data[2], data[3]))),
            (28, 16) => {
                let mut octets = [0u8; 16];
                octets.copy_from_slice(&data);
                found.push(IpAddr::V6(Ipv6Addr::from(octets)));
            }
            _ => {}
        }
    }
    found
}

/// The answer records (type, data) to a question for `host` of type `qtype`.
async fn query(server: SocketAddr, host: &str, qtype: u16) -> Result<Records, String> {
    let id: u16 = rand_id();
    let request = encode_query(id, host, qtype)?;
    let bind: SocketAddr = if server.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { (Ipv6Addr::UNSPECIFIED, 0).into() };
    let socket = tokio::net::UdpSocket::bind(bind).await.map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    socket.connect(server).await.map_err(|e| format!("cannot reach the resolver {server}: {e}"))?;
    for _ in 0..2 {
        socket.send(&request).await.map_err(|e| format!("cannot ask the resolver {server}: {e}"))?;
        let mut buffer = [0u8; 1500];
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        // Answers with another id (late, or forged) are ignored until the deadline.
        while let Ok(received) = tokio::time::timeout_at(deadline, socket.recv(&mut buffer)).await {
            let len = received.map_err(|e| format!("the resolver {server}: {e}"))?;
            if let Some(answer) = decode_records(id, &buffer[..len])? {
                return Ok(answer);
            }
        }
    }
    Err(format!("the resolver {server} did not answer"))
}

fn rand_id() -> u16 {
    let mut bytes = [0u8; 2];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    u16::from_le_bytes(bytes)
}

fn encode_query(id: u16, host: &str, qtype: u16) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(32 + host.len());
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // RD; one question
    for label in host.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("{host:?} is not a host name"));
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    Ok(out)
}

/// `None` for a message that is not the answer to `id`; the addresses otherwise.
#[cfg(test)]
fn decode_answer(id: u16, message: &[u8]) -> Result<Option<Vec<IpAddr>>, String> {
    Ok(decode_records(id, message)?.map(addresses))
}

/// `None` for a message that is not the answer to `id`; its answer records (type, data) otherwise.
fn decode_records(id: u16, message: &[u8]) -> Result<Option<Records>, String> {
    let malformed = || "the resolver sent a malformed answer".to_string();
    if message.len() < 12 || u16::from_be_bytes([message[0], message[1]]) != id || message[2] & 0x80 == 0 {
        return Ok(None);
    }
    match message[3] & 0x0f {
        0 => {}
        3 => return Ok(Some(Vec::new())), // NXDOMAIN
        code => return Err(format!("the resolver answered with error code {code}")),
    }
    let questions = u16::from_be_bytes([message[4], message[5]]);
    let answers = u16::from_be_bytes([message[6], message[7]]);
    let mut at = 12;
    for _ in 0..questions {
        at = skip_name(message, at).ok_or_else(malformed)? + 4;
    }
    let mut found = Vec::new();
    for _ in 0..answers {
        at = skip_name(message, at).ok_or_else(malformed)?;
        let header = message.get(at..at + 10).ok_or_else(malformed)?;
        let rtype = u16::from_be_bytes([header[0], header[1]]);
        let len = usize::from(u16::from_be_bytes([header[8], header[9]]));
        let data = message.get(at + 10..at + 10 + len).ok_or_else(malformed)?;
        found.push((rtype, data.to_vec()));
        at += 10 + len;
    }
    Ok(Some(found))
}

/// The offset after the name starting at `at`.
fn skip_name(message: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *message.get(at)?;
        match len {
            0 => return Some(at + 1),
            l if l & 0xc0 == 0xc0 => return Some(at + 2).filter(|end| *end <= message.len()),
            l if l & 0xc0 == 0 => at += 1 + usize::from(l),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(id: u16, records: &[(u16, &[u8])]) -> Vec<u8> {
        let mut message = encode_query(id, "a.test", 1).unwrap_or_default();
        message[2] |= 0x80;
        message[7] = records.len() as u8;
        for (rtype, data) in records {
            message.extend_from_slice(&[0xc0, 12]);
            message.extend_from_slice(&rtype.to_be_bytes());
            message.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            message.extend_from_slice(&(data.len() as u16).to_be_bytes());
            message.extend_from_slice(data);
        }
        message
    }

    #[test]
    fn answers_are_decoded_and_hostile_ones_refused() {
        let ok = answer(
            7,
            &[
                (5, b"\x01x\x00"),
                (1, &[192, 0, 2, 1]),
                (28, &[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            ],
        );
        let found = decode_answer(7, &ok).ok().flatten().unwrap_or_default();
        assert_eq!(
            found,
            [
                "192.0.2.1".parse::<IpAddr>().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
                "2001:db8::1".parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
            ]
        );
        assert_eq!(decode_answer(8, &ok), Ok(None), "another id is not our answer");
        for cut in 13..ok.len() {
            // Truncated anywhere: an error or fewer records, never a panic or a wrong address.
            if let Ok(Some(partial)) = decode_answer(7, &ok[..cut]) {
                assert!(partial.iter().all(|a| found.contains(a)));
            }
        }
        let mut loop_name = answer(7, &[(1, &[1, 2, 3, 4])]);
        loop_name[12] = 0x80; // reserved label type
        assert!(decode_answer(7, &loop_name).is_err());
        assert!(encode_query(1, "a..test", 1).is_err());
    }

    #[test]
    fn txt_records_join_their_strings_and_refuse_truncation() {
        let message = answer(9, &[(TXT, b"\x03abc\x02de"), (1, &[192, 0, 2, 1])]);
        let records = decode_records(9, &message).ok().flatten().unwrap_or_default();
        let texts: Vec<String> =
            records.iter().filter(|(t, _)| *t == TXT).filter_map(|(_, data)| txt_strings(data)).collect();
        assert_eq!(texts, ["abcde"]);
        assert_eq!(txt_strings(b"\x05ab"), None, "a string longer than its record");
        assert_eq!(txt_strings(b""), Some(String::new()));
    }

    #[tokio::test]
    async fn the_check_is_skipped_without_public_addresses_and_says_so() {
        let check = check(None, "a.test", &[]).await;
        assert_eq!(check, DnsCheck::Skipped);
        assert!(check.ok());
        assert!(check.to_string().contains("public_addresses"));
        let elsewhere = DnsCheck::PointsElsewhere {
            found: vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9))],
            expected: vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))],
        };
        assert_eq!(elsewhere.to_string(), "points at 192.0.2.9, not at this host (192.0.2.1)");
        assert!(!elsewhere.ok());
    }
}
