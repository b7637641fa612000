//! 廉政教育: the education page (talks with key posts' holders and collective sessions, with who
//! is owed a talk) and a person's page (their talks, sessions, warnings and commitments). The rules
//! are `domain::education`, who may do what `domain::access`.

use domain::{
    education::{SessionKind, TalkQuota},
    post::SupervisionGrade,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::backend;
use super::{
    supervision::PersonOption, supervision::WarningSummary, CommitmentSummary, UnitOption,
};
use crate::error::ApiError;

/// The education page of someone who records talks and sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EducationView {
    /// Today in China, `YYYY-MM-DD`.
    pub today: String,
    /// The units this user records for, parents before children.
    pub units: Vec<UnitOption>,
    /// The active people of those units (not the user).
    pub people: Vec<PersonOption>,
    pub quota: TalkQuota,
    /// The holders of graded key posts in those units, with the talks they are owed.
    pub owed: Vec<TalkOwed>,
    /// Talks held this year and last, newest first.
    pub talks: Vec<TalkView>,
    /// Sessions held this year and last, newest first.
    pub sessions: Vec<SessionView>,
}

/// A key post's holder and the talks their grade owes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TalkOwed {
    pub username: String,
    pub name: String,
    pub post: String,
    pub unit: String,
    pub grade: SupervisionGrade,
    /// Talks a year the grade asks for.
    pub per_year: u32,
    /// Talks held with them this year.
    pub held_this_year: usize,
    /// The period of this year they are in (本季度, 本半年, …) and whether a talk is held in it.
    pub current: Option<(String, bool)>,
    /// The periods of this year and last that ended with no talk.
    pub missed: Vec<String>,
}

/// A recorded one-to-one talk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TalkView {
    pub id: i64,
    pub subject: String,
    pub subject_username: String,
    pub unit: String,
    pub talker: String,
    pub held_on: String,
    pub topic: String,
    pub recorded_by: String,
}

/// A recorded collective session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: i64,
    pub unit: String,
    pub kind: SessionKind,
    pub held_on: String,
    pub topic: String,
    pub attendees: i64,
}

/// A person's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    pub username: String,
    pub name: String,
    pub unit: String,
    /// The posts they hold now.
    pub posts: Vec<String>,
    pub talks: Vec<TalkView>,
    pub sessions: Vec<SessionView>,
    /// The warnings addressed to them that the reader may read.
    pub warnings: Vec<WarningSummary>,
    pub commitments: Vec<CommitmentSummary>,
}

/// The education page, for a user who records talks and sessions.
#[server(prefix = "/api/fn", endpoint = "education")]
pub async fn load_education() -> Result<EducationView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.education(&user).await
}

/// A person's page, for the person and those who oversee their unit.
#[server(prefix = "/api/fn", endpoint = "person")]
pub async fn load_person(username: String) -> Result<PersonView, ApiError> {
    let user = backend::require_user()?;
    backend::get()?.person(&user, username).await
}
