//! 人员廉政档案: a person's page, gathering their talks and sessions (廉政教育), the warnings
//! addressed to them and their commitments. It is read by the person and by those who oversee
//! their unit (`domain::access::Principal::may_read_person`).

use app::{api::education::PersonView, error::ApiError};
use domain::{
    ids::{OrgUnitId, UserId},
    risk::IsoDate,
};

use crate::{db::Db, education, error::Result, store};

/// A person's page: for the person and those who oversee their unit; anyone else learns nothing,
/// not even that the name exists.
pub async fn person(db: &Db, user_id: i64, username: &str, now: i64) -> Result<PersonView> {
    let reader = db.directory().person(user_id).await?;
    let org = db.directory().org().await?;
    let mut conn = db.pool().acquire().await?;
    let account = match store::accounts::account(&mut conn, username.trim()).await? {
        Some(a)
            if reader
                .principal
                .may_read_person(&org.tree, UserId(a.id), OrgUnitId(a.unit_id)) =>
        {
            a
        }
        _ => return Err(ApiError::not_found("该人员").into()),
    };
    let today = IsoDate::of_instant(now);
    let mut posts = Vec::new();
    for held in store::org::held_posts(&mut conn, account.id).await? {
        posts.push(store::org::post_title(&mut conn, held.post.0).await?);
    }
    let talks = store::education::talks_with(&mut conn, account.id)
        .await?
        .into_iter()
        .map(|t| education::talk_view(&org, t))
        .collect();
    let sessions = store::education::sessions_of(&mut conn, account.id)
        .await?
        .into_iter()
        .map(education::session_view)
        .collect();
    let warnings = store::warnings::all(&mut conn)
        .await?
        .into_iter()
        .filter(|w| w.subject_id == Some(account.id))
        .filter(|w| {
            reader
                .principal
                .may_read_warning(&org.tree, &crate::warnings::parties(w))
        })
        .map(|w| crate::warnings::summary(&w, &reader.principal, &org, today))
        .collect();
    let commitments = store::commitments::of_user(&mut conn, account.id)
        .await?
        .into_iter()
        .map(crate::commitments::summary)
        .collect();
    Ok(PersonView {
        username: account.username,
        name: account.display_name,
        unit: org.name(account.unit_id),
        posts,
        talks,
        sessions,
        warnings,
        commitments,
    })
}
