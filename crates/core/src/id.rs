//! Time-ordered 64-bit ids, as Mastodon uses: milliseconds since the Unix
//! epoch in the high 48 bits, a per-millisecond sequence in the low 16. Ids
//! sort by creation time, which is what pagination (`max_id`, `since_id`)
//! relies on, and reveal nothing but the time.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

const SEQUENCE_BITS: u32 = 16;

/// Hands out strictly increasing ids within a process. Different processes
/// start their sequences at random points, so a collision needs the same
/// millisecond *and* the same 16-bit sequence; the database's primary key
/// catches the rare one.
#[derive(Debug)]
pub struct IdGenerator {
    last: Mutex<u64>,
}

impl Default for IdGenerator {
    fn default() -> Self {
        Self::new()
    }
}

impl IdGenerator {
    pub const fn new() -> Self {
        IdGenerator { last: Mutex::new(0) }
    }

    /// The next id for an event at `unix_ms`.
    pub fn next_at(&self, unix_ms: u64, random_low: u16) -> i64 {
        let candidate = (unix_ms << SEQUENCE_BITS) | u64::from(random_low);
        let mut last = match self.last.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Within one millisecond (or if the clock stepped back), count up from the last id.
        let id = if candidate > *last { candidate } else { *last + 1 };
        *last = id;
        // Positive for the next ~4,400 years: 48 bits of milliseconds, top bit clear.
        (id & (i64::MAX as u64)) as i64
    }

    /// The next id for now.
    pub fn next(&self) -> i64 {
        let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        // Random low bits only at the start of a millisecond: half the range, so
        // the sequence has room to count up before spilling into the next ms.
        let low: u16 = rand::random::<u16>() >> 1;
        self.next_at(ms, low)
    }
}

/// The creation time, in Unix milliseconds, encoded in an id.
pub fn unix_ms_of(id: i64) -> u64 {
    (id as u64) >> SEQUENCE_BITS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_within_one_millisecond_and_across_clock_steps_back() {
        let generator = IdGenerator::new();
        let a = generator.next_at(1_700_000_000_000, 500);
        let b = generator.next_at(1_700_000_000_000, 10);
        let c = generator.next_at(1_699_999_999_000, 0);
        assert!(a < b && b < c, "{a} {b} {c}");
        assert_eq!(unix_ms_of(a), 1_700_000_000_000);
    }

    #[test]
    fn ids_order_by_time() {
        let generator = IdGenerator::new();
        let early = generator.next_at(1_000, u16::MAX);
        let late = IdGenerator::new().next_at(1_001, 0);
        assert!(early < late);
        assert!(generator.next() > early);
    }
}
