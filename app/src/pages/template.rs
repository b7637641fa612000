//! 承诺书模板: the commission edits the template new commitments are generated from.

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
    let data = Resource::new(|| (), |_| load_template());
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <Title text="承诺书模板"/>
        <BackBar/>
        <main id="main" class="page">
            <h1>"承诺书模板"</h1>
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
    let title = RwSignal::new(t.title);
    let body = RwSignal::new(t.body);
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
