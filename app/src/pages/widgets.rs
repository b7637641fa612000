//! Small pieces shared by the pages: the top bar, error boxes, a sheet's risk points.

use domain::risk::RiskLevel;
use leptos::prelude::*;

use crate::{
    api::{RiskPointView, SheetView, UserCard},
    error::{ApiError, ErrorCode},
};

/// The bar at the top of signed-in pages, with the user and a logout button.
#[component]
pub fn TopBar(user: UserCard) -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="topbar-brand" href="/">"廉防"</a>
            <div class="topbar-user">
                <span class="user-name">{user.display_name}</span>
                <span class="user-unit">{user.unit}</span>
            </div>
            <a class="topbar-account" href="/account">"账号与安全"</a>
            <form method="post" action="/api/logout" class="topbar-logout">
                <button type="submit" class="link-button">"退出登录"</button>
                <button type="submit" class="link-button" name="everywhere" value="1"
                    title="结束本账号在所有手机、电脑上的登录">"退出所有设备"</button>
            </form>
        </header>
    }
}

/// The `:id` of the current route as a number, if it is one.
pub fn use_id_param() -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let params = leptos_router::hooks::use_params_map();
    move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    }
}

/// The bar at the top of pages that lead back home.
#[component]
pub fn BackBar() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="topbar-brand" href="/">"廉防"</a>
            <a href="/">"返回首页"</a>
        </header>
    }
}

/// A line of feedback after an action: `Ok` for success, `Err` for a refusal or mistake.
pub type Feedback = RwSignal<Option<Result<String, String>>>;

/// What a page does after a write: it says what happened on a line of its own, which outlives the
/// view being refreshed, and loads again what the write changed (never the whole page).
#[derive(Clone, Copy)]
pub struct Refresh {
    /// The page's line for what the last write did.
    pub notice: Feedback,
    again: Callback<()>,
}

impl Refresh {
    /// `again` loads the page's data again (a resource's `refetch`).
    pub fn new(again: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            notice: RwSignal::new(None),
            again: Callback::new(move |()| again()),
        }
    }

    /// A write succeeded: say so and show what it changed.
    pub fn done(self, message: impl Into<String>) {
        self.notice.set(Some(Ok(message.into())));
        self.again.run(());
    }
}

/// Shows the feedback of the last action, announced to screen readers.
#[component]
pub fn FeedbackLine(feedback: Feedback) -> impl IntoView {
    move || {
        feedback.get().map(|f| match f {
            Ok(m) => view! { <p class="alert alert-ok" role="status">{m}</p> }.into_any(),
            Err(m) => view! { <p class="alert alert-error" role="alert">{m}</p> }.into_any(),
        })
    }
}

/// An error from the server, in words a user can act on. Rendered on the server, it also sets the
/// page's status (a missing record is a 404 page, not a 200 one) where the status has not been
/// sent yet, as in the pages rendered whole before answering.
#[component]
pub fn ErrorBox(error: ApiError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(error.code.status()) {
            response.set_status(status);
        }
    }
    let login = (error.code == ErrorCode::Unauthenticated)
        .then(|| view! { <a href="/login">"重新登录"</a> });
    view! {
        <div class="alert alert-error" role="alert">
            <p>{error.message}</p>
            {login}
        </div>
    }
}

pub fn level_class(level: RiskLevel) -> &'static str {
    match level {
        RiskLevel::High => "level level-high",
        RiskLevel::Medium => "level level-medium",
        RiskLevel::Low => "level level-low",
    }
}

/// A sheet: the post, its duties and its risk points with measures.
#[component]
pub fn SheetCard(sheet: SheetView) -> impl IntoView {
    let heading_id = format!("sheet-{}", sheet.post_id);
    let count = sheet.risk_points.len();
    let timeline = sheet.timeline;
    view! {
        <section class="card sheet" aria-labelledby=heading_id.clone()>
            <header class="sheet-head">
                <h2 id=heading_id.clone()>{sheet.post_title}</h2>
                <p class="sheet-meta">
                    <span>{sheet.unit}</span>
                    <span>{sheet.post_level.label()}</span>
                    {sheet.key_post.then(|| view! { <span class="badge badge-key">"重点岗位"</span> })}
                    {sheet.supervision_grade.map(|g| view! { <span class="badge badge-key">{format!("{}监督", g.label())}</span> })}
                    <span class="badge">{format!("{} · {}", sheet.round, sheet.stage.label())}</span>
                    {sheet.notice_until.clone().map(|d| view! { <span class="badge">{format!("公示至 {d}")}</span> })}
                </p>
            </header>
            {(!sheet.duties.is_empty()).then(|| view! {
                <h3>"岗位职责"</h3>
                <ul class="duties">
                    {sheet.duties.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}
                </ul>
            })}
            <h3>{format!("风险点（{count} 个）")}</h3>
            {if count == 0 {
                view! { <p class="empty">"尚未填写风险点。"</p> }.into_any()
            } else {
                view! {
                    <ol class="risk-list">
                        {sheet.risk_points.into_iter().map(|p| view! { <RiskPointItem point=p/> }).collect_view()}
                    </ol>
                }.into_any()
            }}
            {(!timeline.is_empty()).then(|| view! {
                <h3>"审核记录"</h3>
                <ol class="timeline">
                    {timeline.into_iter().map(|t| view! {
                        <li>
                            <span class="muted">{t.at}</span>
                            {format!(" {} {}：{} → {}", t.by, t.action, t.from.label(), t.to.label())}
                            {t.reason.map(|r| view! { <span class="timeline-reason">{format!("理由：{r}")}</span> })}
                        </li>
                    }).collect_view()}
                </ol>
            })}
        </section>
    }
}

#[component]
fn RiskPointItem(point: RiskPointView) -> impl IntoView {
    view! {
        <li class="risk-point" data-risk-id=point.id>
            <div class="risk-head">
                <span class=level_class(point.level)>{point.level.label()}</span>
                <p class="risk-description">{point.description}</p>
            </div>
            <dl class="risk-facts">
                {point.duty.map(|d| view! { <dt>"对应职责"</dt><dd>{d}</dd> })}
                {point.manifestation.map(|m| view! { <dt>"表现形式"</dt><dd>{m}</dd> })}
                <dt>"风险类别"</dt><dd>{point.category.label()}</dd>
                <dt>"权力类型"</dt><dd>{point.power_type}</dd>
                <dt>"固有风险"</dt>
                <dd>{format!("可能性 {} × 危害程度 {} · 发生频率 {}", point.likelihood, point.impact, point.frequency)}</dd>
                <dt>"剩余风险"</dt>
                <dd class="risk-residual">{match point.residual {
                    Some((l, i)) => format!("可能性 {l} × 危害程度 {i}（采取措施后）"),
                    None => "未评".to_owned(),
                }}</dd>
            </dl>
            {(!point.flags.is_empty()).then(|| view! {
                <p class="risk-flag" role="note">
                    {format!("⚠ {}", point.flags.iter().map(|f| f.label()).collect::<Vec<_>>().join("；"))}
                </p>
            })}
            <h4>"防控措施"</h4>
            <ul class="measures">
                {point.measures.into_iter().map(|m| view! {
                    <li>
                        <span class="measure-kind">{m.kind.label()}</span>
                        <span class="measure-text">{m.text}</span>
                        <span class="measure-status">{match m.done_on {
                            Some(day) => format!("{}（{day}）", m.status.label()),
                            None => m.status.label().to_owned(),
                        }}</span>
                        {m.owner.map(|o| view! { <span class="measure-owner">{format!("责任人：{o}")}</span> })}
                        {m.due.map(|d| view! { <span class="measure-due">{format!("时限：{d}")}</span> })}
                    </li>
                }).collect_view()}
            </ul>
        </li>
    }
}
