//! 承诺书模板: the commission edits the templates new commitments are generated from: a general
//! one, and one per post level where a level needs its own wording (领导岗位 often does).

use domain::post::PostLevel;
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{BackBar, ErrorBox, Feedback, FeedbackLine, Refresh};
use crate::{
    api::{load_template, TemplateView},
    client,
    write::SaveTemplate,
};

#[component]
pub fn TemplatePage() -> impl IntoView {
    let level = RwSignal::new(None::<PostLevel>);
    let data = Resource::new(move || level.get(), load_template);
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <Title text="承诺书模板"/>
        <BackBar/>
        <main id="main" class="page">
            <h1>"承诺书模板"</h1>
            <label for="template-level">"适用岗位"</label>
            <select id="template-level" on:change=move |e| {
                level.set(PostLevel::parse(&event_target_value(&e)).ok());
            }>
                <option value="" selected=true>"通用模板（未单独设置的岗位类别均使用）"</option>
                {PostLevel::ALL.iter().map(|l| view! { <option value=l.code()>{l.label()}</option> }).collect_view()}
            </select>
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(t) => view! { <TemplateForm t refresh/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn TemplateForm(t: TemplateView, refresh: Refresh) -> impl IntoView {
    let level = t.post_level;
    let title = RwSignal::new(t.title);
    let body = RwSignal::new(t.body);
    let scope = match (level, t.inherited) {
        (None, _) => {
            "通用模板：领导岗位、中层岗位、其它岗位未单独设置模板的，均使用此模板。".to_owned()
        }
        (Some(l), true) => format!(
            "{}目前沿用通用模板；在此保存即为{}单独设置模板。",
            l.label(),
            l.label()
        ),
        (Some(l), false) => format!("{}的专用模板。", l.label()),
    };
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !client::confirm(
            "保存后，此后生成的承诺书将使用新模板；已生成和已签署的承诺书不变。确定保存吗？",
        ) {
            return;
        }
        busy.set(true);
        feedback.set(None);
        let payload = SaveTemplate {
            post_level: level,
            title: title.get_untracked(),
            body: body.get_untracked(),
        };
        spawn_local(async move {
            match client::send(None, &payload).await {
                Ok(_) => refresh.done("模板已保存"),
                Err(e) => feedback.set(Some(Err(e.message))),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="card stack" on:submit=save>
            <p data-testid="template-scope">{scope}</p>
            <p class="muted">{format!("可用占位符：{}", t.placeholders.join("、"))}</p>
            {t.updated_at.map(|at| view! { <p class="muted">{format!("最近修改：{at}")}</p> })}
            <label for="template-title">"标题"</label>
            <input id="template-title" required minlength="2" maxlength="60"
                prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e))/>
            <label for="template-body">"正文"</label>
            <textarea id="template-body" class="tall" required minlength="20" maxlength="5000"
                prop:value=move || body.get() on:input=move |e| body.set(event_target_value(&e))></textarea>
            <button type="submit" class="primary" disabled=move || busy.get()>"保存模板"</button>
            <FeedbackLine feedback/>
        </form>
    }
}
