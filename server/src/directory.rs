//! Who is who: the organisation tree and a signed-in user's roles and held posts, as every access
//! rule needs them, read through the store and kept in memory.
//!
//! Every handler and every sync push asks for these, and they change rarely, so they are cached.
//! A counter in the database (`directory_generation`, moved by triggers on the tables they are
//! read from) says whether the cache is current: one small read instead of three queries, and a
//! change made by another process (the CLI) is seen at the next request.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use domain::{access::Principal, chain::PeerPost, ids::OrgUnitId, org::OrgTree};
use sqlx::SqlitePool;

use crate::store::{self, Conn};

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

    /// How far below the top of the tree a unit lies (the district is 0).
    pub fn depth(&self, unit: OrgUnitId) -> usize {
        let mut depth = 0;
        let mut at = unit;
        while let Some(parent) = self.tree.parent(at) {
            depth += 1;
            at = parent;
            if depth > self.names.len() {
                break;
            }
        }
        depth
    }

    /// The units `keep` accepts, parents before children, each with its name and depth: what a
    /// form's unit picker lists.
    pub fn unit_options(&self, keep: impl Fn(OrgUnitId) -> bool) -> Vec<app::api::UnitOption> {
        self.in_order()
            .into_iter()
            .filter(|u| keep(*u))
            .map(|u| app::api::UnitOption {
                id: u.0,
                name: self.name(u.0),
                depth: self.depth(u),
            })
            .collect()
    }

    /// Every unit, parents before children: each top unit (by id) with what lies beneath it.
    pub fn in_order(&self) -> Vec<OrgUnitId> {
        let mut roots: Vec<OrgUnitId> = self
            .names
            .keys()
            .map(|u| OrgUnitId(*u))
            .filter(|u| self.tree.parent(*u).is_none())
            .collect();
        roots.sort_unstable();
        roots
            .into_iter()
            .flat_map(|root| self.tree.subtree(root))
            .collect()
    }
}

/// A user as the rules see them, with the posts they hold as peer review sees them.
#[derive(Debug, Clone)]
pub struct Person {
    pub principal: Principal,
    pub held: Vec<PeerPost>,
}

/// What was read at one generation of the directory.
#[derive(Debug, Default)]
struct Cache {
    generation: i64,
    org: Option<Arc<Org>>,
    people: HashMap<i64, Arc<Person>>,
}

impl Cache {
    /// Forgets everything read before `generation`.
    fn at(&mut self, generation: i64) {
        if self.generation != generation {
            *self = Self {
                generation,
                ..Self::default()
            };
        }
    }
}

/// Reads the organisation and people, through a cache that is never stale.
#[derive(Debug, Clone)]
pub struct Directory {
    pool: SqlitePool,
    cache: Arc<Mutex<Cache>>,
}

impl Directory {
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            cache: Arc::new(Mutex::new(Cache {
                generation: -1,
                ..Cache::default()
            })),
        }
    }

    /// The organisation tree and unit names.
    pub async fn org(&self) -> anyhow::Result<Arc<Org>> {
        let mut conn = self.pool.acquire().await?;
        self.org_on(&mut conn).await
    }

    /// A user's roles and held posts.
    pub async fn person(&self, user_id: i64) -> anyhow::Result<Arc<Person>> {
        let mut conn = self.pool.acquire().await?;
        self.person_on(&mut conn, user_id).await
    }

    /// [`Directory::org`] through a connection the caller holds already: code that holds one
    /// must never wait for a second, or a busy pool deadlocks.
    pub async fn org_on(&self, conn: &mut Conn) -> anyhow::Result<Arc<Org>> {
        // The generation is read first: a change that lands while the tree is read moves it
        // again, so what is cached below can be older than its generation says only until the
        // next request.
        let generation = store::org::directory_generation(conn).await?;
        if let Some(org) = self.cached(generation, |c| c.org.clone()) {
            return Ok(org);
        }
        let (tree, names) = store::org::tree(conn).await?;
        let org = Arc::new(Org { tree, names });
        self.keep(generation, |c| c.org = Some(org.clone()));
        Ok(org)
    }

    /// [`Directory::person`] through a connection the caller holds already.
    pub async fn person_on(&self, conn: &mut Conn, user_id: i64) -> anyhow::Result<Arc<Person>> {
        let generation = store::org::directory_generation(conn).await?;
        if let Some(person) = self.cached(generation, |c| c.people.get(&user_id).cloned()) {
            return Ok(person);
        }
        let (principal, held) = store::org::principal(conn, user_id).await?;
        let person = Arc::new(Person { principal, held });
        self.keep(generation, |c| {
            c.people.insert(user_id, person.clone());
        });
        Ok(person)
    }

    fn cached<T>(&self, generation: i64, read: impl FnOnce(&Cache) -> Option<T>) -> Option<T> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        (cache.generation == generation)
            .then(|| read(&cache))
            .flatten()
    }

    fn keep(&self, generation: i64, write: impl FnOnce(&mut Cache)) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        // A reader that saw an older generation than the cache holds must not put it back.
        if generation >= cache.generation {
            cache.at(generation);
            write(&mut cache);
        }
    }
}
