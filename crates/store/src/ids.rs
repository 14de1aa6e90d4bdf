//! Row ids as distinct types, so an account id can't be passed as a domain id.
//!
//! Each is a `BIGINT` in the database and is read and written by diesel as its own
//! type (rows, filters, inserts). Outside the store an id is a number only at the edges:
//! parsed from a path, or rendered into JSON with `Display` (Mastodon ids are strings).

use diesel::pg::{Pg, PgValue};
use diesel::serialize::{Output, ToSql};
use diesel::sql_types::BigInt;
use kereru_core::IdGenerator;
use std::fmt;
use std::str::FromStr;

/// Declares a typed id over an `i64` that diesel maps to `BigInt`.
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            Default,
            diesel::expression::AsExpression,
            diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = BigInt)]
        pub struct $name(pub i64);

        impl ToSql<BigInt, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
                <i64 as ToSql<BigInt, Pg>>::to_sql(&self.0, out)
            }
        }

        impl diesel::deserialize::FromSql<BigInt, Pg> for $name {
            fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
                <i64 as diesel::deserialize::FromSql<BigInt, Pg>>::from_sql(bytes).map($name)
            }
        }

        impl From<i64> for $name {
            fn from(value: i64) -> Self {
                $name(value)
            }
        }

        impl From<$name> for i64 {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

typed_id!(
    /// `domains.id`: a tenant.
    DomainId
);
typed_id!(
    /// `accounts.id`: a local or remote actor.
    AccountId
);
typed_id!(
    /// `statuses.id`.
    StatusId
);
typed_id!(
    /// `media_attachments.id`.
    MediaId
);
typed_id!(
    /// `notifications.id`.
    NotificationId
);

static IDS: IdGenerator = IdGenerator::new();

/// A fresh time-ordered id for any table.
pub fn next_id() -> i64 {
    IDS.next()
}
