//! Row ids as distinct types, so an account id can't be passed as a domain id.

use kereru_core::IdGenerator;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub i64);

static IDS: IdGenerator = IdGenerator::new();

/// A fresh time-ordered id for any table.
pub fn next_id() -> i64 {
    IDS.next()
}
