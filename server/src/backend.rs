//! The database side of the app's server functions. Every method re-checks, from the database,
//! what the signed-in user may read: the UI's view of permissions is never trusted.

use std::collections::HashMap;

use app::{
    api::{
        backend::Backend, AuditEntryView, AuditStatus, CommitmentSummary, CommitmentView,
        HandbookView, HomeView, MeasureView, MeetingView, ObjectionView, PeerReviewView,
        PublicSheet, PublicUnitLink, PublicUnitView, ReviewInfo, RiskPointView, RollupRow,
        RollupView, SessionUser, SheetSummary, SheetView, SignedView, SuggestionView, TemplateView,
        TimelineEntry, UnitLink, UserCard, VerificationView,
    },
    error::ApiError,
};
use domain::{
    access::Principal,
    account::{Role, RoleAssignment},
    chain::{allowed_actions, is_peer_reviewer, next_step, reviewer_of, Chain, PeerPost},
    ids::{OrgUnitId, PostId, UserId},
    org::OrgTree,
    post::{PostLevel, SupervisionGrade},
    risk::{MeasureKind, MeasureStatus, RatingMatrix, RiskCategory, RiskLevel},
    stage::Stage,
    sync::RiskPointInput,
    time::{china_day, china_time},
};

use sqlx::SqlitePool;

use crate::db::Db;

pub struct DbBackend {
    db: Db,
    /// The last whole-log verification, for the public verification page.
    chain: tokio::sync::Mutex<Option<CachedChain>>,
}

/// A verification of the whole log, valid while the log's last entry is the same and for
/// [`CHAIN_CACHE_SECS`]: anyone may open a verification page, so the whole log is not re-hashed
/// for every visitor, and never by two visitors at once.
struct CachedChain {
    last: Option<(i64, String)>,
    at: std::time::Instant,
    result: crate::audit::Verification,
}

const CHAIN_CACHE_SECS: u64 = 30;

impl DbBackend {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            chain: tokio::sync::Mutex::new(None),
        }
    }

    async fn verified_chain(&self) -> Result<crate::audit::Verification, ApiError> {
        let pool = self.db.pool();
        let last = sqlx::query!(
            r#"SELECT seq AS "seq!: i64", hash FROM audit_log ORDER BY seq DESC LIMIT 1"#
        )
        .fetch_optional(pool)
        .await
        .map_err(internal)?
        .map(|r| (r.seq, r.hash));
        let mut cache = self.chain.lock().await;
        if let Some(c) = cache
            .as_ref()
            .filter(|c| c.last == last && c.at.elapsed().as_secs() < CHAIN_CACHE_SECS)
        {
            return Ok(c.result.clone());
        }
        let result = crate::audit::verify(pool).await.map_err(internal)?;
        *cache = Some(CachedChain {
            last,
            at: std::time::Instant::now(),
            result: result.clone(),
        });
        Ok(result)
    }
}

/// A database failure, logged here and shown to the user only as `internal`.
fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "backend failure");
    ApiError::internal()
}

/// A stored value the code does not know means the database was edited by hand or by a newer
/// version: a server fault, not the user's.
fn corrupt(e: domain::FieldError) -> ApiError {
    internal(format!("stored value rejected: {e}"))
}

/// The signed-in user's roles and held posts, as the access rules see them.
pub(crate) async fn load_principal(pool: &SqlitePool, user_id: i64) -> Result<Principal, ApiError> {
    let roles = sqlx::query!(
        r#"SELECT role, scope_unit_id AS "scope!: i64" FROM role_assignments WHERE user_id = ?"#,
        user_id
    )
    .fetch_all(pool)
    .await
    .map_err(internal)?
    .into_iter()
    .map(|r| {
        Ok(RoleAssignment {
            role: Role::parse(&r.role).map_err(corrupt)?,
            scope: OrgUnitId(r.scope),
        })
    })
    .collect::<Result<Vec<_>, ApiError>>()?;
    let held_posts = sqlx::query_scalar!(
        r#"SELECT post_id AS "post_id!: i64" FROM post_holders WHERE user_id = ?"#,
        user_id
    )
    .fetch_all(pool)
    .await
    .map_err(internal)?
    .into_iter()
    .map(PostId)
    .collect();
    Ok(Principal {
        user: UserId(user_id),
        roles,
        held_posts,
    })
}

/// The organisation tree, and each unit's name.
pub(crate) async fn load_tree(
    pool: &SqlitePool,
) -> Result<(OrgTree, HashMap<i64, String>), ApiError> {
    let units = sqlx::query!(r#"SELECT id AS "id!: i64", parent_id, name FROM org_units"#)
        .fetch_all(pool)
        .await
        .map_err(internal)?;
    let tree = OrgTree::new(
        units
            .iter()
            .map(|u| (OrgUnitId(u.id), u.parent_id.map(OrgUnitId))),
    );
    let names = units.into_iter().map(|u| (u.id, u.name)).collect();
    Ok((tree, names))
}

impl DbBackend {
    async fn principal(&self, user: &SessionUser) -> Result<Principal, ApiError> {
        load_principal(self.db.pool(), user.id).await
    }

    async fn tree(&self) -> Result<(OrgTree, HashMap<i64, String>), ApiError> {
        load_tree(self.db.pool()).await
    }

    /// The sheet of `post_id` in the latest round that has one, with its sheet id (none before
    /// the post's first round).
    async fn load_sheet(&self, post_id: i64) -> Result<Option<(SheetView, Option<i64>)>, ApiError> {
        let pool = self.db.pool();
        let Some(post) = sqlx::query!(
            r#"SELECT p.id AS "id!: i64", p.title, p.level, p.key_post AS "key_post: bool", p.supervision_grade,
                      p.unit_id AS "unit_id!: i64", u.name AS unit
               FROM posts p JOIN org_units u ON u.id = p.unit_id WHERE p.id = ?"#,
            post_id
        )
        .fetch_optional(pool)
        .await
        .map_err(internal)?
        else {
            return Ok(None);
        };
        let duties = sqlx::query_scalar!(
            "SELECT text FROM duties WHERE post_id = ? ORDER BY position",
            post_id
        )
        .fetch_all(pool)
        .await
        .map_err(internal)?;
        let sheet = sqlx::query!(
            r#"SELECT rs.id AS "id!: i64", rs.stage, rs.version AS "version!: i64", rs.notice_until, r.name AS round
               FROM risk_sheets rs JOIN rounds r ON r.id = rs.round_id
               WHERE rs.post_id = ? ORDER BY r.year DESC, r.id DESC LIMIT 1"#,
            post_id
        )
        .fetch_optional(pool)
        .await
        .map_err(internal)?;
        let sheet_id = sheet.as_ref().map(|s| s.id);
        let (round, stage, version, notice_until, risk_points, timeline) = match sheet {
            Some(sheet) => (
                sheet.round,
                Stage::from_code(&sheet.stage).map_err(corrupt)?,
                sheet.version,
                sheet.notice_until.map(china_day),
                self.risk_points(sheet.id).await?,
                self.timeline(sheet.id).await?,
            ),
            None => (
                "尚未开始排查".to_owned(),
                Stage::SelfCheck,
                0,
                None,
                Vec::new(),
                Vec::new(),
            ),
        };
        let supervision_grade = post
            .supervision_grade
            .as_deref()
            .map(SupervisionGrade::parse)
            .transpose()
            .map_err(corrupt)?;
        Ok(Some((
            SheetView {
                post_id: post.id,
                post_title: post.title,
                post_level: PostLevel::parse(&post.level).map_err(corrupt)?,
                key_post: post.key_post,
                unit: post.unit,
                round,
                stage,
                duties,
                risk_points,
                timeline,
                unit_id: post.unit_id,
                version,
                supervision_grade,
                notice_until,
                review: None,
            },
            sheet_id,
        )))
    }

    /// What `principal` sees of the review around a sheet and may do in it. The chain steps come
    /// from `domain::chain` with the same facts the server decides on.
    async fn review_info(
        &self,
        principal: &Principal,
        tree: &OrgTree,
        view: &SheetView,
        sheet_id: i64,
    ) -> Result<ReviewInfo, ApiError> {
        let pool = self.db.pool();
        let mut conn = pool.acquire().await.map_err(internal)?;
        let snap = crate::sync::snapshot(
            &mut conn,
            sheet_id,
            view.post_id,
            view.stage,
            crate::db::now_ms(),
        )
        .await
        .map_err(|e| e.0)?;
        let chain = Chain::for_level(view.post_level);
        let actions: Vec<String> =
            allowed_actions(&chain, &snap.state, &snap.facts, principal, tree)
                .iter()
                .map(|a| a.code().to_owned())
                .collect();
        let is_holder = principal.held_posts.contains(&PostId(view.post_id));
        let (post, unit) = (PostId(view.post_id), OrgUnitId(view.unit_id));
        let held = next_step(&chain, &snap.state, &snap.facts, principal, tree)
            .and_then(|step| step.held)
            .map(|refused| refused.message);
        let return_targets = chain
            .stages()
            .iter()
            .copied()
            .filter(|s| *s < view.stage)
            .collect();
        let held_posts = crate::http::held_posts(&mut conn, principal.user.0)
            .await
            .map_err(|e| e.0)?;
        let may_peer_review = view.stage == Stage::PeerReview
            && is_peer_reviewer(
                &held_posts,
                PeerPost {
                    post: PostId(view.post_id),
                    unit,
                    level: view.post_level,
                },
            );
        let peer_reviews = sqlx::query!(
            r#"SELECT u.display_name, r.comment, r.at AS "at!: i64" FROM peer_reviews r JOIN users u ON u.id = r.by_user
               WHERE r.sheet_id = ? ORDER BY r.at"#,
            sheet_id
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|r| PeerReviewView {
            by: r.display_name,
            comment: r.comment,
            at: china_time(r.at),
        })
        .collect();
        let matrix =
            sqlx::query_scalar!("SELECT matrix_json FROM risk_sheets WHERE id = ?", sheet_id)
                .fetch_one(&mut *conn)
                .await
                .map_err(internal)?;
        let matrix: RatingMatrix = serde_json::from_str(&matrix).map_err(internal)?;
        let suggestions = sqlx::query!(
            r#"SELECT s.id AS "id!: i64", u.display_name, s.input_json, s.status, s.decline_reason
               FROM suggestions s JOIN users u ON u.id = s.by_user WHERE s.sheet_id = ? ORDER BY s.id"#,
            sheet_id
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|r| {
            let input: RiskPointInput = serde_json::from_str(&r.input_json).map_err(internal)?;
            Ok(SuggestionView {
                id: r.id,
                by: r.display_name,
                level: input.validate().ok().map(|v| v.level(&matrix)),
                category: RiskCategory::parse(&input.category).map_err(corrupt)?,
                description: input.description,
                status: r.status,
                decline_reason: r.decline_reason,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
        let may_resolve_objections = principal.may_answer_objections(tree, post, unit);
        let sees_contacts = principal.may_see_objection_contacts(tree, post, unit);
        let objections = sqlx::query!(
            r#"SELECT id AS "id!: i64", text, contact, at AS "at!: i64", status, response
               FROM objections WHERE sheet_id = ? ORDER BY id"#,
            sheet_id
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|r| ObjectionView {
            id: r.id,
            text: r.text,
            // Whoever objected may fear the person objected to: only those who answer see how to
            // reach them.
            contact: r.contact.filter(|_| sees_contacts),
            at: china_time(r.at),
            open: r.status == "open",
            response: r.response,
        })
        .collect();
        let meetings = sqlx::query!(
            r#"SELECT m.held_on, m.attendees, m.decision, m.minutes_ref FROM review_meetings m
               JOIN meeting_sheets ms ON ms.meeting_id = m.id WHERE ms.sheet_id = ? ORDER BY m.id"#,
            sheet_id
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|m| MeetingView {
            held_on: m.held_on,
            attendees: m.attendees,
            decision: m.decision,
            minutes_ref: m.minutes_ref,
        })
        .collect();
        Ok(ReviewInfo {
            actions,
            return_targets,
            held,
            is_holder,
            may_peer_review,
            required_peer_reviews: snap.facts.required_peer_reviews,
            peer_reviews,
            suggestions,
            objections,
            may_resolve_objections,
            may_grade: principal.may_grade_post(tree, post, unit),
            meetings,
        })
    }

    async fn timeline(&self, sheet_id: i64) -> Result<Vec<TimelineEntry>, ApiError> {
        let rows = sqlx::query!(
            r#"SELECT t.at AS "at!: i64", u.display_name, t.from_stage, t.to_stage, t.action, t.reason
               FROM sheet_transitions t JOIN users u ON u.id = t.by_user
               WHERE t.sheet_id = ? ORDER BY t.id"#,
            sheet_id
        )
        .fetch_all(self.db.pool())
        .await
        .map_err(internal)?;
        rows.into_iter()
            .map(|r| {
                Ok(TimelineEntry {
                    at: china_time(r.at),
                    by: r.display_name,
                    from: Stage::from_code(&r.from_stage).map_err(corrupt)?,
                    to: Stage::from_code(&r.to_stage).map_err(corrupt)?,
                    action: match r.action.as_str() {
                        "submit" => "提交审核",
                        "close_peer_review" => "结束互评",
                        "approve" => "审核通过",
                        _ => "退回",
                    }
                    .to_owned(),
                    reason: r.reason,
                })
            })
            .collect()
    }

    async fn risk_points(&self, sheet_id: i64) -> Result<Vec<RiskPointView>, ApiError> {
        Ok(self
            .risk_points_of(&[sheet_id])
            .await?
            .remove(&sheet_id)
            .unwrap_or_default())
    }

    /// The risk points of several sheets, with their measures, in two queries: sheet id →
    /// points in list order.
    async fn risk_points_of(
        &self,
        sheet_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<RiskPointView>>, ApiError> {
        let pool = self.db.pool();
        let ids = serde_json::to_string(sheet_ids).map_err(internal)?;
        let points = sqlx::query!(
            r#"SELECT id, sheet_id AS "sheet_id!: i64", duty, description, manifestation, category, power_type,
                      likelihood AS "likelihood!: i64", impact AS "impact!: i64", frequency AS "frequency!: i64", level
               FROM risk_points WHERE sheet_id IN (SELECT value FROM json_each(?)) ORDER BY sheet_id, position"#,
            ids
        )
        .fetch_all(pool)
        .await
        .map_err(internal)?;
        let measures = sqlx::query!(
            r#"SELECT m.risk_point_id, m.kind, m.text, m.owner, m.due, m.status, m.done_on
               FROM measures m JOIN risk_points p ON p.id = m.risk_point_id
               WHERE p.sheet_id IN (SELECT value FROM json_each(?)) ORDER BY m.risk_point_id, m.position"#,
            ids
        )
        .fetch_all(pool)
        .await
        .map_err(internal)?;
        let mut by_point: HashMap<String, Vec<MeasureView>> = HashMap::new();
        for m in measures {
            by_point
                .entry(m.risk_point_id)
                .or_default()
                .push(MeasureView {
                    kind: MeasureKind::parse(&m.kind).map_err(corrupt)?,
                    text: m.text,
                    owner: m.owner,
                    due: m.due,
                    status: MeasureStatus::parse(&m.status).map_err(corrupt)?,
                    done_on: m.done_on,
                });
        }
        let mut by_sheet: HashMap<i64, Vec<RiskPointView>> = HashMap::new();
        for p in points {
            by_sheet.entry(p.sheet_id).or_default().push(RiskPointView {
                measures: by_point.remove(&p.id).unwrap_or_default(),
                id: p.id,
                duty: p.duty,
                description: p.description,
                manifestation: p.manifestation,
                category: RiskCategory::parse(&p.category).map_err(corrupt)?,
                power_type: p.power_type,
                likelihood: score(p.likelihood),
                impact: score(p.impact),
                frequency: score(p.frequency),
                level: RiskLevel::parse(&p.level).map_err(corrupt)?,
            });
        }
        Ok(by_sheet)
    }
}

impl DbBackend {
    async fn my_commitments(&self, user_id: i64) -> Result<Vec<CommitmentSummary>, ApiError> {
        let rows = sqlx::query!(
            r#"SELECT c.id AS "id!: i64", c.title, p.title AS post, u.name AS unit, c.created_at AS "created_at!: i64",
                      c.signed_at, c.superseded AS "superseded!: bool", c.reminded_at
               FROM commitments c JOIN posts p ON p.id = c.post_id JOIN org_units u ON u.id = p.unit_id
               WHERE c.user_id = ? ORDER BY c.id DESC"#,
            user_id
        )
        .fetch_all(self.db.pool())
        .await
        .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|r| CommitmentSummary {
                id: r.id,
                title: r.title,
                post: r.post,
                unit: r.unit,
                created_on: china_day(r.created_at),
                signed_at: r.signed_at.map(china_time),
                superseded: r.superseded,
                reminded: r.reminded_at.is_some(),
            })
            .collect())
    }

    /// The signature of a signed commitment row.
    fn signed_view(
        kind: Option<String>,
        signature: Option<String>,
        signer_name: Option<String>,
        signed_at: Option<i64>,
        seal: Option<String>,
    ) -> Option<SignedView> {
        let (kind, signature, signed_at, seal) = (kind?, signature?, signed_at?, seal?);
        let strokes = if kind == "drawn" {
            serde_json::from_str(&signature).unwrap_or_default()
        } else {
            Vec::new()
        };
        Some(SignedView {
            typed_name: (kind == "typed").then(|| signature.clone()),
            kind,
            strokes,
            signer_name: signer_name.unwrap_or_default(),
            signed_at: china_time(signed_at),
            seal,
        })
    }
}

/// The QR code of `text` as an SVG path of unit squares, and the side of its square.
fn qr_path(text: &str) -> (u32, String) {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        return (0, String::new());
    };
    let width = code.width();
    let quiet = 2;
    let mut path = String::new();
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == qrcode::Color::Dark {
            let (x, y) = (i % width + quiet, i / width + quiet);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    (u32::try_from(width + 2 * quiet).unwrap_or(0), path)
}

fn score(value: i64) -> u8 {
    u8::try_from(value).unwrap_or(0)
}

#[async_trait::async_trait]
impl Backend for DbBackend {
    async fn home(&self, user: &SessionUser) -> Result<HomeView, ApiError> {
        let principal = self.principal(user).await?;
        let (tree, unit_names) = self.tree().await?;
        let pool = self.db.pool();
        let unit = sqlx::query_scalar!(
            "SELECT o.name FROM users u JOIN org_units o ON o.id = u.unit_id WHERE u.id = ?",
            user.id
        )
        .fetch_one(pool)
        .await
        .map_err(internal)?;
        let mut roles: Vec<String> = principal
            .roles
            .iter()
            .map(|a| {
                let scope = unit_names
                    .get(&a.scope.0)
                    .map(String::as_str)
                    .unwrap_or("—");
                format!("{}（{scope}）", a.role.label())
            })
            .collect();
        roles.sort();

        let mut my_sheets = Vec::new();
        for post in &principal.held_posts {
            if let Some((mut sheet, Some(sheet_id))) = self.load_sheet(post.0).await? {
                sheet.review = Some(
                    self.review_info(&principal, &tree, &sheet, sheet_id)
                        .await?,
                );
                my_sheets.push(sheet);
            }
        }

        let mut conn = pool.acquire().await.map_err(internal)?;
        let held = crate::http::held_posts(&mut conn, user.id)
            .await
            .map_err(|e| e.0)?;
        drop(conn);
        let rows = sqlx::query!(
            r#"SELECT p.id AS "post_id!: i64", p.unit_id AS "unit_id!: i64", p.title, p.level,
                      COALESCE(rs.stage, 'self_check') AS "stage!: String",
                      (SELECT COUNT(*) FROM risk_points rp WHERE rp.sheet_id = rs.id) AS "risk_count!: i64",
                      (SELECT COUNT(*) FROM risk_points rp WHERE rp.sheet_id = rs.id AND rp.level = 'high') AS "high_count!: i64",
                      (SELECT COUNT(*) FROM objections o WHERE o.sheet_id = rs.id AND o.status = 'open') AS "objections!: i64",
                      EXISTS (SELECT 1 FROM peer_reviews pr WHERE pr.sheet_id = rs.id AND pr.by_user = ?) AS "reviewed!: bool"
               FROM posts p
               LEFT JOIN risk_sheets rs ON rs.post_id = p.id
                    AND rs.round_id = (SELECT r.id FROM rounds r JOIN risk_sheets s ON s.round_id = r.id
                                       WHERE s.post_id = p.id ORDER BY r.year DESC, r.id DESC LIMIT 1)
               ORDER BY p.unit_id, p.id"#,
            user.id
        )
        .fetch_all(pool)
        .await
        .map_err(internal)?;
        let (mut in_scope, mut peer_queue) = (Vec::new(), Vec::new());
        for row in rows {
            let post = PostId(row.post_id);
            let unit = OrgUnitId(row.unit_id);
            let level = PostLevel::parse(&row.level).map_err(corrupt)?;
            let stage = Stage::from_code(&row.stage).map_err(corrupt)?;
            if principal.held_posts.contains(&post) {
                continue;
            }
            let waiting = reviewer_of(stage)
                .is_some_and(|role| principal.has_role_over(&tree, role, unit))
                || (stage == Stage::PublicNotice
                    && row.objections > 0
                    && principal.may_answer_objections(&tree, post, unit));
            let summary = SheetSummary {
                post_id: row.post_id,
                unit: unit_names.get(&row.unit_id).cloned().unwrap_or_default(),
                post_title: row.title,
                post_level: level,
                stage,
                risk_count: row.risk_count,
                high_count: row.high_count,
                unit_id: row.unit_id,
                waiting,
                open_objections: row.objections,
            };
            let peer = stage == Stage::PeerReview
                && !row.reviewed
                && is_peer_reviewer(&held, PeerPost { post, unit, level });
            if peer {
                peer_queue.push(summary.clone());
            }
            if principal.may_read_sheet(&tree, post, unit) {
                in_scope.push(summary);
            }
        }

        let mut units: Vec<UnitLink> = Vec::new();
        for a in principal
            .roles
            .iter()
            .filter(|a| a.role.reads_sheets_in_scope())
        {
            let liaison = principal.may_import(&tree, a.scope);
            match units.iter_mut().find(|u| u.id == a.scope.0) {
                Some(u) => u.liaison |= liaison,
                None => units.push(UnitLink {
                    id: a.scope.0,
                    name: unit_names.get(&a.scope.0).cloned().unwrap_or_default(),
                    liaison,
                }),
            }
        }

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
            commitments: self.my_commitments(user.id).await?,
            edits_template: principal.may_edit_commitment_template(),
            audits: principal.may_check_audit_log(),
        })
    }

    async fn sheet(&self, user: &SessionUser, post_id: i64) -> Result<SheetView, ApiError> {
        // An unknown post and a forbidden one look alike, so ids cannot be probed.
        let Some((mut view, sheet_id)) = self.load_sheet(post_id).await? else {
            return Err(ApiError::forbidden());
        };
        let principal = self.principal(user).await?;
        let (tree, _) = self.tree().await?;
        let unit = OrgUnitId(view.unit_id);
        let reads = principal.may_read_sheet(&tree, PostId(post_id), unit);
        let Some(sheet_id) = sheet_id else {
            return if reads {
                Ok(view)
            } else {
                Err(ApiError::forbidden())
            };
        };
        let review = self.review_info(&principal, &tree, &view, sheet_id).await?;
        if !reads && !review.may_peer_review {
            return Err(ApiError::forbidden());
        }
        view.review = Some(review);
        Ok(view)
    }

    async fn public_unit(&self, unit_id: i64) -> Result<PublicUnitView, ApiError> {
        let pool = self.db.pool();
        let unit = sqlx::query_scalar!("SELECT name FROM org_units WHERE id = ?", unit_id)
            .fetch_optional(pool)
            .await
            .map_err(internal)?
            .ok_or_else(|| ApiError::not_found("该单位"))?;
        // Anyone may open this page: a fixed number of queries, however many posts the unit has.
        let rows = sqlx::query!(
            r#"SELECT p.id AS "post_id!: i64", p.title, p.level, rs.id AS "sheet_id!: i64", rs.stage, rs.notice_until,
                      r.name AS round,
                      (SELECT COUNT(*) FROM objections o WHERE o.sheet_id = rs.id AND o.status = 'open') AS "objections!: i64"
               FROM posts p JOIN risk_sheets rs ON rs.post_id = p.id JOIN rounds r ON r.id = rs.round_id
               WHERE p.unit_id = ? AND rs.stage IN ('public_notice', 'commission_audit', 'approved')
                 AND r.id = (SELECT r2.id FROM rounds r2 JOIN risk_sheets s2 ON s2.round_id = r2.id
                             WHERE s2.post_id = p.id ORDER BY r2.year DESC, r2.id DESC LIMIT 1)
               ORDER BY p.id"#,
            unit_id
        )
        .fetch_all(pool)
        .await
        .map_err(internal)?;
        let sheet_ids: Vec<i64> = rows.iter().map(|r| r.sheet_id).collect();
        let mut points = self.risk_points_of(&sheet_ids).await?;
        let round = rows.first().map(|r| r.round.clone()).unwrap_or_default();
        let mut sheets = Vec::with_capacity(rows.len());
        for row in rows {
            // The notice shows risks and measures, not who carries each measure out.
            let mut risk_points = points.remove(&row.sheet_id).unwrap_or_default();
            for measure in risk_points.iter_mut().flat_map(|p| p.measures.iter_mut()) {
                measure.owner = None;
                measure.due = None;
            }
            sheets.push(PublicSheet {
                post_id: row.post_id,
                post_title: row.title,
                post_level: PostLevel::parse(&row.level).map_err(corrupt)?,
                stage: Stage::from_code(&row.stage).map_err(corrupt)?,
                notice_until: row.notice_until.map(china_day),
                open_objections: row.objections,
                risk_points,
            });
        }
        Ok(PublicUnitView {
            unit_id,
            unit,
            round,
            sheets,
        })
    }

    async fn public_units(&self) -> Result<Vec<PublicUnitLink>, ApiError> {
        let rows = sqlx::query!(
            r#"SELECT u.id AS "id!: i64", u.name, COUNT(*) AS "published!: i64"
               FROM org_units u JOIN posts p ON p.unit_id = u.id JOIN risk_sheets rs ON rs.post_id = p.id
               WHERE rs.stage IN ('public_notice', 'commission_audit', 'approved')
               GROUP BY u.id ORDER BY u.id"#
        )
        .fetch_all(self.db.pool())
        .await
        .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|r| PublicUnitLink {
                id: r.id,
                name: r.name,
                published: r.published,
            })
            .collect())
    }

    async fn handbook(&self, user: &SessionUser, unit_id: i64) -> Result<HandbookView, ApiError> {
        let principal = self.principal(user).await?;
        let (tree, names) = self.tree().await?;
        let readable = principal.may_read_unit(&tree, OrgUnitId(unit_id));
        let Some(unit) = names.get(&unit_id).filter(|_| readable).cloned() else {
            return Err(ApiError::forbidden());
        };
        // Every post beneath the unit (its sections, villages and communities too), parents
        // before children, in a fixed number of queries whatever the size of the unit.
        let units = tree.subtree(OrgUnitId(unit_id));
        let rank: HashMap<i64, usize> = units.iter().enumerate().map(|(i, u)| (u.0, i)).collect();
        let unit_json = serde_json::to_string(&units.iter().map(|u| u.0).collect::<Vec<_>>())
            .map_err(internal)?;
        let pool = self.db.pool();
        let mut rows = sqlx::query!(
            r#"SELECT p.id AS "id!: i64", p.unit_id AS "unit_id!: i64", p.title, p.level,
                      p.key_post AS "key_post: bool", p.supervision_grade,
                      cs.id AS "sheet_id?: i64", cs.stage AS "stage?: String", cs.version AS "version?: i64",
                      cs.notice_until AS "notice_until?: i64", cs.round_name AS "round?: String"
               FROM posts p LEFT JOIN current_sheets cs ON cs.post_id = p.id
               WHERE p.unit_id IN (SELECT value FROM json_each(?))"#,
            unit_json
        )
        .fetch_all(pool)
        .await
        .map_err(internal)?;
        rows.sort_by_key(|r| (rank.get(&r.unit_id).copied(), r.id));
        let post_json = serde_json::to_string(&rows.iter().map(|r| r.id).collect::<Vec<_>>())
            .map_err(internal)?;
        let mut duties: HashMap<i64, Vec<String>> = HashMap::new();
        for d in sqlx::query!(
            r#"SELECT post_id AS "post_id!: i64", text FROM duties
               WHERE post_id IN (SELECT value FROM json_each(?)) ORDER BY post_id, position"#,
            post_json
        )
        .fetch_all(pool)
        .await
        .map_err(internal)?
        {
            duties.entry(d.post_id).or_default().push(d.text);
        }
        let sheet_ids: Vec<i64> = rows.iter().filter_map(|r| r.sheet_id).collect();
        let mut points = self.risk_points_of(&sheet_ids).await?;
        let label = |id: i64| {
            // The unit as seen from the handbook's unit: `东村` under `清河街道办事处` reads
            // `清河街道办事处·东村`.
            let mut path = Vec::new();
            let mut current = Some(OrgUnitId(id));
            while let Some(u) = current {
                path.push(names.get(&u.0).cloned().unwrap_or_default());
                if u.0 == unit_id {
                    break;
                }
                current = tree.parent(u);
            }
            path.reverse();
            path.join("·")
        };
        let mut posts = Vec::with_capacity(rows.len());
        for row in rows {
            let supervision_grade = row
                .supervision_grade
                .as_deref()
                .map(SupervisionGrade::parse)
                .transpose()
                .map_err(corrupt)?;
            posts.push(SheetView {
                post_id: row.id,
                post_title: row.title,
                post_level: PostLevel::parse(&row.level).map_err(corrupt)?,
                key_post: row.key_post,
                unit: label(row.unit_id),
                round: row.round.unwrap_or_else(|| "尚未开始排查".to_owned()),
                stage: match row.stage {
                    Some(stage) => Stage::from_code(&stage).map_err(corrupt)?,
                    None => Stage::SelfCheck,
                },
                duties: duties.remove(&row.id).unwrap_or_default(),
                risk_points: row
                    .sheet_id
                    .and_then(|id| points.remove(&id))
                    .unwrap_or_default(),
                // The handbook prints the content, not the review's history.
                timeline: Vec::new(),
                unit_id: row.unit_id,
                version: row.version.unwrap_or(0),
                supervision_grade,
                notice_until: row.notice_until.map(china_day),
                review: None,
            });
        }
        let round = posts.first().map(|p| p.round.clone()).unwrap_or_default();
        Ok(HandbookView {
            unit_id,
            unit,
            round,
            approved: !posts.is_empty() && posts.iter().all(|p| p.stage == Stage::Approved),
            generated_on: china_day(crate::db::now_ms()),
            posts,
        })
    }

    async fn commitment(&self, user: &SessionUser, id: i64) -> Result<CommitmentView, ApiError> {
        let row = sqlx::query!(
            r#"SELECT c.id AS "id!: i64", c.token, c.title, c.body, c.user_id AS "user_id!: i64", c.superseded AS "superseded!: bool",
                      c.signature_kind, c.signature, c.signer_name, c.signed_at, c.seal,
                      p.title AS post, p.unit_id AS "unit_id!: i64", u.name AS unit, o.display_name AS owner
               FROM commitments c JOIN posts p ON p.id = c.post_id JOIN org_units u ON u.id = p.unit_id
               JOIN users o ON o.id = c.user_id WHERE c.id = ?"#,
            id
        )
        .fetch_optional(self.db.pool())
        .await
        .map_err(internal)?
        .ok_or_else(ApiError::forbidden)?;
        let is_owner = row.user_id == user.id;
        if !is_owner {
            let principal = self.principal(user).await?;
            let (tree, _) = self.tree().await?;
            let unit = OrgUnitId(row.unit_id);
            if !principal.oversees_commitments(&tree, unit) {
                return Err(ApiError::forbidden());
            }
        }
        Ok(CommitmentView {
            id: row.id,
            token: row.token,
            title: row.title,
            body: row.body,
            post: row.post,
            unit: row.unit,
            owner_name: row.owner,
            is_owner,
            superseded: row.superseded,
            signed: Self::signed_view(
                row.signature_kind,
                row.signature,
                row.signer_name,
                row.signed_at,
                row.seal,
            ),
        })
    }

    async fn verification(&self, token: &str, origin: &str) -> Result<VerificationView, ApiError> {
        let pool = self.db.pool();
        let row = sqlx::query!(
            r#"SELECT c.token, c.title, c.body, c.signature_kind, c.signature, c.signer_username, c.signer_name,
                      c.signed_at, c.seal, c.log_seq, p.title AS post, u.name AS unit
               FROM commitments c JOIN posts p ON p.id = c.post_id JOIN org_units u ON u.id = p.unit_id
               WHERE c.token = ?"#,
            token
        )
        .fetch_optional(pool)
        .await
        .map_err(internal)?
        .ok_or_else(|| ApiError::not_found("该承诺书"))?;
        // The seal again from what is stored now: any edit of the row shows here.
        let seal_ok = match (
            &row.signature_kind,
            &row.signature,
            &row.signer_username,
            &row.signer_name,
            row.signed_at,
            &row.seal,
        ) {
            (Some(kind), Some(signature), Some(username), Some(name), Some(at), Some(seal)) => {
                domain::audit::seal(&domain::audit::SealInput {
                    token: &row.token,
                    title: &row.title,
                    body: &row.body,
                    signer_username: username,
                    signer_name: name,
                    signature_kind: kind,
                    signature,
                    signed_at: at,
                }) == *seal
            }
            _ => false,
        };
        let entry_ok = match (row.log_seq, &row.seal) {
            (Some(seq), Some(seal)) => crate::audit::check_entry(pool, seq)
                .await
                .map_err(internal)?
                .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.payload).ok())
                .is_some_and(|p| {
                    p["seal"] == serde_json::json!(seal)
                        && p["token"] == serde_json::json!(row.token)
                }),
            _ => false,
        };
        let chain = self.verified_chain().await?;
        let url = format!("{origin}/verify/{}", row.token);
        let (qr_size, qr_path) = qr_path(&url);
        Ok(VerificationView {
            token: row.token,
            title: row.title,
            body: row.body,
            post: row.post,
            unit: row.unit,
            signed: Self::signed_view(
                row.signature_kind,
                row.signature,
                row.signer_name,
                row.signed_at,
                row.seal,
            ),
            seal_ok,
            entry_ok,
            chain_ok: chain.broken.is_none(),
            chain_entries: chain.entries,
            chain_broken: chain.broken.map(|b| b.to_string()),
            url,
            qr_size,
            qr_path,
        })
    }

    async fn rollup(&self, user: &SessionUser, unit_id: i64) -> Result<RollupView, ApiError> {
        let principal = self.principal(user).await?;
        let (tree, names) = self.tree().await?;
        let unit = OrgUnitId(unit_id);
        if !principal.oversees_commitments(&tree, unit) {
            return Err(ApiError::forbidden());
        }
        let rows = sqlx::query!(
            r#"SELECT c.id AS "id!: i64", o.display_name, p.title AS post, p.unit_id AS "unit_id!: i64",
                      c.signed_at, c.reminded_at
               FROM commitments c JOIN posts p ON p.id = c.post_id JOIN users o ON o.id = c.user_id
               WHERE c.superseded = 0 ORDER BY p.unit_id, p.id, c.id"#
        )
        .fetch_all(self.db.pool())
        .await
        .map_err(internal)?;
        let rows: Vec<RollupRow> = rows
            .into_iter()
            .filter(|r| tree.is_within(OrgUnitId(r.unit_id), unit))
            .map(|r| RollupRow {
                id: r.id,
                signer: r.display_name,
                post: r.post,
                unit: names.get(&r.unit_id).cloned().unwrap_or_default(),
                signed_at: r.signed_at.map(china_time),
                reminded_at: r.reminded_at.map(china_time),
            })
            .collect();
        let signed = rows.iter().filter(|r| r.signed_at.is_some()).count();
        Ok(RollupView {
            unit_id,
            unit: names.get(&unit_id).cloned().unwrap_or_default(),
            unsigned: rows.len() - signed,
            signed,
            rows,
        })
    }

    async fn template(&self, user: &SessionUser) -> Result<TemplateView, ApiError> {
        let principal = self.principal(user).await?;
        if !principal.may_edit_commitment_template() {
            return Err(ApiError::forbidden());
        }
        let t = sqlx::query!(
            r#"SELECT title, body, updated_at AS "updated_at!: i64" FROM commitment_templates ORDER BY id DESC LIMIT 1"#
        )
        .fetch_one(self.db.pool())
        .await
        .map_err(internal)?;
        Ok(TemplateView {
            title: t.title,
            body: t.body,
            placeholders: crate::commitments::PLACEHOLDERS
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            updated_at: (t.updated_at > 0).then(|| china_time(t.updated_at)),
        })
    }

    async fn audit(&self, user: &SessionUser) -> Result<AuditStatus, ApiError> {
        let principal = self.principal(user).await?;
        if !principal.may_check_audit_log() {
            return Err(ApiError::forbidden());
        }
        let pool = self.db.pool();
        let v = crate::audit::verify(pool).await.map_err(internal)?;
        let recent = sqlx::query!(
            r#"SELECT a.seq AS "seq!: i64", a.at AS "at!: i64", a.kind, u.display_name AS "actor?", a.subject, a.hash
               FROM audit_log a LEFT JOIN users u ON u.id = a.actor ORDER BY a.seq DESC LIMIT 50"#
        )
        .fetch_all(pool)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|r| AuditEntryView {
            seq: r.seq,
            at: china_time(r.at),
            kind: r.kind,
            actor: r.actor,
            subject: r.subject,
            hash: r.hash,
        })
        .collect();
        Ok(AuditStatus {
            entries: v.entries,
            ok: v.broken.is_none(),
            head: v.head,
            broken_seq: v.broken.as_ref().map(|b| b.seq()),
            broken: v.broken.map(|b| b.to_string()),
            recent,
        })
    }
}
