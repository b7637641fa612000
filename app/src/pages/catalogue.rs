//! 风险库: the commission reads the groups of similar risk points the grouping proposes, keeps the
//! members that are the same risk (unticking the others splits them off), confirms them as a new
//! entry with its canonical wording and unified measures or adds them to an entry of the same
//! kind, edits an entry, and takes a point out of one.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{BackBar, ErrorBox, FeedbackLine, Refresh};
use crate::{
    api::catalogue::{load_catalogue, CatalogueView, EntryView, MemberView, ProposalView},
    client,
    write::{ConfirmGroup, EditEntry, UnlinkPoint},
};

#[component]
pub fn CataloguePage() -> impl IntoView {
    let data = Resource::new(|| (), |()| load_catalogue());
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <Title text="区级风险库"/>
        <BackBar/>
        <main id="main" class="page">
            <h1>"区级风险库"</h1>
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在归并相似风险点…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(c) => view! { <Catalogue c refresh/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn Catalogue(c: CatalogueView, refresh: Refresh) -> impl IntoView {
    let CatalogueView {
        points,
        linked,
        threshold,
        proposals,
        more_proposals,
        entries,
    } = c;
    let targets: Vec<(i64, String, String)> = entries
        .iter()
        .map(|e| (e.id, e.kind.clone(), e.wording.clone()))
        .collect();
    view! {
        <p data-testid="catalogue-counts">{format!(
            "各岗位现行排查表共有风险点 {points} 个，已归入风险库 {linked} 个，风险库条目 {} 条。",
            entries.len()
        )}</p>
        <section aria-labelledby="proposals-title">
            <h2 id="proposals-title">{format!("待确认的归并建议（{} 组）", proposals.len() + more_proposals)}</h2>
            <p class="muted">{format!(
                "同类权力的风险点，文字相似度达到 {threshold}% 即建议归为同一风险。请取消勾选不属于同一风险的风险点（它们留待以后归并），确认后各单位的风险点即链接到该条目。"
            )}</p>
            {proposals.is_empty().then(|| view! { <p class="empty">"目前没有新的归并建议：相似的风险点都已归入风险库。"</p> })}
            {proposals.into_iter().enumerate().map(|(i, p)| {
                let targets = targets.iter().filter(|t| t.1 == p.kind).cloned().collect();
                view! { <Proposal index=i p targets refresh/> }
            }).collect_view()}
            {(more_proposals > 0).then(|| view! {
                <p class="muted">{format!("另有 {more_proposals} 组建议，确认上面的建议后会依次列出。")}</p>
            })}
        </section>
        <section aria-labelledby="entries-title">
            <h2 id="entries-title">{format!("风险库条目（{} 条）", entries.len())}</h2>
            {entries.is_empty().then(|| view! { <p class="empty">"尚无条目：确认一组归并建议即建立第一个条目。"</p> })}
            {entries.into_iter().map(|e| view! { <Entry e refresh/> }).collect_view()}
        </section>
    }
}

/// One member line with its checkbox.
fn member_label(m: &MemberView) -> String {
    match m.similarity {
        Some(s) => format!("{} · {}：{}（相似度 {s}%）", m.unit, m.post, m.description),
        None => format!("{} · {}：{}", m.unit, m.post, m.description),
    }
}

#[component]
fn Proposal(
    index: usize,
    p: ProposalView,
    targets: Vec<(i64, String, String)>,
    refresh: Refresh,
) -> impl IntoView {
    let ProposalView {
        kind,
        score,
        entry,
        wording,
        members,
    } = p;
    let kept = RwSignal::new(members.iter().map(|m| m.point.clone()).collect::<Vec<_>>());
    let target = RwSignal::new(entry.as_ref().map(|e| e.id));
    let wording = RwSignal::new(wording);
    let measures = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let title_id = format!("proposal-{index}");
    let labelled_by = title_id.clone();
    let count = members.len();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let request = ConfirmGroup {
            entry: target.get_untracked(),
            wording: wording.get_untracked(),
            measures: measures.get_untracked(),
            points: kept.get_untracked(),
        };
        spawn_local(async move {
            let result = client::send(None, &request).await;
            busy.set(false);
            match result {
                Ok(saved) => refresh.done(format!(
                    "已将 {} 个风险点归入风险库条目（编号 {}）",
                    saved.linked, saved.id
                )),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let wording_id = format!("proposal-{index}-wording");
    let measures_id = format!("proposal-{index}-measures");
    let target_id = format!("proposal-{index}-target");
    view! {
        <form class="card stack proposal" data-testid="proposal" aria-labelledby=labelled_by
            on:submit=submit novalidate>
            <h3 id=title_id>{format!("{kind}类 · {count} 个风险点 · 平均相似度 {score}%")}</h3>
            {entry.map(|e| view! { <p>{format!("建议并入已有条目“{}”", e.wording)}</p> })}
            <fieldset>
                <legend>"属于同一风险的风险点"</legend>
                <ul class="plain-list">
                    {members.into_iter().map(|m| {
                        let point = m.point.clone();
                        let toggle = point.clone();
                        let label = member_label(&m);
                        view! {
                            <li class="check-row">
                                <label class="check">
                                    <input type="checkbox"
                                        prop:checked=move || kept.with(|k| k.contains(&point))
                                        on:change=move |e| {
                                            let on = event_target_checked(&e);
                                            kept.update(|k| {
                                                k.retain(|p| p != &toggle);
                                                if on { k.push(toggle.clone()); }
                                            });
                                        }/>
                                    " " {label}
                                </label>
                                " " <a href=format!("/posts/{}", m.post_id)>"查看排查表"</a>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </fieldset>
            <label for=target_id.clone()>"归入"</label>
            <select id=target_id on:change=move |e| target.set(event_target_value(&e).parse().ok())>
                <option value="" selected=target.get_untracked().is_none()>"新建条目"</option>
                {targets.into_iter().map(|(id, _, w)| view! {
                    <option value=id.to_string() selected=target.get_untracked() == Some(id)>{format!("已有条目：{w}")}</option>
                }).collect_view()}
            </select>
            <Show when=move || target.get().is_none()>
                <label for=wording_id.clone()>"统一表述" <span aria-hidden="true">"*"</span></label>
                <textarea id=wording_id.clone() rows="2" maxlength="500" required aria-required="true"
                    prop:value=move || wording.get() on:input=move |e| wording.set(event_target_value(&e))></textarea>
                <label for=measures_id.clone()>"统一防控措施（可稍后填写）"</label>
                <textarea id=measures_id.clone() rows="3" placeholder="制度防范：…；监督预警：…；教育防范：…"
                    prop:value=move || measures.get() on:input=move |e| measures.set(event_target_value(&e))></textarea>
            </Show>
            {move || error.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
            <button type="submit" disabled=move || busy.get() || kept.with(Vec::is_empty)>"确认归并"</button>
        </form>
    }
}

#[component]
fn Entry(e: EntryView, refresh: Refresh) -> impl IntoView {
    let EntryView {
        id,
        kind,
        wording,
        measures,
        points,
    } = e;
    let new_wording = RwSignal::new(wording.clone());
    let new_measures = RwSignal::new(measures.clone());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let request = EditEntry {
            wording: new_wording.get_untracked(),
            measures: new_measures.get_untracked(),
        };
        spawn_local(async move {
            let result = client::send(Some(id), &request).await;
            busy.set(false);
            match result {
                Ok(_) => refresh.done("已保存风险库条目的表述和措施"),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let wording_id = format!("entry-{id}-wording");
    let measures_id = format!("entry-{id}-measures");
    view! {
        <article class="card stack" data-testid="entry">
            <h3>{wording}</h3>
            <p class="muted">{format!("{kind}类 · {} 个风险点", points.len())}</p>
            <p>{if measures.is_empty() { "统一防控措施：尚未填写".to_owned() } else { format!("统一防控措施：{measures}") }}</p>
            <details>
                <summary>"修改表述与措施"</summary>
                <form class="stack" on:submit=save novalidate>
                    <label for=wording_id.clone()>"统一表述"</label>
                    <textarea id=wording_id rows="2" maxlength="500" required aria-required="true"
                        prop:value=move || new_wording.get() on:input=move |e| new_wording.set(event_target_value(&e))></textarea>
                    <label for=measures_id.clone()>"统一防控措施"</label>
                    <textarea id=measures_id rows="3" placeholder="制度防范：…；监督预警：…；教育防范：…"
                        prop:value=move || new_measures.get() on:input=move |e| new_measures.set(event_target_value(&e))></textarea>
                    {move || error.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
                    <button type="submit" disabled=move || busy.get()>"保存条目"</button>
                </form>
            </details>
            <ul class="plain-list">
                {points.into_iter().map(|m| {
                    let point = m.point.clone();
                    let label = member_label(&m);
                    let unlink = move |_| {
                        if !client::confirm("确定将该风险点移出这个风险库条目吗？移出后它会重新出现在归并建议中。") {
                            return;
                        }
                        let point = point.clone();
                        spawn_local(async move {
                            match client::send(None, &UnlinkPoint { point }).await {
                                Ok(_) => refresh.done("已将风险点移出条目"),
                                Err(e) => error.set(Some(e.message)),
                            }
                        });
                    };
                    view! {
                        <li class="check-row">
                            <a href=format!("/posts/{}", m.post_id)>{label}</a>
                            " " <button type="button" class="link-button" on:click=unlink>"移出"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </article>
    }
}
