//! Who holds a post, with dates (轮岗交流): holdings start and end, and the history stays. The
//! `post_holders` view is the current holdings.

use anyhow::Context as _;

use super::Conn;

/// A holding of a post, past or current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub id: i64,
    pub post_id: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
}

/// Every holding of the posts of `units`, current ones first, then by start.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn of_units(conn: &mut Conn, units: &[i64]) -> anyhow::Result<Vec<Holding>> {
    let ids = super::json_list(units)?;
    Ok(sqlx::query!(
        r#"SELECT h.id AS "id!: i64", h.post_id AS "post_id!: i64", h.user_id AS "user_id!: i64",
                  u.username, u.display_name, h.started_on, h.ended_on
           FROM post_holdings h JOIN users u ON u.id = h.user_id JOIN posts p ON p.id = h.post_id
           WHERE p.unit_id IN (SELECT value FROM json_each(?))
           ORDER BY h.post_id, h.ended_on IS NOT NULL, h.started_on DESC, h.id DESC"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load holdings")?
    .into_iter()
    .map(|r| Holding {
        id: r.id,
        post_id: r.post_id,
        user_id: r.user_id,
        username: r.username,
        display_name: r.display_name,
        started_on: r.started_on,
        ended_on: r.ended_on,
    })
    .collect())
}

/// The holdings of `user` on `post`, past and current: (started, ended).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn of(
    conn: &mut Conn,
    post: i64,
    user: i64,
) -> anyhow::Result<Vec<(Option<String>, Option<String>)>> {
    Ok(sqlx::query!(
        "SELECT started_on, ended_on FROM post_holdings WHERE post_id = ? AND user_id = ?",
        post,
        user
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load a person's holdings of a post")?
    .into_iter()
    .map(|r| (r.started_on, r.ended_on))
    .collect())
}

/// Starts a holding on `started_on` (`None`: the day is not known).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn start(
    conn: &mut Conn,
    post: i64,
    user: i64,
    started_on: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO post_holdings (post_id, user_id, started_on) VALUES (?, ?, ?)",
        post,
        user,
        started_on
    )
    .execute(&mut *conn)
    .await
    .context("Failed to start a holding")?;
    Ok(())
}

/// Ends the current holding of `user` on `post` on `ended_on`; returns whether there was one.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn end(conn: &mut Conn, post: i64, user: i64, ended_on: &str) -> anyhow::Result<bool> {
    Ok(sqlx::query!(
        "UPDATE post_holdings SET ended_on = ? WHERE post_id = ? AND user_id = ? AND ended_on IS NULL",
        ended_on,
        post,
        user
    )
    .execute(&mut *conn)
    .await
    .context("Failed to end a holding")?
    .rows_affected()
        > 0)
}

/// A holding as the roster sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub post_id: i64,
    pub user_id: i64,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
}

/// Every holding, past and current, by post then start.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn all(conn: &mut Conn) -> anyhow::Result<Vec<Span>> {
    Ok(sqlx::query!(
        r#"SELECT post_id AS "post!: i64", user_id AS "user!: i64", started_on, ended_on
           FROM post_holdings ORDER BY post_id, id"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the holdings")?
    .into_iter()
    .map(|r| Span {
        post_id: r.post,
        user_id: r.user,
        started_on: r.started_on,
        ended_on: r.ended_on,
    })
    .collect())
}

/// The post's approved sheet on the public record (its latest at 审核通过), if any.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn approved_sheet(conn: &mut Conn, post: i64) -> anyhow::Result<Option<i64>> {
    sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM published_sheets WHERE post_id = ? AND stage = 'approved'"#,
        post
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to find a post's approved sheet")
}
