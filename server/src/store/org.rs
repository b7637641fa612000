//! The organisation: units, posts and their duties, who holds which post, and roles.

use std::collections::HashMap;

use anyhow::Context as _;
use domain::{
    access::Principal,
    account::{Role, RoleAssignment},
    chain::PeerPost,
    ids::{OrgUnitId, PostId, UserId},
    org::{OrgTree, OrgUnitKind},
    post::{PostLevel, PostMarks, SupervisionGrade},
};

use super::{json_list, Conn};
use crate::error::corrupt;

/// A unit as stored.
#[derive(Debug, Clone)]
pub struct Unit {
    pub id: i64,
    pub parent: Option<i64>,
    pub kind: OrgUnitKind,
    pub name: String,
    /// 分管区领导, as the commission wrote it.
    pub district_leader: Option<String>,
}

/// Every unit, by id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn units(conn: &mut Conn) -> anyhow::Result<Vec<Unit>> {
    sqlx::query!(
        r#"SELECT id AS "id!: i64", parent_id, kind, name, district_leader FROM org_units ORDER BY id"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the units")?
    .into_iter()
    .map(|u| {
        Ok(Unit {
            id: u.id,
            parent: u.parent_id,
            kind: OrgUnitKind::from_code(&u.kind).map_err(|e| corrupt("unit kind", e))?,
            name: u.name,
            district_leader: u.district_leader,
        })
    })
    .collect()
}

/// A new unit; `None` when its parent already has a unit of that name.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn insert_unit(
    conn: &mut Conn,
    parent: Option<i64>,
    kind: OrgUnitKind,
    name: &str,
    district_leader: Option<&str>,
) -> anyhow::Result<Option<i64>> {
    let kind = kind.code();
    sqlx::query_scalar!(
        r#"INSERT INTO org_units (parent_id, kind, name, district_leader) VALUES (?, ?, ?, ?)
           ON CONFLICT DO NOTHING RETURNING id AS "id!: i64""#,
        parent,
        kind,
        name,
        district_leader
    )
    .fetch_optional(&mut *conn)
    .await
    .with_context(|| format!("Failed to insert the unit {name}"))
}

/// Renames a unit and sets its 分管区领导; `false` when a sibling already has the name.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn update_unit(
    conn: &mut Conn,
    id: i64,
    name: &str,
    district_leader: Option<&str>,
) -> anyhow::Result<bool> {
    Ok(sqlx::query!(
        "UPDATE OR IGNORE org_units SET name = ?, district_leader = ? WHERE id = ?",
        name,
        district_leader,
        id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to update a unit")?
    .rows_affected()
        > 0)
}

/// Sets a unit's 分管区领导.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn set_district_leader(
    conn: &mut Conn,
    id: i64,
    district_leader: &str,
) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE org_units SET district_leader = ? WHERE id = ?",
        district_leader,
        id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to set a unit's district leader")?;
    Ok(())
}

/// How many posts and active people each unit has directly: unit → (posts, people).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn unit_counts(conn: &mut Conn) -> anyhow::Result<HashMap<i64, (i64, i64)>> {
    let mut counts: HashMap<i64, (i64, i64)> = HashMap::new();
    for r in sqlx::query!(
        r#"SELECT unit_id AS "unit!: i64", COUNT(*) AS "n!: i64" FROM posts GROUP BY unit_id"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to count posts by unit")?
    {
        counts.entry(r.unit).or_default().0 = r.n;
    }
    for r in sqlx::query!(
        r#"SELECT unit_id AS "unit!: i64", COUNT(*) AS "n!: i64" FROM users WHERE active = 1 GROUP BY unit_id"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to count people by unit")?
    {
        counts.entry(r.unit).or_default().1 = r.n;
    }
    Ok(counts)
}

/// Every role of every user: (user, role, scope).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn all_roles(conn: &mut Conn) -> anyhow::Result<Vec<(i64, Role, i64)>> {
    sqlx::query!(
        r#"SELECT user_id AS "user!: i64", role, scope_unit_id AS "scope!: i64"
           FROM role_assignments ORDER BY user_id, role, scope_unit_id"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load every role")?
    .into_iter()
    .map(|r| {
        Ok((
            r.user,
            Role::parse(&r.role).map_err(|e| corrupt("role", e))?,
            r.scope,
        ))
    })
    .collect()
}

/// Takes a role away from `user` within `scope`; returns whether they had it.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn revoke(conn: &mut Conn, user: i64, role: Role, scope: i64) -> anyhow::Result<bool> {
    let role = role.code();
    Ok(sqlx::query!(
        "DELETE FROM role_assignments WHERE user_id = ? AND role = ? AND scope_unit_id = ?",
        user,
        role,
        scope
    )
    .execute(&mut *conn)
    .await
    .context("Failed to revoke a role")?
    .rows_affected()
        > 0)
}

/// The organisation tree, and each unit's name.
pub async fn tree(conn: &mut Conn) -> anyhow::Result<(OrgTree, HashMap<i64, String>)> {
    let units = units(conn).await?;
    let tree = OrgTree::new(
        units
            .iter()
            .map(|u| (OrgUnitId(u.id), u.parent.map(OrgUnitId))),
    );
    Ok((tree, units.into_iter().map(|u| (u.id, u.name)).collect()))
}

/// The ids of the units called `name`, anywhere in the tree.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn units_named(conn: &mut Conn, name: &str) -> anyhow::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM org_units WHERE name = ?"#,
        name
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to find units by name")
}

/// Inserts a unit unless its parent already has one of that name; returns its id and whether it
/// was created.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn ensure_unit(
    conn: &mut Conn,
    parent: Option<i64>,
    kind: OrgUnitKind,
    name: &str,
) -> anyhow::Result<(i64, bool)> {
    let kind = kind.code();
    let created = sqlx::query!(
        "INSERT INTO org_units (parent_id, kind, name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        parent,
        kind,
        name
    )
    .execute(&mut *conn)
    .await
    .with_context(|| format!("Failed to insert the unit {name}"))?
    .rows_affected()
        > 0;
    let id = sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM org_units WHERE parent_id IS ? AND name = ?"#,
        parent,
        name
    )
    .fetch_one(&mut *conn)
    .await
    .with_context(|| format!("Failed to find the unit {name}"))?;
    Ok((id, created))
}

/// A user's roles with their scopes.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn roles(conn: &mut Conn, user_id: i64) -> anyhow::Result<Vec<RoleAssignment>> {
    sqlx::query!(
        r#"SELECT role, scope_unit_id AS "scope!: i64" FROM role_assignments WHERE user_id = ?"#,
        user_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the roles")?
    .into_iter()
    .map(|r| {
        Ok(RoleAssignment {
            role: Role::parse(&r.role).map_err(|e| corrupt("role", e))?,
            scope: OrgUnitId(r.scope),
        })
    })
    .collect()
}

/// Gives `user` the role within `scope`; a role already held is left as it is.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn grant(conn: &mut Conn, user: i64, role: Role, scope: i64) -> anyhow::Result<()> {
    let role = role.code();
    sqlx::query!(
        "INSERT OR IGNORE INTO role_assignments (user_id, role, scope_unit_id) VALUES (?, ?, ?)",
        user,
        role,
        scope
    )
    .execute(&mut *conn)
    .await
    .context("Failed to grant a role")?;
    Ok(())
}

/// The posts a user holds, as peer review and the access rules see them.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn held_posts(conn: &mut Conn, user_id: i64) -> anyhow::Result<Vec<PeerPost>> {
    sqlx::query!(
        r#"SELECT p.id AS "id!: i64", p.unit_id AS "unit_id!: i64", p.level
           FROM post_holders h JOIN posts p ON p.id = h.post_id WHERE h.user_id = ? ORDER BY p.id"#,
        user_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the held posts")?
    .into_iter()
    .map(|r| {
        Ok(PeerPost {
            post: PostId(r.id),
            unit: OrgUnitId(r.unit_id),
            level: PostLevel::parse(&r.level).map_err(|e| corrupt("post level", e))?,
        })
    })
    .collect()
}

/// The signed-in user as the access rules see them: roles and held posts.
pub async fn principal(
    conn: &mut Conn,
    user_id: i64,
) -> anyhow::Result<(Principal, Vec<PeerPost>)> {
    let roles = roles(conn, user_id).await?;
    let held = held_posts(conn, user_id).await?;
    let principal = Principal {
        user: UserId(user_id),
        roles,
        held_posts: held.iter().map(|p| p.post).collect(),
    };
    Ok((principal, held))
}

/// Makes `user` the holder of `post` unless the post has ever had a holder (the demo seed: a
/// handover made since is not undone by seeding again).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn add_first_holder(conn: &mut Conn, post: i64, user: i64) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO post_holdings (post_id, user_id) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM post_holdings WHERE post_id = ?)",
        post,
        user,
        post
    )
    .execute(&mut *conn)
    .await
    .context("Failed to add a post holder")?;
    Ok(())
}

/// The active holders of a post: (user id, name), by id.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn active_holders(conn: &mut Conn, post: i64) -> anyhow::Result<Vec<(i64, String)>> {
    Ok(sqlx::query!(
        r#"SELECT u.id AS "id!: i64", u.display_name FROM post_holders h JOIN users u ON u.id = h.user_id
           WHERE h.post_id = ? AND u.active = 1 ORDER BY u.id"#,
        post
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the holders of a post")?
    .into_iter()
    .map(|r| (r.id, r.display_name))
    .collect())
}

/// A post with its unit and the commission's marks.
#[derive(Debug, Clone)]
pub struct Post {
    pub id: i64,
    pub unit_id: i64,
    pub unit: String,
    pub title: String,
    pub level: PostLevel,
    pub marks: PostMarks,
}

fn marks(key_post: bool, grade: Option<&str>) -> anyhow::Result<PostMarks> {
    let grade = grade
        .map(SupervisionGrade::parse)
        .transpose()
        .map_err(|e| corrupt("supervision grade", e))?;
    PostMarks::new(key_post, grade).map_err(|e| corrupt("post marks", e))
}

/// One post.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn post(conn: &mut Conn, post_id: i64) -> anyhow::Result<Option<Post>> {
    sqlx::query!(
        r#"SELECT p.id AS "id!: i64", p.title, p.level, p.key_post AS "key_post: bool", p.supervision_grade,
                  p.unit_id AS "unit_id!: i64", u.name AS unit
           FROM posts p JOIN org_units u ON u.id = p.unit_id WHERE p.id = ?"#,
        post_id
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load a post")?
    .map(|p| {
        Ok(Post {
            id: p.id,
            unit_id: p.unit_id,
            unit: p.unit,
            title: p.title,
            level: PostLevel::parse(&p.level).map_err(|e| corrupt("post level", e))?,
            marks: marks(p.key_post, p.supervision_grade.as_deref())?,
        })
    })
    .transpose()
}

/// Every post: (id, unit), for the read rules.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn post_units(conn: &mut Conn) -> anyhow::Result<Vec<(i64, i64)>> {
    Ok(sqlx::query!(
        r#"SELECT id AS "id!: i64", unit_id AS "unit_id!: i64" FROM posts ORDER BY id"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the posts' units")?
    .into_iter()
    .map(|p| (p.id, p.unit_id))
    .collect())
}

/// A stored post as the importer matches rows against it.
#[derive(Debug, Clone)]
pub struct PostKey {
    pub id: i64,
    pub unit_id: i64,
    pub title: String,
    pub level: PostLevel,
    pub marks: PostMarks,
}

/// Every post with its natural key (unit, title).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn post_keys(conn: &mut Conn) -> anyhow::Result<Vec<PostKey>> {
    sqlx::query!(
        r#"SELECT id AS "id!: i64", unit_id AS "unit_id!: i64", title, level,
                  key_post AS "key_post: bool", supervision_grade FROM posts"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the posts")?
    .into_iter()
    .map(|p| {
        Ok(PostKey {
            id: p.id,
            unit_id: p.unit_id,
            title: p.title,
            level: PostLevel::parse(&p.level).map_err(|e| corrupt("post level", e))?,
            marks: marks(p.key_post, p.supervision_grade.as_deref())?,
        })
    })
    .collect()
}

/// A post's title (the id itself when the post is gone), for messages.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn post_title(conn: &mut Conn, post_id: i64) -> anyhow::Result<String> {
    Ok(
        sqlx::query_scalar!("SELECT title FROM posts WHERE id = ?", post_id)
            .fetch_optional(&mut *conn)
            .await
            .context("Failed to load a post's title")?
            .unwrap_or_else(|| post_id.to_string()),
    )
}

/// The unit of a post, if the post exists.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn post_unit(conn: &mut Conn, post_id: i64) -> anyhow::Result<Option<i64>> {
    sqlx::query_scalar!(
        r#"SELECT unit_id AS "unit_id!: i64" FROM posts WHERE id = ?"#,
        post_id
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load a post's unit")
}

/// Inserts a post unless its unit has one of that title; returns its id and whether it was
/// created. A new post takes `marks`; an existing one keeps its own.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn ensure_post(
    conn: &mut Conn,
    unit_id: i64,
    title: &str,
    level: PostLevel,
    marks: PostMarks,
) -> anyhow::Result<(i64, bool)> {
    let level = level.code();
    let key_post = i64::from(marks.key_post());
    let grade = marks.grade().map(SupervisionGrade::code);
    let created = sqlx::query!(
        "INSERT INTO posts (unit_id, title, level, key_post, supervision_grade) VALUES (?, ?, ?, ?, ?) ON CONFLICT (unit_id, title) DO NOTHING",
        unit_id,
        title,
        level,
        key_post,
        grade
    )
    .execute(&mut *conn)
    .await
    .context("Failed to insert a post")?
    .rows_affected()
        > 0;
    let id = sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM posts WHERE unit_id = ? AND title = ?"#,
        unit_id,
        title
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to find a post")?;
    Ok((id, created))
}

/// Renames a post and sets its level; `false` when the unit already has a post of that title.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn update_post(
    conn: &mut Conn,
    post_id: i64,
    title: &str,
    level: PostLevel,
) -> anyhow::Result<bool> {
    let level = level.code();
    Ok(sqlx::query!(
        "UPDATE OR IGNORE posts SET title = ?, level = ? WHERE id = ?",
        title,
        level,
        post_id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to update a post")?
    .rows_affected()
        > 0)
}

/// Sets the commission's marks on a post.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn set_marks(conn: &mut Conn, post_id: i64, marks: PostMarks) -> anyhow::Result<()> {
    let (key, grade) = (
        i64::from(marks.key_post()),
        marks.grade().map(SupervisionGrade::code),
    );
    sqlx::query!(
        "UPDATE posts SET key_post = ?, supervision_grade = ? WHERE id = ?",
        key,
        grade,
        post_id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to set a post's marks")?;
    Ok(())
}

/// The duties of a post, in order.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn duties(conn: &mut Conn, post_id: i64) -> anyhow::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT text FROM duties WHERE post_id = ? ORDER BY position",
        post_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load a post's duties")
}

/// The duties of many posts in one statement: post → duties in order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn duties_of(
    conn: &mut Conn,
    posts: &[i64],
) -> anyhow::Result<HashMap<i64, Vec<String>>> {
    let ids = json_list(posts)?;
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for d in sqlx::query!(
        r#"SELECT post_id AS "post_id!: i64", text FROM duties
           WHERE post_id IN (SELECT value FROM json_each(?)) ORDER BY post_id, position"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the duties of posts")?
    {
        out.entry(d.post_id).or_default().push(d.text);
    }
    Ok(out)
}

/// Adds a duty at the end of a post's list unless the post has it already.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn ensure_duty(conn: &mut Conn, post_id: i64, text: &str) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO duties (post_id, position, text) VALUES (?, (SELECT COUNT(*) FROM duties WHERE post_id = ?), ?) ON CONFLICT (post_id, text) DO NOTHING",
        post_id,
        post_id,
        text
    )
    .execute(&mut *conn)
    .await
    .context("Failed to insert a duty")?;
    Ok(())
}

/// The directory's generation: a counter that triggers move whenever units, posts, holders or
/// roles change, so that what was read at the same generation is still current.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn directory_generation(conn: &mut Conn) -> anyhow::Result<i64> {
    sqlx::query_scalar!(r#"SELECT n AS "n!: i64" FROM directory_generation WHERE id = 1"#)
        .fetch_one(&mut *conn)
        .await
        .context("Failed to read the directory's generation")
}
