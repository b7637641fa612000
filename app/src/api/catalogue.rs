//! 风险库: the commission's district catalogue page — the groups of similar risk points the
//! grouping proposes (`domain::catalogue`), and the entries confirmed so far with their points.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::backend;
use crate::error::ApiError;

/// The catalogue page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueView {
    /// Risk points on the posts' current sheets, and how many of them are in an entry.
    pub points: usize,
    pub linked: usize,
    /// The least similarity of a proposed pair, in percent.
    pub threshold: u8,
    /// The proposals shown, best first, and how many more there are.
    pub proposals: Vec<ProposalView>,
    pub more_proposals: usize,
    /// The entries, newest first.
    pub entries: Vec<EntryView>,
}

/// A proposed group: points that read as the same risk, to confirm as a new entry or to add to
/// the entry among them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalView {
    /// The kind of power (`物资采购`).
    pub kind: String,
    /// The mean similarity of the group's pairs, in percent.
    pub score: u8,
    /// The entry the group joins, when it holds one.
    pub entry: Option<EntryRef>,
    /// The wording offered: the entry's, or the most typical point's.
    pub wording: String,
    pub members: Vec<MemberView>,
}

/// An entry by id and wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRef {
    pub id: i64,
    pub wording: String,
}

/// A unit's risk point in a proposal or an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub point: String,
    pub post_id: i64,
    pub unit: String,
    pub post: String,
    pub description: String,
    /// Its similarity to the group, in percent (none in an entry's list).
    pub similarity: Option<u8>,
}

/// A catalogue entry with its points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryView {
    pub id: i64,
    pub kind: String,
    pub wording: String,
    /// The unified measures, in the measures cell's form (`制度防范：…；监督预警：…`).
    pub measures: String,
    pub points: Vec<MemberView>,
}

/// The catalogue, for the commission.
#[server(prefix = "/api/fn", endpoint = "catalogue")]
pub async fn load_catalogue() -> Result<CatalogueView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.catalogue(&user).await
}
