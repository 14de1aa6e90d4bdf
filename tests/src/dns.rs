//! A DNS server stand-in on loopback UDP for tests: answers A, AAAA and TXT
//! questions from records the test sets (any other name: NXDOMAIN), as
//! `[acme] resolver` would. It runs on its own thread and stops when dropped.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Records = HashMap<(String, u16), Vec<Vec<u8>>>;

pub struct FakeDns {
    pub addr: SocketAddr,
    records: Arc<Mutex<Records>>,
    stop: Arc<AtomicBool>,
}

const A: u16 = 1;
const AAAA: u16 = 28;
const TXT: u16 = 16;

impl FakeDns {
    pub fn start() -> FakeDns {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("fake DNS bind: {e}"));
        socket.set_read_timeout(Some(Duration::from_millis(100))).unwrap_or_else(|e| panic!("timeout: {e}"));
        let addr = socket.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
        let records: Arc<Mutex<Records>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (shared, stopped) = (Arc::clone(&records), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut buffer = [0u8; 1500];
            while !stopped.load(Ordering::SeqCst) {
                let Ok((len, from)) = socket.recv_from(&mut buffer) else { continue };
                let answer = {
                    let records = shared.lock().unwrap_or_else(|e| e.into_inner());
                    respond(&buffer[..len], &records)
                };
                if let Some(answer) = answer {
                    let _ = socket.send_to(&answer, from);
                }
            }
        });
        FakeDns { addr, records, stop }
    }

    fn set(&self, name: &str, rtype: u16, data: Vec<Vec<u8>>) {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        records.insert((name.to_ascii_lowercase(), rtype), data);
    }

    /// `name`'s TXT records (each value one record); empty removes them.
    pub fn set_txt(&self, name: &str, values: &[&str]) {
        let data = values
            .iter()
            .map(|value| {
                let mut record = Vec::new();
                for chunk in value.as_bytes().chunks(255) {
                    record.push(chunk.len() as u8);
                    record.extend_from_slice(chunk);
                }
                record
            })
            .collect();
        self.set(name, TXT, data);
    }

    /// `name`'s A and AAAA records.
    pub fn set_addresses(&self, name: &str, addresses: &[IpAddr]) {
        let v4 = addresses.iter().filter_map(|a| match a {
            IpAddr::V4(v4) => Some(v4.octets().to_vec()),
            IpAddr::V6(_) => None,
        });
        let v6 = addresses.iter().filter_map(|a| match a {
            IpAddr::V6(v6) => Some(v6.octets().to_vec()),
            IpAddr::V4(_) => None,
        });
        self.set(name, A, v4.collect());
        self.set(name, AAAA, v6.collect());
    }
}

impl Drop for FakeDns {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The answer to one query: the records of (name, type), NXDOMAIN for a name with none of any type.
fn respond(query: &[u8], records: &Records) -> Option<Vec<u8>> {
    if query.len() < 12 {
        return None;
    }
    let mut at = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*query.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(at..at + len)?).to_ascii_lowercase());
        at += len;
    }
    let qtype = u16::from_be_bytes([*query.get(at)?, *query.get(at + 1)?]);
    let question_end = at + 4;
    let name = labels.join(".");
    let known = records.keys().any(|(n, _)| *n == name);
    let answers = records.get(&(name, qtype)).cloned().unwrap_or_default();
    let mut out = Vec::new();
    out.extend_from_slice(&query[0..2]);
    out.extend_from_slice(&[0x81, if known { 0x80 } else { 0x83 }]);
    out.extend_from_slice(&[0, 1]);
    out.extend_from_slice(&(answers.len() as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(query.get(12..question_end)?);
    for data in answers {
        out.extend_from_slice(&[0xc0, 12]);
        out.extend_from_slice(&qtype.to_be_bytes());
        out.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(&data);
    }
    Some(out)
}
