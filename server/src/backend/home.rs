//! The home page: the user's own sheets in full, what their roles let them read, their peer
//! review queue, their units and their commitments.

use app::api::{HomeView, SessionUser, SheetSummary, UnitLink, UserCard};
use domain::{
    chain::{is_peer_reviewer, PeerPost},
    ids::{OrgUnitId, PostId},
    stage::Stage,
};

use super::sheet;
use crate::{
    directory::{Org, Person},
    error::Result,
    store::{self, Conn},
};

pub async fn home(
    conn: &mut Conn,
    user: &SessionUser,
    person: &Person,
    org: &Org,
) -> Result<HomeView> {
    let principal = &person.principal;
    let tree = &org.tree;
    let unit = store::accounts::unit_name(conn, user.id).await?;
    let mut roles: Vec<String> = principal
        .roles
        .iter()
        .map(|a| {
            let scope = org.names.get(&a.scope.0).map(String::as_str).unwrap_or("—");
            format!("{}（{scope}）", a.role.label())
        })
        .collect();
    roles.sort();

    let mut my_sheets = Vec::new();
    for post in &principal.held_posts {
        if let Some((mut view, Some(sheet_id))) = sheet::load(conn, post.0).await? {
            view.review = Some(sheet::review_info(conn, person, org, &view, sheet_id).await?);
            my_sheets.push(view);
        }
    }

    let (mut in_scope, mut peer_queue) = (Vec::new(), Vec::new());
    for row in store::sheets::summaries(conn, user.id).await? {
        let post = PostId(row.post_id);
        let unit = OrgUnitId(row.unit_id);
        if principal.held_posts.contains(&post) {
            continue;
        }
        let waiting = principal.awaits(tree, post, unit, row.stage, row.open_objections);
        let summary = SheetSummary {
            post_id: row.post_id,
            unit: org.name(row.unit_id),
            post_title: row.title,
            post_level: row.level,
            stage: row.stage,
            risk_count: row.risk_count,
            high_count: row.high_count,
            unit_id: row.unit_id,
            waiting,
            open_objections: row.open_objections,
        };
        let peer = row.stage == Stage::PeerReview
            && !row.reviewed
            && is_peer_reviewer(
                &person.held,
                PeerPost {
                    post,
                    unit,
                    level: row.level,
                },
            );
        if peer {
            peer_queue.push(summary.clone());
        }
        if principal.may_read_sheet(tree, post, unit) {
            in_scope.push(summary);
        }
    }

    let mut units: Vec<UnitLink> = Vec::new();
    for a in principal
        .roles
        .iter()
        .filter(|a| a.role.reads_sheets_in_scope())
    {
        let liaison = principal.may_import(tree, a.scope);
        match units.iter_mut().find(|u| u.id == a.scope.0) {
            Some(u) => u.liaison |= liaison,
            None => units.push(UnitLink {
                id: a.scope.0,
                name: org.name(a.scope.0),
                liaison,
            }),
        }
    }

    // Deadline reminders: only a sheet still in self-check is the holder's to finish.
    let today = domain::risk::IsoDate::of_instant(crate::db::now_ms());
    let mut reminders = Vec::new();
    for (post, round, deadline) in store::rounds::deadlines_of_holder(conn, user.id).await? {
        let Some(sheet) = my_sheets.iter().find(|s| s.post_id == post) else {
            continue;
        };
        let Ok(deadline) = domain::risk::IsoDate::parse(&deadline, "deadline", "截止日期")
        else {
            continue;
        };
        let standing = domain::round::Standing::of(sheet.stage, deadline, today);
        if let Some(text) = standing.holder_reminder(sheet.stage, deadline) {
            reminders.push(format!("{}（{round}）：{text}", sheet.post_title));
        }
    }

    let commitments = store::commitments::of_user(conn, user.id)
        .await?
        .into_iter()
        .map(crate::commitments::summary)
        .collect();

    let (warnings_link, warnings_to_do) = crate::warnings::at_home(conn, principal, org).await?;
    let unread_notifications = crate::notifications::unread(conn, user.id).await?;
    Ok(HomeView {
        user: UserCard {
            display_name: user.display_name.clone(),
            username: user.username.clone(),
            unit,
            roles,
        },
        my_sheets,
        in_scope,
        peer_queue,
        units,
        commitments,
        edits_template: principal.may_edit_commitment_template(),
        audits: principal.may_check_audit_log(),
        manages_accounts: principal.may_manage_accounts(),
        runs_rounds: principal.may_run_rounds(tree, &[]),
        views_org: principal.may_view_org(),
        sets_district: principal.may_set_district_settings(),
        staff_units: principal
            .roles
            .iter()
            .filter(|a| a.role == domain::account::Role::Admin)
            .map(|a| app::api::UnitOption {
                id: a.scope.0,
                name: org.name(a.scope.0),
                depth: 0,
            })
            .collect(),
        reminders,
        warnings_link,
        warnings_to_do,
        checks_measures: principal.checks_measures(),
        records_education: principal.records_education(&org.tree),
        curates_catalogue: principal.may_curate_catalogue(),
        unread_notifications,
    })
}
