//! The database side of the app's server functions (the read model): every method re-checks,
//! from the database, what the signed-in user may read; the UI's view of permissions is never
//! trusted. The pages' data is put together in the submodules, through the store.

mod commitments;
mod home;
mod public;
mod sheet;
mod transparency;
mod views;

use std::sync::Arc;

use app::{
    api::{
        backend::Backend,
        district::{OrgView, RoleGrant, SettingsView},
        supervision::{MeasuresView, NotificationsView, WarningView, WarningsView},
        AccountView, AuditStatus, CommitmentView, HandbookView, HomeView, PublicUnitLink,
        PublicUnitView, RollupView, RoundProgressView, RoundsView, SessionUser, SessionView,
        SheetView, TemplateView, TransparencyView, UnitPostsView, VerificationView,
    },
    error::ApiError,
};
use domain::{
    ids::{OrgUnitId, PostId},
    post::PostLevel,
};

use crate::{
    db::Db,
    directory::{Org, Person},
    error::{Error, Result},
};

pub struct DbBackend {
    db: Db,
    /// The last whole-log verification, for the public verification page.
    chain: commitments::ChainCache,
    /// The public key that signs tree heads now.
    head_public_key: String,
}

impl DbBackend {
    pub fn new(db: Db, head_public_key: String) -> Self {
        Self {
            db,
            chain: commitments::ChainCache::default(),
            head_public_key,
        }
    }

    async fn who(&self, user: &SessionUser) -> Result<(Arc<Person>, Arc<Org>)> {
        let person = self.db.directory().person(user.id).await?;
        let org = self.db.directory().org().await?;
        Ok((person, org))
    }

    async fn sheet_view(&self, user: &SessionUser, post_id: i64) -> Result<SheetView> {
        let mut conn = self.db.pool().acquire().await?;
        // A missing post is a 404 page. Its existence tells nothing the public notice does not.
        let Some((mut view, sheet_id)) = sheet::load(&mut conn, post_id).await? else {
            return Err(ApiError::not_found("该岗位").into());
        };
        let (person, org) = self.who(user).await?;
        let reads =
            person
                .principal
                .may_read_sheet(&org.tree, PostId(post_id), OrgUnitId(view.unit_id));
        let Some(sheet_id) = sheet_id else {
            // No sheet to keep offline: not noted (it would never reach a replica, and the
            // pull would look for it at every sync).
            return if reads {
                Ok(view)
            } else {
                Err(ApiError::forbidden().into())
            };
        };
        let review = sheet::review_info(&mut conn, &person, &org, &view, sheet_id).await?;
        if !reads && !review.may_peer_review {
            return Err(ApiError::forbidden().into());
        }
        view.review = Some(review);
        drop(conn);
        if reads {
            self.note_view(user.id, post_id).await;
        }
        Ok(view)
    }

    /// Notes that the user opened a sheet they may read, for their offline replica
    /// (`domain::sync::replica_posts`). A failure here never fails the page: it is logged.
    async fn note_view(&self, user: i64, post: i64) {
        let noted = async {
            let mut tx = self.db.begin_write().await?;
            let keep = i64::try_from(domain::sync::REPLICA_OPENED_SHEETS).unwrap_or(20);
            crate::store::sheets::note_view(&mut tx, user, post, crate::db::now_ms(), keep).await?;
            tx.commit().await?;
            anyhow::Ok(())
        };
        if let Err(e) = noted.await {
            tracing::warn!(user, post, "Failed to note a sheet view: {e:#}");
        }
    }
}

/// The core's error as the server functions answer it.
fn api<T>(result: Result<T>) -> Result<T, ApiError> {
    result.map_err(Error::into_api)
}

#[async_trait::async_trait]
impl Backend for DbBackend {
    async fn home(&self, user: &SessionUser) -> Result<HomeView, ApiError> {
        api(async {
            let (person, org) = self.who(user).await?;
            let mut conn = self.db.pool().acquire().await?;
            home::home(&mut conn, user, &person, &org).await
        }
        .await)
    }

    async fn sheet(&self, user: &SessionUser, post_id: i64) -> Result<SheetView, ApiError> {
        api(self.sheet_view(user, post_id).await)
    }

    async fn public_unit(&self, unit_id: i64) -> Result<PublicUnitView, ApiError> {
        api(async {
            let org = self.db.directory().org().await?;
            let mut conn = self.db.pool().acquire().await?;
            public::unit(&mut conn, unit_id, org.names.get(&unit_id).cloned()).await
        }
        .await)
    }

    async fn public_units(&self) -> Result<Vec<PublicUnitLink>, ApiError> {
        api(async {
            let mut conn = self.db.pool().acquire().await?;
            public::units(&mut conn).await
        }
        .await)
    }

    async fn handbook(
        &self,
        user: &SessionUser,
        unit_id: i64,
        origin: &str,
    ) -> Result<HandbookView, ApiError> {
        api(async {
            let (person, org) = self.who(user).await?;
            let mut conn = self.db.pool().acquire().await?;
            let mut view = sheet::handbook(&mut conn, &person, &org, unit_id).await?;
            view.head = transparency::printed_head(&mut conn, origin).await?;
            Ok(view)
        }
        .await)
    }

    async fn transparency(&self, _origin: &str) -> Result<TransparencyView, ApiError> {
        api(async {
            let mut conn = self.db.pool().acquire().await?;
            transparency::page(&mut conn, self.head_public_key.clone()).await
        }
        .await)
    }

    async fn commitment(&self, user: &SessionUser, id: i64) -> Result<CommitmentView, ApiError> {
        api(async {
            let mut conn = self.db.pool().acquire().await?;
            commitments::commitment(&mut conn, self.db.directory(), user, id).await
        }
        .await)
    }

    async fn verification(&self, token: &str, origin: &str) -> Result<VerificationView, ApiError> {
        api(commitments::verification(self.db.pool(), &self.chain, token, origin).await)
    }

    async fn rollup(&self, user: &SessionUser, unit_id: i64) -> Result<RollupView, ApiError> {
        api(async {
            let (person, org) = self.who(user).await?;
            let mut conn = self.db.pool().acquire().await?;
            commitments::rollup(&mut conn, &person, &org, unit_id).await
        }
        .await)
    }

    async fn template(
        &self,
        user: &SessionUser,
        post_level: Option<PostLevel>,
    ) -> Result<TemplateView, ApiError> {
        api(async {
            let (person, _) = self.who(user).await?;
            let mut conn = self.db.pool().acquire().await?;
            commitments::template(&mut conn, &person, post_level).await
        }
        .await)
    }

    async fn audit(&self, user: &SessionUser) -> Result<AuditStatus, ApiError> {
        api(async {
            let (person, _) = self.who(user).await?;
            commitments::audit_status(self.db.pool(), &person).await
        }
        .await)
    }

    async fn sessions(
        &self,
        user: &SessionUser,
        current: Option<String>,
    ) -> Result<Vec<SessionView>, ApiError> {
        api(async {
            let mut conn = self.db.pool().acquire().await?;
            let now = crate::db::now_ms();
            let rows = crate::store::accounts::sessions_of(&mut conn, user.id, now).await?;
            Ok(rows
                .into_iter()
                .map(|s| SessionView {
                    current: current.as_deref() == Some(s.token_hash.as_str()),
                    signed_in_at: domain::time::china_time(s.created_at),
                    last_used_at: domain::time::china_time(s.last_seen),
                    device: domain::account::describe_device(s.user_agent.as_deref()),
                })
                .collect())
        }
        .await)
    }

    async fn accounts(&self, user: &SessionUser) -> Result<Vec<AccountView>, ApiError> {
        api(async {
            let (person, _) = self.who(user).await?;
            if !person.principal.may_manage_accounts() {
                return Err(ApiError::forbidden().into());
            }
            let mut conn = self.db.pool().acquire().await?;
            let rows = crate::store::accounts::all(&mut conn).await?;
            let mut roles: std::collections::HashMap<i64, Vec<RoleGrant>> =
                std::collections::HashMap::new();
            for (user, role, scope_id) in crate::store::org::all_roles(&mut conn).await? {
                roles
                    .entry(user)
                    .or_default()
                    .push(RoleGrant { role, scope_id });
            }
            Ok(rows
                .into_iter()
                .map(|r| AccountView {
                    roles: roles.remove(&r.id).unwrap_or_default(),
                    username: r.username,
                    display_name: r.display_name,
                    unit: r.unit,
                    unit_id: r.unit_id,
                    active: r.active,
                    admin: r.admin,
                    must_change_password: r.must_change,
                })
                .collect())
        }
        .await)
    }

    async fn org(&self, user: &SessionUser) -> Result<OrgView, ApiError> {
        api(crate::org::view(&self.db, crate::actor::Actor::User(user)).await)
    }

    async fn settings(&self, user: &SessionUser) -> Result<SettingsView, ApiError> {
        api(crate::settings::view(&self.db, user, crate::db::now_ms()).await)
    }

    async fn unit_posts(
        &self,
        user: &SessionUser,
        unit_id: i64,
    ) -> Result<UnitPostsView, ApiError> {
        api(crate::holders::unit_posts(&self.db, user.id, unit_id, crate::db::now_ms()).await)
    }

    async fn rounds(&self, user: &SessionUser) -> Result<RoundsView, ApiError> {
        api(crate::rounds::rounds(&self.db, user.id).await)
    }

    async fn round(&self, user: &SessionUser, id: i64) -> Result<RoundProgressView, ApiError> {
        let today = domain::risk::IsoDate::of_instant(crate::db::now_ms());
        api(crate::rounds::progress(&self.db, user.id, id, today).await)
    }

    async fn warnings(&self, user: &SessionUser) -> Result<WarningsView, ApiError> {
        api(crate::warnings::list(&self.db, user.id, crate::db::now_ms()).await)
    }

    async fn warning(
        &self,
        user: &SessionUser,
        id: i64,
        origin: &str,
    ) -> Result<WarningView, ApiError> {
        api(async {
            let mut view =
                crate::warnings::view(&self.db, user.id, id, crate::db::now_ms()).await?;
            let mut conn = self.db.pool().acquire().await?;
            view.head = transparency::printed_head(&mut conn, origin).await?;
            Ok(view)
        }
        .await)
    }

    async fn notifications(&self, user: &SessionUser) -> Result<NotificationsView, ApiError> {
        api(crate::notifications::list(&self.db, user.id).await)
    }

    async fn measures(&self, user: &SessionUser) -> Result<MeasuresView, ApiError> {
        api(crate::measures::list(&self.db, user.id, crate::db::now_ms()).await)
    }

    async fn catalogue(
        &self,
        user: &SessionUser,
    ) -> Result<app::api::catalogue::CatalogueView, ApiError> {
        api(crate::catalogue::view(&self.db, user).await)
    }

    async fn education(
        &self,
        user: &SessionUser,
    ) -> Result<app::api::education::EducationView, ApiError> {
        api(crate::education::view(&self.db, user.id, crate::db::now_ms()).await)
    }

    async fn person(
        &self,
        user: &SessionUser,
        username: String,
    ) -> Result<app::api::education::PersonView, ApiError> {
        api(crate::people::person(&self.db, user.id, &username, crate::db::now_ms()).await)
    }
}
