//! Who is who: the organisation tree and a signed-in user's roles and held posts, as every access
//! rule needs them, read through the store.

use std::collections::HashMap;

use domain::{access::Principal, chain::PeerPost, org::OrgTree};
use sqlx::SqlitePool;

use crate::store;

/// The organisation tree with each unit's name.
#[derive(Debug, Clone, Default)]
pub struct Org {
    pub tree: OrgTree,
    pub names: HashMap<i64, String>,
}

impl Org {
    /// A unit's name ("" for an unknown unit).
    pub fn name(&self, unit: i64) -> String {
        self.names.get(&unit).cloned().unwrap_or_default()
    }
}

/// A user as the rules see them, with the posts they hold as peer review sees them.
#[derive(Debug, Clone)]
pub struct Person {
    pub principal: Principal,
    pub held: Vec<PeerPost>,
}

/// Reads the organisation and people.
#[derive(Debug, Clone)]
pub struct Directory {
    pool: SqlitePool,
}

impl Directory {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// The organisation tree and unit names.
    pub async fn org(&self) -> anyhow::Result<Org> {
        let mut conn = self.pool.acquire().await?;
        let (tree, names) = store::org::tree(&mut conn).await?;
        Ok(Org { tree, names })
    }

    /// A user's roles and held posts.
    pub async fn person(&self, user_id: i64) -> anyhow::Result<Person> {
        let mut conn = self.pool.acquire().await?;
        let (principal, held) = store::org::principal(&mut conn, user_id).await?;
        Ok(Person { principal, held })
    }
}
