//! The staff roster (花名册): a person and a post a row. A new username is a new account with a
//! temporary password; a username already there must name the same person in the same unit. A
//! post missing from its unit is created; the person starts holding it (from 任职日期, when
//! given) with what a handover brings: the post-holder role and a commitment to sign when the
//! post's sheet is approved. Roles are added, never taken away; `角色@单位` reaches another unit.

use std::collections::HashMap;

use app::api::district::NewAccountSlip;
use domain::{
    account::{Role, Username},
    org::parse_path,
    post::{check_new_holding, PostLevel, PostMarks},
    risk::IsoDate,
    text::{PersonName, PostTitle},
    FieldError,
};
use serde_json::json;

use super::{
    columns::StaffColumn,
    report::{slice, Counts, Outcome, RosterError},
    snapshot::Snapshot,
};
use crate::{
    actor::Actor,
    auth::password,
    db::{now_ms, Db},
    exchange::{is_blank, map_header, ColumnMap, Grid, ImportMode, RejectedRow, TableColumn as _},
    holders::{start_holding, NewHolder},
    store,
};

/// Separators between the roles of a cell.
const ROLE_SEPARATORS: [char; 6] = ['、', ',', '，', ';', '；', '\n'];

/// A person a row refers to: stored, or created by this or an earlier row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PersonRef {
    Stored(i64),
    New(usize),
}

/// A post a row refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PostRef {
    Stored(i64),
    New(usize),
}

#[derive(Debug, Clone)]
struct NewPerson {
    username: String,
    name: String,
    unit: i64,
}

#[derive(Debug, Clone)]
struct NewPost {
    unit: i64,
    title: String,
    level: PostLevel,
}

/// What an accepted row does.
#[derive(Debug, Clone)]
struct Action {
    person: Option<PersonRef>,
    post: Option<PostRef>,
    unit: i64,
    /// The row creates this account (its first row does).
    creates_person: Option<NewPerson>,
    creates_post: Option<NewPost>,
    /// The person starts holding the post, from this day (`None`: not known).
    holding: Option<Option<IsoDate>>,
    /// Roles to grant: (role, scope).
    grants: Vec<(Role, i64)>,
}

impl Action {
    fn changes_nothing(&self) -> bool {
        self.creates_person.is_none()
            && self.creates_post.is_none()
            && self.holding.is_none()
            && self.grants.is_empty()
    }
}

struct Row {
    number: usize,
    person: Option<(PersonName, Username)>,
    unit: Vec<domain::text::UnitName>,
    post: Option<PostTitle>,
    level: Option<PostLevel>,
    started_on: Option<IsoDate>,
    roles: Vec<WrittenRole>,
}

/// A role as a roster writes it: the role, and the path of the unit it reaches when it is not
/// the person's own.
type WrittenRole = (Role, Option<Vec<domain::text::UnitName>>);

fn optional<T>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    match raw.trim() {
        "" => Ok(None),
        text => parse(text).map(Some),
    }
}

/// A roles cell: `科室负责人、分管领导@区教育局`.
fn parse_roles(raw: &str) -> Result<Vec<WrittenRole>, FieldError> {
    let mut roles = Vec::new();
    for item in raw
        .split(ROLE_SEPARATORS)
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let (role, scope) = match item.split_once(['@', '＠']) {
            Some((role, scope)) => (role, Some(parse_path(scope, "roles", "角色范围")?)),
            None => (item, None),
        };
        let role = Role::parse(role).map_err(|e| FieldError::new(&e.code, "roles", e.message))?;
        if !roles.contains(&(role, scope.clone())) {
            roles.push((role, scope));
        }
    }
    Ok(roles)
}

fn parse_row<T: AsRef<str>>(
    number: usize,
    cells: &[T],
    map: &ColumnMap<StaffColumn>,
) -> Result<Row, Vec<RejectedRow>> {
    let mut problems = Vec::new();
    let cell = |c| map.cell(cells, c);
    let mut keep = |column: StaffColumn, e: FieldError| {
        problems.push(RejectedRow::new(number, column.key(), e));
    };
    let name = optional(cell(StaffColumn::Name), PersonName::parse)
        .map_err(|e| keep(StaffColumn::Name, e))
        .ok();
    let username = optional(cell(StaffColumn::Username), Username::parse)
        .map_err(|e| keep(StaffColumn::Username, e))
        .ok();
    let unit = parse_path(cell(StaffColumn::Unit), "unit", "所在单位")
        .map_err(|e| keep(StaffColumn::Unit, e))
        .ok();
    let post = optional(cell(StaffColumn::Post), PostTitle::parse)
        .map_err(|e| keep(StaffColumn::Post, e))
        .ok();
    let level = optional(cell(StaffColumn::PostLevel), PostLevel::parse)
        .map_err(|e| keep(StaffColumn::PostLevel, e))
        .ok();
    let started_on = optional(cell(StaffColumn::StartedOn), |d| {
        IsoDate::parse(d, "started_on", "任职日期")
    })
    .map_err(|e| keep(StaffColumn::StartedOn, e))
    .ok();
    let roles = parse_roles(cell(StaffColumn::Roles))
        .map_err(|e| keep(StaffColumn::Roles, e))
        .ok();
    let (
        Some(name),
        Some(username),
        Some(unit),
        Some(post),
        Some(level),
        Some(started_on),
        Some(roles),
    ) = (name, username, unit, post, level, started_on, roles)
    else {
        return Err(problems);
    };
    // The cells parsed; now whether they make a row together.
    let refuse = |column: StaffColumn, code: &str, field: &str, message: &str| {
        Err(vec![RejectedRow::new(
            number,
            column.key(),
            FieldError::new(code, field, message),
        )])
    };
    let person = match (name, username) {
        (Some(name), Some(username)) => Some((name, username)),
        (None, None) => None,
        (None, Some(_)) => {
            return refuse(
                StaffColumn::Name,
                "required",
                "display_name",
                "姓名：填写了用户名就须填写姓名（只登记空缺岗位时两者都留空）",
            )
        }
        (Some(_), None) => {
            return refuse(
                StaffColumn::Username,
                "required",
                "username",
                "用户名：填写了姓名就须填写用户名（只登记空缺岗位时两者都留空）",
            )
        }
    };
    if person.is_none() && post.is_none() {
        return refuse(
            StaffColumn::Post,
            "empty_row",
            "post",
            "本行既没有人员也没有岗位",
        );
    }
    if person.is_none() && !roles.is_empty() {
        return refuse(
            StaffColumn::Roles,
            "no_person",
            "roles",
            "角色须与姓名、用户名一起填写",
        );
    }
    if started_on.is_some() && (post.is_none() || person.is_none()) {
        return refuse(
            StaffColumn::StartedOn,
            "no_holding",
            "started_on",
            "任职日期须与人员和岗位一起填写",
        );
    }
    Ok(Row {
        number,
        person,
        unit,
        post,
        level,
        started_on,
        roles,
    })
}

struct Plan {
    total_rows: usize,
    accepted: Vec<Action>,
    rejected: Vec<RejectedRow>,
}

/// What the rows before this one decided, so later rows agree with them.
#[derive(Default)]
struct Planned {
    /// username → (person, name, unit, first row).
    people: HashMap<String, (PersonRef, String, i64, usize)>,
    new_people: usize,
    /// (unit, title) → (post, level, first row).
    posts: HashMap<(i64, String), (PostRef, PostLevel, usize)>,
    new_posts: usize,
    /// (post, person) → row.
    holdings: HashMap<(PostRef, PersonRef), usize>,
    /// Roles granted by earlier rows: (person, role, scope).
    roles: std::collections::HashSet<(PersonRef, Role, i64)>,
}

fn plan(snapshot: &Snapshot, grid: &Grid, today: IsoDate) -> Result<Plan, FieldError> {
    let (header, map) = map_header::<StaffColumn, _>(grid)?;
    let mut plan = Plan {
        total_rows: 0,
        accepted: Vec::new(),
        rejected: Vec::new(),
    };
    let mut planned = Planned::default();
    for (index, cells) in grid.iter().enumerate().skip(header + 1) {
        if is_blank(cells) {
            continue;
        }
        plan.total_rows += 1;
        match parse_row(index + 1, cells, &map)
            .and_then(|row| plan_row(snapshot, &mut planned, row, today))
        {
            Ok(action) => plan.accepted.push(action),
            Err(problems) => plan.rejected.extend(problems),
        }
    }
    plan.rejected.sort_by_key(|r| r.row);
    Ok(plan)
}

fn plan_row(
    snapshot: &Snapshot,
    planned: &mut Planned,
    row: Row,
    today: IsoDate,
) -> Result<Action, Vec<RejectedRow>> {
    let number = row.number;
    let refuse =
        |column: StaffColumn, e: FieldError| vec![RejectedRow::new(number, column.key(), e)];
    let unit = snapshot
        .find(&row.unit, "所在单位")
        .map_err(|e| refuse(StaffColumn::Unit, e))?;
    let mut scopes = Vec::new();
    for (role, scope) in &row.roles {
        let scope = match scope {
            Some(path) => snapshot
                .find(path, "角色范围")
                .map_err(|e| refuse(StaffColumn::Roles, e))?,
            None => unit,
        };
        scopes.push((*role, scope));
    }
    // The post: stored, planned by an earlier row, or new.
    let mut creates_post = None;
    let post = match &row.post {
        None => None,
        Some(title) => {
            let key = (unit, title.to_string());
            let known = snapshot
                .posts
                .get(&key)
                .map(|(id, level)| (PostRef::Stored(*id), *level, None))
                .or_else(|| {
                    planned
                        .posts
                        .get(&key)
                        .map(|(r, l, first)| (*r, *l, Some(*first)))
                });
            match known {
                Some((post, level, first)) => {
                    if let Some(asked) = row.level.filter(|l| *l != level) {
                        let whence =
                            first.map_or("已登记".to_owned(), |f| format!("在第 {f} 行填"));
                        return Err(refuse(
                            StaffColumn::PostLevel,
                            FieldError::new(
                                "post_level_conflict",
                                "post_level",
                                format!(
                                    "岗位“{title}”{whence}为{}，本行填为{}",
                                    level.label(),
                                    asked.label()
                                ),
                            ),
                        ));
                    }
                    Some(post)
                }
                None => {
                    let level = row.level.unwrap_or(PostLevel::General);
                    let post = PostRef::New(planned.new_posts);
                    creates_post = Some(NewPost {
                        unit,
                        title: title.to_string(),
                        level,
                    });
                    Some(post)
                }
            }
        }
    };
    // The person: stored, planned by an earlier row, or new.
    let mut creates_person = None;
    let person = match &row.person {
        None => None,
        Some((name, username)) => {
            let key = username.as_str().to_owned();
            if let Some(stored) = snapshot.users.get(&key) {
                if stored.display_name != name.as_str() || stored.unit_id != unit {
                    return Err(refuse(
                        StaffColumn::Username,
                        FieldError::new(
                            "username_taken",
                            "username",
                            format!(
                                "用户名“{key}”已被 {}（{}）使用，与本行的 {}（{}）不符；请换一个用户名",
                                stored.display_name,
                                snapshot.path(stored.unit_id),
                                name,
                                snapshot.path(unit)
                            ),
                        ),
                    ));
                }
                if !stored.active {
                    return Err(refuse(
                        StaffColumn::Username,
                        FieldError::new(
                            "inactive_user",
                            "username",
                            format!(
                                "{name}（{key}）的账号已停用：如需恢复，请在账号管理中恢复后再导入"
                            ),
                        ),
                    ));
                }
                Some(PersonRef::Stored(stored.id))
            } else if let Some((person, first_name, first_unit, first)) = planned.people.get(&key) {
                if first_name != name.as_str() || *first_unit != unit {
                    return Err(refuse(
                        StaffColumn::Username,
                        FieldError::new(
                            "username_taken",
                            "username",
                            format!(
                                "用户名“{key}”在第 {first} 行是 {first_name}（{}），与本行不符",
                                snapshot.path(*first_unit)
                            ),
                        ),
                    ));
                }
                Some(*person)
            } else {
                creates_person = Some(NewPerson {
                    username: key,
                    name: name.to_string(),
                    unit,
                });
                Some(PersonRef::New(planned.new_people))
            }
        }
    };
    // The holding.
    let mut holding = None;
    if let (Some(post), Some(person)) = (post, person) {
        if let Some(first) = planned.holdings.get(&(post, person)) {
            return Err(refuse(
                StaffColumn::Post,
                FieldError::new(
                    "duplicate_row",
                    "post",
                    format!("与第 {first} 行重复：同一人员、同一岗位"),
                ),
            ));
        }
        let earlier = match (post, person) {
            (PostRef::Stored(p), PersonRef::Stored(u)) => {
                snapshot.holdings.get(&(p, u)).cloned().unwrap_or_default()
            }
            _ => Vec::new(),
        };
        let holds_now = earlier.iter().any(|s| s.end.is_none());
        if !holds_now {
            if let Some(on) = row.started_on {
                check_new_holding(&earlier, on, today).map_err(|e| {
                    refuse(
                        StaffColumn::StartedOn,
                        FieldError::new(&e.code, "started_on", format!("任职日期：{}", e.message)),
                    )
                })?;
            }
            holding = Some(row.started_on);
        }
        planned.holdings.insert((post, person), number);
    }
    // Roles: as written, and 岗位人员 of the unit for whoever holds a post there.
    let mut grants = Vec::new();
    if let Some(person) = person {
        if post.is_some()
            && !scopes
                .iter()
                .any(|(r, s)| *r == Role::PostHolder && *s == unit)
        {
            scopes.push((Role::PostHolder, unit));
        }
        for (role, scope) in scopes {
            let held = match person {
                PersonRef::Stored(id) => snapshot.roles.contains(&(id, role, scope)),
                PersonRef::New(_) => false,
            } || planned.roles.contains(&(person, role, scope));
            if !held {
                planned.roles.insert((person, role, scope));
                grants.push((role, scope));
            }
        }
    }
    // Only now, with the row accepted, do the people and posts it creates count as planned.
    if let (Some(new), Some(person)) = (&creates_person, person) {
        planned.people.insert(
            new.username.clone(),
            (person, new.name.clone(), unit, number),
        );
        planned.new_people += 1;
    }
    if let (Some(new), Some(post)) = (&creates_post, post) {
        planned
            .posts
            .insert((unit, new.title.clone()), (post, new.level, number));
        planned.new_posts += 1;
    }
    Ok(Action {
        person,
        post,
        unit,
        creates_person,
        creates_post,
        holding,
        grants,
    })
}

fn counts<'a>(actions: impl Iterator<Item = &'a Action>) -> Counts {
    let mut counts = Counts::default();
    for a in actions {
        counts.new_accounts += usize::from(a.creates_person.is_some());
        counts.new_posts += usize::from(a.creates_post.is_some());
        counts.new_holdings += usize::from(a.holding.is_some());
        counts.new_roles += a.grants.len();
        counts.unchanged_rows += usize::from(a.changes_nothing());
    }
    counts
}

pub(super) async fn import(
    db: &Db,
    actor: Actor<'_>,
    grid: &Grid,
    file_sha256: &str,
    mode: ImportMode,
) -> Result<Outcome, RosterError> {
    let now = now_ms();
    let today = IsoDate::of_instant(now);
    let mut read = db.pool().begin().await?;
    let snapshot = Snapshot::load(&mut read).await?;
    read.commit().await?;
    let first = plan(&snapshot, grid, today)?;
    let (start, end) = slice(first.accepted.len(), mode);
    if mode == ImportMode::DryRun {
        return Ok(Outcome {
            total_rows: first.total_rows,
            accepted: first.accepted.len(),
            counts: counts(first.accepted.iter()),
            rejected: first.rejected,
            offset: 0,
            applied: 0,
            accounts: Vec::new(),
        });
    }
    // Hashing passwords is slow on purpose (argon2id): the slice's new accounts get theirs
    // before the write transaction, so other writers are not kept waiting.
    let wanted: Vec<String> = first.accepted[start..end]
        .iter()
        .filter_map(|a| a.creates_person.as_ref().map(|p| p.username.clone()))
        .collect();
    let mut passwords = hash_temporaries(wanted).await?;

    let mut tx = db.begin_write().await?;
    let snapshot = Snapshot::load(&mut tx).await?;
    let plan = plan(&snapshot, grid, today)?;
    let (start, end) = slice(plan.accepted.len(), mode);
    let mut slips = Vec::new();
    let mut people: HashMap<usize, i64> = HashMap::new();
    let mut posts: HashMap<usize, i64> = HashMap::new();
    let (mut next_person, mut next_post) =
        plan.accepted[..start].iter().fold((0, 0), |(p, q), a| {
            (
                p + usize::from(a.creates_person.is_some()),
                q + usize::from(a.creates_post.is_some()),
            )
        });
    let mut created_posts = Vec::new();
    for action in &plan.accepted[start..end] {
        if let Some(new) = &action.creates_person {
            let (temporary, hash) = match passwords.remove(&new.username) {
                Some(pair) => pair,
                None => hash_temporaries(vec![new.username.clone()])
                    .await?
                    .remove(&new.username)
                    .ok_or_else(|| anyhow::anyhow!("a temporary password was not hashed"))?,
            };
            let id = store::accounts::insert_user(
                &mut tx,
                &new.username,
                &new.name,
                &hash,
                new.unit,
                true,
                now,
            )
            .await?
            .ok_or_else(|| anyhow::anyhow!("the username {} was taken meanwhile", new.username))?;
            people.insert(next_person, id);
            next_person += 1;
            slips.push(NewAccountSlip {
                username: new.username.clone(),
                display_name: new.name.clone(),
                unit: snapshot.path(new.unit),
                temporary_password: temporary,
            });
        }
        if let Some(new) = &action.creates_post {
            let (id, _) = store::org::ensure_post(
                &mut tx,
                new.unit,
                &new.title,
                new.level,
                PostMarks::default_for(new.level),
            )
            .await?;
            posts.insert(next_post, id);
            next_post += 1;
            created_posts.push(json!({ "post": id, "title": new.title }));
        }
        let person =
            match action.person {
                Some(PersonRef::Stored(id)) => Some(id),
                Some(PersonRef::New(i)) => Some(*people.get(&i).ok_or_else(|| {
                    anyhow::anyhow!("a row refers to an account of a later slice")
                })?),
                None => None,
            };
        let post = match action.post {
            Some(PostRef::Stored(id)) => Some(id),
            Some(PostRef::New(i)) => Some(
                *posts
                    .get(&i)
                    .ok_or_else(|| anyhow::anyhow!("a row refers to a post of a later slice"))?,
            ),
            None => None,
        };
        for (role, scope) in &action.grants {
            if let Some(person) = person {
                store::org::grant(&mut tx, person, *role, *scope).await?;
            }
        }
        if let (Some(on), Some(post), Some(person)) = (action.holding, post, person) {
            let account = store::accounts::account_by_id(&mut tx, person)
                .await?
                .ok_or_else(|| anyhow::anyhow!("an account of the roster is missing"))?;
            let holder = NewHolder {
                id: person,
                username: &account.username,
                name: &account.display_name,
            };
            start_holding(
                &mut tx,
                actor.id(),
                post,
                action.unit,
                holder,
                on,
                None,
                now,
            )
            .await?;
        }
    }
    let done = counts(plan.accepted[start..end].iter());
    if done
        != (Counts {
            unchanged_rows: done.unchanged_rows,
            ..Counts::default()
        })
    {
        let usernames: Vec<&str> = slips.iter().map(|s| s.username.as_str()).collect();
        actor
            .record(
                &mut tx,
                "roster_imported",
                "org:staff",
                json!({ "rows": end - start, "accounts": usernames, "posts": created_posts,
                        "holdings": done.new_holdings, "roles": done.new_roles,
                        "file_sha256": file_sha256 }),
            )
            .await?;
    }
    tx.commit().await?;
    Ok(Outcome {
        total_rows: plan.total_rows,
        accepted: plan.accepted.len(),
        rejected: plan.rejected,
        offset: start,
        applied: end - start,
        counts: done,
        accounts: slips,
    })
}

/// A temporary password and its hash for each username.
async fn hash_temporaries(
    usernames: Vec<String>,
) -> Result<HashMap<String, (String, String)>, RosterError> {
    let hashed = tokio::task::spawn_blocking(move || {
        usernames
            .into_iter()
            .map(|u| {
                let temporary = password::temporary();
                password::hash(&temporary).map(|h| (u, (temporary, h)))
            })
            .collect::<anyhow::Result<HashMap<_, _>>>()
    })
    .await
    .map_err(|e| anyhow::anyhow!("Failed to join the password hashing: {e}"))??;
    Ok(hashed)
}
