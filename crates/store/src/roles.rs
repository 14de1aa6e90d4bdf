//! Who may administer and moderate: a tenant's people are users, moderators
//! or admins (its owners), and a host admin reaches the whole deployment.
//! Stored in `users.role` and `users.host_admin`.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId};
use crate::schema::users;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::fmt;
use std::str::FromStr;

/// A person's role on their tenant, weakest first (the order is the reach).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = Text)]
pub enum Role {
    User,
    Moderator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    /// Reports, account actions, the audit log.
    pub fn can_moderate(self) -> bool {
        self >= Role::Moderator
    }

    /// The tenant's settings, its people's roles, its domain blocks.
    pub fn can_administer(self) -> bool {
        self >= Role::Admin
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "user" => Ok(Role::User),
            "moderator" => Ok(Role::Moderator),
            "admin" | "owner" => Ok(Role::Admin),
            other => Err(format!("`{other}` is not one of: user, moderator, admin")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl diesel::serialize::ToSql<Text, diesel::pg::Pg> for Role {
    fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
        <str as diesel::serialize::ToSql<Text, diesel::pg::Pg>>::to_sql(self.as_str(), out)
    }
}

impl diesel::deserialize::FromSql<Text, diesel::pg::Pg> for Role {
    fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let text = <String as diesel::deserialize::FromSql<Text, diesel::pg::Pg>>::from_sql(bytes)?;
        Ok(text.parse()?)
    }
}

/// A signed-in person's reach: their role on `tenant`, and whether they are a host admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staff {
    pub tenant: DomainId,
    pub account: AccountId,
    pub role: Role,
    pub host_admin: bool,
}

impl Staff {
    /// Host admins moderate and administer every tenant.
    pub fn can_moderate(&self) -> bool {
        self.host_admin || self.role.can_moderate()
    }

    pub fn can_administer(&self) -> bool {
        self.host_admin || self.role.can_administer()
    }
}

/// `account`'s reach on `tenant`, whose login it must be (`None` otherwise).
pub async fn staff(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
) -> Result<Option<Staff>, StoreError> {
    let found: Option<(Role, bool)> = users::table
        .filter(users::domain_id.eq(tenant.0))
        .filter(users::account_id.eq(account.0))
        .select((users::role, users::host_admin))
        .first(conn)
        .await
        .optional()?;
    Ok(found.map(|(role, host_admin)| Staff { tenant, account, role, host_admin }))
}

/// Sets `account`'s role on `tenant`; false when it has no login there.
pub async fn set_role(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    role: Role,
) -> Result<bool, StoreError> {
    let changed = diesel::update(users::table)
        .filter(users::domain_id.eq(tenant.0))
        .filter(users::account_id.eq(account.0))
        .set(users::role.eq(role))
        .execute(conn)
        .await?;
    Ok(changed > 0)
}

/// Makes `account` (a login of `tenant`) a host admin, or not; false when it has no login there.
pub async fn set_host_admin(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    host_admin: bool,
) -> Result<bool, StoreError> {
    let changed = diesel::update(users::table)
        .filter(users::domain_id.eq(tenant.0))
        .filter(users::account_id.eq(account.0))
        .set(users::host_admin.eq(host_admin))
        .execute(conn)
        .await?;
    Ok(changed > 0)
}

/// How many admins `tenant` has: the last one may not be demoted.
pub async fn admin_count(conn: &mut AsyncPgConnection, tenant: DomainId) -> Result<i64, StoreError> {
    Ok(users::table
        .filter(users::domain_id.eq(tenant.0))
        .filter(users::role.eq(Role::Admin))
        .count()
        .get_result(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn roles_reach_in_order() {
        assert!(!Role::User.can_moderate());
        assert!(Role::Moderator.can_moderate() && !Role::Moderator.can_administer());
        assert!(Role::Admin.can_moderate() && Role::Admin.can_administer());
        assert_eq!("owner".parse::<Role>(), Ok(Role::Admin));
        assert!("root".parse::<Role>().is_err());
    }
}
