//! 组织机构: the organisation tree (units, sections, villages and communities, with each unit's
//! 分管区领导), for the administrator to set up and the commission to read; links to each
//! unit's posts and people, and the import and export of the organisation and the roster.

use domain::org::OrgUnitKind;
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{BackBar, ErrorBox, Feedback, FeedbackLine, Refresh};
use crate::{
    api::district::{load_org, OrgTable, OrgUnitView, OrgView},
    client,
    write::{org_export_path, CreateUnit, UpdateUnit},
};

#[component]
pub fn OrgPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_org());
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <Title text="组织机构"/>
        <BackBar/>
        <main id="main" class="page">
            <h1>"组织机构"</h1>
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(org) => view! { <Org org refresh/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn Org(org: OrgView, refresh: Refresh) -> impl IntoView {
    let may_manage = org.may_manage;
    let exports = view! {
        <section class="card" aria-labelledby="org-files">
            <h2 id="org-files">"导入与导出"</h2>
            <p class="unit-links">
                {OrgTable::ALL.into_iter().flat_map(|t| ["xlsx", "csv"].map(move |f| (t, f))).map(|(t, f)| view! {
                    <a href=org_export_path(t, f) download="">{format!("导出{}（{}）", t.label(), f.to_uppercase())}</a>
                }).collect_view()}
                {may_manage.then(|| view! { <a href="/admin/org/import">"导入组织机构或花名册"</a> })}
            </p>
        </section>
    };
    if org.units.is_empty() {
        return view! {
            <p class="empty">"尚未建立任何单位。"</p>
            {may_manage.then(|| view! { <NewUnitForm org=org.clone() refresh/> })}
            {exports}
        }
        .into_any();
    }
    let total_posts: i64 = org.units.iter().map(|u| u.posts).sum();
    let total_people: i64 = org.units.iter().map(|u| u.people).sum();
    view! {
        <p class="muted" data-testid="org-totals">{format!(
            "共 {} 个单位（含科室、村和社区），{} 个岗位，{} 名在用人员。",
            org.units.len(), total_posts, total_people
        )}</p>
        {may_manage.then(|| view! { <NewUnitForm org=org.clone() refresh/> })}
        <section class="card" aria-labelledby="org-tree">
            <h2 id="org-tree">"单位一览"</h2>
            <ul class="org-tree">
                {org.units.iter().cloned().map(|unit| view! { <UnitRow unit may_manage refresh/> }).collect_view()}
            </ul>
        </section>
        {exports}
    }
    .into_any()
}

#[component]
fn UnitRow(unit: OrgUnitView, may_manage: bool, refresh: Refresh) -> impl IntoView {
    let editing = RwSignal::new(false);
    let name = RwSignal::new(unit.name.clone());
    let leader = RwSignal::new(unit.district_leader.clone().unwrap_or_default());
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let id = unit.id;
    let depth_class = format!("org-depth-{}", unit.depth.min(4));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        feedback.set(None);
        let body = UpdateUnit {
            name: name.get_untracked(),
            district_leader: leader.get_untracked(),
        };
        spawn_local(async move {
            match client::send(Some(id), &body).await {
                Ok(_) => {
                    editing.set(false);
                    refresh.done(format!("已保存“{}”", body.name.trim()));
                }
                Err(e) => feedback.set(Some(Err(e.message))),
            }
            busy.set(false);
        });
    };
    let ids = (format!("unit-name-{id}"), format!("unit-leader-{id}"));
    view! {
        <li class=depth_class data-unit=unit.name.clone()>
            <div class="org-row">
                <strong>{unit.name.clone()}</strong>
                <span class="badge">{unit.kind.label()}</span>
                {unit.district_leader.clone().map(|l| view! { <span class="muted">{format!("分管区领导：{l}")}</span> })}
                <span class="muted">{format!("岗位 {} 个 · 人员 {} 名", unit.posts, unit.people)}</span>
                <a href=format!("/units/{id}/posts")>"岗位与人员"</a>
                {may_manage.then(|| view! {
                    <button type="button" class="link-button" aria-expanded=move || editing.get().to_string()
                        on:click=move |_| editing.update(|e| *e = !*e)>"修改"</button>
                })}
            </div>
            {move || editing.get().then(|| view! {
                <form class="stack inline-form" on:submit=save novalidate>
                    <label for=ids.0.clone()>"名称"</label>
                    <input id=ids.0.clone() maxlength="80" required prop:value=move || name.get()
                        on:input=move |e| name.set(event_target_value(&e))/>
                    <label for=ids.1.clone()>"分管区领导（可留空）"</label>
                    <input id=ids.1.clone() maxlength="40" prop:value=move || leader.get()
                        on:input=move |e| leader.set(event_target_value(&e))/>
                    <button type="submit" class="primary" disabled=move || busy.get()>"保存"</button>
                </form>
            })}
            <FeedbackLine feedback/>
        </li>
    }
}

/// The kinds a new unit may be, in the order the form offers them.
const NEW_KINDS: [OrgUnitKind; 5] = [
    OrgUnitKind::Unit,
    OrgUnitKind::Section,
    OrgUnitKind::SubDistrict,
    OrgUnitKind::Village,
    OrgUnitKind::Community,
];

#[component]
fn NewUnitForm(org: OrgView, refresh: Refresh) -> impl IntoView {
    let no_district = org.units.is_empty();
    let kind = RwSignal::new(if no_district {
        OrgUnitKind::District
    } else {
        OrgUnitKind::Unit
    });
    let parent = RwSignal::new(org.units.first().map(|u| u.id));
    let name = RwSignal::new(String::new());
    let leader = RwSignal::new(String::new());
    let feedback: Feedback = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let org = StoredValue::new(org);
    // The parent must fit the kind: keep the choice when it does, else take the first that fits.
    Effect::new(move |_| {
        let k = kind.get();
        org.with_value(|org| {
            let fits: Vec<i64> = org.parents_for(k).map(|u| u.id).collect();
            if parent.get_untracked().is_none_or(|p| !fits.contains(&p)) {
                parent.set(fits.first().copied());
            }
        });
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let k = kind.get_untracked();
        let body = CreateUnit {
            parent_id: if k == OrgUnitKind::District {
                None
            } else {
                parent.get_untracked()
            },
            name: name.get_untracked(),
            kind: k.code().to_owned(),
            district_leader: leader.get_untracked(),
        };
        if k != OrgUnitKind::District && body.parent_id.is_none() {
            feedback.set(Some(Err(format!(
                "上级单位：没有可设置{}的上级单位，请先建立街道或单位",
                k.label()
            ))));
            return;
        }
        busy.set(true);
        feedback.set(None);
        spawn_local(async move {
            match client::send(None, &body).await {
                Ok(_) => {
                    name.set(String::new());
                    leader.set(String::new());
                    refresh.done(format!("已建立{}“{}”", k.label(), body.name.trim()));
                }
                Err(e) => feedback.set(Some(Err(e.message))),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="new-unit">
            <h2 id="new-unit">{if no_district { "建立本区" } else { "新建单位" }}</h2>
            <form class="stack" on:submit=submit novalidate>
                {(!no_district).then(|| view! {
                    <label for="new-unit-kind">"类型"</label>
                    <select id="new-unit-kind" on:change=move |e| {
                        if let Ok(k) = OrgUnitKind::from_code(&event_target_value(&e)) {
                            kind.set(k);
                        }
                    }>
                        {NEW_KINDS.iter().map(|k| view! {
                            <option value=k.code() selected=*k == OrgUnitKind::Unit>{k.label()}</option>
                        }).collect_view()}
                    </select>
                    <label for="new-unit-parent">"上级单位"</label>
                    <select id="new-unit-parent" on:change=move |e| parent.set(event_target_value(&e).parse().ok())>
                        {move || org.with_value(|org| org.parents_for(kind.get()).map(|u| {
                            let label = format!("{}{}", "　".repeat(u.depth), u.name);
                            view! { <option value=u.id.to_string() selected=parent.get_untracked() == Some(u.id)>{label}</option> }
                        }).collect_view())}
                    </select>
                })}
                <label for="new-unit-name">"名称"</label>
                <input id="new-unit-name" maxlength="80" required autocomplete="off"
                    placeholder=if no_district { "如：某某区" } else { "如：区教育局、办公室、东村" }
                    prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))/>
                {(!no_district).then(|| view! {
                    <label for="new-unit-leader">"分管区领导（可留空）"</label>
                    <input id="new-unit-leader" maxlength="40" autocomplete="off" placeholder="如：副区长 李明"
                        prop:value=move || leader.get() on:input=move |e| leader.set(event_target_value(&e))/>
                })}
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {if no_district { "建立本区" } else { "建立" }}
                </button>
                <FeedbackLine feedback/>
            </form>
        </section>
    }
}
