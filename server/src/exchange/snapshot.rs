//! What planning an import needs from the database, read in one transaction.

use std::collections::{HashMap, HashSet};

use domain::{
    ids::OrgUnitId,
    org::{OrgTree, OrgUnitKind},
    post::{PostLevel, PostMarks},
    risk::RatingMatrix,
    stage::Stage,
};

use crate::{
    error::corrupt,
    store::{self, Conn},
};

/// Which round rows go into.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RoundChoice<'a> {
    /// The current round (the latest by year, then id, as sync and export see it).
    Current,
    /// The round of this name.
    Named(&'a str),
}

#[derive(Debug, Clone)]
pub(super) struct StoredUnit {
    pub(super) kind: OrgUnitKind,
}

#[derive(Debug, Clone)]
pub(super) struct StoredRound {
    pub(super) id: i64,
    pub(super) matrix: RatingMatrix,
    pub(super) matrix_json: String,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct StoredPost {
    pub(super) id: i64,
    pub(super) level: PostLevel,
    pub(super) marks: PostMarks,
}

#[derive(Debug, Clone)]
pub(super) struct StoredSheet {
    pub(super) stage: Stage,
    pub(super) matrix: RatingMatrix,
}

/// What planning needs from the database, read in one transaction.
pub(crate) struct Snapshot {
    /// The district root (the oldest root); rows are refused while there is none.
    pub(super) root: Option<(i64, String)>,
    pub(super) units: HashMap<i64, StoredUnit>,
    /// (parent, name) → unit.
    pub(super) children: HashMap<(i64, String), i64>,
    pub(super) tree: OrgTree,
    /// The round rows go into; rows are refused while there is none.
    pub(super) round: Option<StoredRound>,
    /// (unit, title) → post.
    pub(super) posts: HashMap<(i64, String), StoredPost>,
    /// post → its sheet in the round.
    pub(super) sheets: HashMap<i64, StoredSheet>,
    /// (post, description) of the points in the round.
    pub(super) points: HashSet<(i64, String)>,
}

impl Snapshot {
    pub(crate) async fn load(conn: &mut Conn, round: RoundChoice<'_>) -> anyhow::Result<Self> {
        let units = store::org::units(conn).await?;
        let mut snapshot = Self {
            root: None,
            units: HashMap::new(),
            children: HashMap::new(),
            tree: OrgTree::new(
                units
                    .iter()
                    .map(|u| (OrgUnitId(u.id), u.parent.map(OrgUnitId))),
            ),
            round: None,
            posts: HashMap::new(),
            sheets: HashMap::new(),
            points: HashSet::new(),
        };
        for unit in units {
            match unit.parent {
                Some(parent) => {
                    snapshot.children.insert((parent, unit.name), unit.id);
                }
                None if snapshot.root.is_none() => {
                    snapshot.root = Some((unit.id, unit.name));
                }
                None => {}
            }
            snapshot
                .units
                .insert(unit.id, StoredUnit { kind: unit.kind });
        }
        for post in store::org::post_keys(conn).await? {
            snapshot.posts.insert(
                (post.unit_id, post.title),
                StoredPost {
                    id: post.id,
                    level: post.level,
                    marks: post.marks,
                },
            );
        }
        let round = match round {
            RoundChoice::Current => store::sheets::current_round(conn).await?,
            RoundChoice::Named(name) => store::sheets::round_named(conn, name).await?,
        };
        if let Some(round) = round {
            for (post, stage, matrix) in store::sheets::in_round(conn, round.id).await? {
                snapshot.sheets.insert(post, StoredSheet { stage, matrix });
            }
            snapshot.points = store::points::descriptions_in_round(conn, round.id)
                .await?
                .into_iter()
                .collect();
            snapshot.round = Some(StoredRound {
                id: round.id,
                matrix: serde_json::from_str(&round.matrix_json)
                    .map_err(|e| corrupt("round matrix", e))?,
                matrix_json: round.matrix_json,
            });
        }
        Ok(snapshot)
    }

    /// The names of the root's children, which a table may abbreviate.
    pub(super) fn top_level_names(&self) -> Vec<&str> {
        let Some((root, _)) = &self.root else {
            return Vec::new();
        };
        self.children
            .keys()
            .filter(|(parent, _)| parent == root)
            .map(|(_, name)| name.as_str())
            .collect()
    }
}
