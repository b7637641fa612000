//! The risk-point form: description, ratings and measures with their progress.

use super::*;

/// One measure row of the form. Every field of the measure has a signal, so an edit sends
/// back what it was given for the fields the user did not touch.
#[derive(Clone, Copy)]
pub(super) struct MeasureRow {
    kind: RwSignal<String>,
    text: RwSignal<String>,
    owner: RwSignal<String>,
    due: RwSignal<String>,
    status: RwSignal<String>,
    done_on: RwSignal<String>,
}

impl MeasureRow {
    fn new(m: &MeasureInput) -> Self {
        let or = |value: &str, default: &str| {
            if value.is_empty() {
                default.to_owned()
            } else {
                value.to_owned()
            }
        };
        Self {
            kind: RwSignal::new(or(&m.kind, MeasureKind::Institutional.code())),
            text: RwSignal::new(m.text.clone()),
            owner: RwSignal::new(m.owner.clone()),
            due: RwSignal::new(m.due.clone()),
            status: RwSignal::new(or(&m.status, MeasureStatus::Planned.code())),
            done_on: RwSignal::new(m.done_on.clone()),
        }
    }

    fn input(&self) -> MeasureInput {
        let status = self.status.get();
        MeasureInput {
            kind: self.kind.get(),
            text: self.text.get(),
            owner: self.owner.get(),
            due: self.due.get(),
            // The day is kept only while the measure is finished; the field is hidden else.
            done_on: if status == MeasureStatus::Done.code() {
                self.done_on.get()
            } else {
                String::new()
            },
            status,
            ..MeasureInput::default()
        }
    }

    /// A new status; a measure marked finished is dated today unless a day is set.
    fn set_status(&self, status: String) {
        if status == MeasureStatus::Done.code() && self.done_on.get_untracked().is_empty() {
            self.done_on.set(today());
        }
        self.status.set(status);
    }
}

/// Today on this device.
fn today_date() -> Option<domain::risk::IsoDate> {
    domain::risk::IsoDate::parse(&today(), "today", "今天").ok()
}

/// Today on this device, `YYYY-MM-DD`.
pub(super) fn today() -> String {
    let now = js_sys::Date::new_0();
    format!(
        "{:04}-{:02}-{:02}",
        now.get_full_year(),
        now.get_month() + 1,
        now.get_date()
    )
}

/// Adds or edits a risk point. Validated with the server's own rules (from `domain`), with
/// each message at its field; the level is shown live as the ratings change.
#[component]
pub(super) fn RiskForm(
    post_id: i64,
    point: Option<LocalPoint>,
    matrix: RatingMatrix,
    editing: RwSignal<Editing>,
    /// Called once the change is queued (used to clear a refused operation it replaces).
    #[prop(optional)]
    on_saved: Option<Callback<()>>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let start = point
        .as_ref()
        .map(|p| p.record.input.clone())
        .unwrap_or_else(|| RiskPointInput {
            category: "duty".to_owned(),
            likelihood: 3,
            impact: 3,
            frequency: 3,
            measures: vec![MeasureInput::default()],
            ..RiskPointInput::default()
        });
    let base_version = point.as_ref().map(|p| p.record.version).filter(|v| *v > 0);
    let risk_point_id = point
        .as_ref()
        .map(|p| p.record.id)
        .unwrap_or_else(offline::new_id);
    let duty = RwSignal::new(start.duty.clone());
    let description = RwSignal::new(start.description.clone());
    let manifestation = RwSignal::new(start.manifestation.clone());
    let category = RwSignal::new(start.category.clone());
    let power_type = RwSignal::new(start.power_type.clone());
    let likelihood = RwSignal::new(start.likelihood);
    let impact = RwSignal::new(start.impact);
    let frequency = RwSignal::new(start.frequency);
    // 0 is 未评: the holder rates the residual risk once the measures are in place.
    let residual_likelihood = RwSignal::new(start.residual_likelihood.unwrap_or(0));
    let residual_impact = RwSignal::new(start.residual_impact.unwrap_or(0));
    let measures = RwSignal::new(
        start
            .measures
            .iter()
            .map(MeasureRow::new)
            .collect::<Vec<_>>(),
    );
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let saved_error = RwSignal::new(None::<String>);

    let input = move || RiskPointInput {
        duty: duty.get(),
        description: description.get(),
        manifestation: manifestation.get(),
        category: category.get(),
        power_type: power_type.get(),
        likelihood: likelihood.get(),
        impact: impact.get(),
        frequency: frequency.get(),
        residual_likelihood: Some(residual_likelihood.get()),
        residual_impact: Some(residual_impact.get()),
        measures: measures.get().iter().map(MeasureRow::input).collect(),
    };
    // The same rule as the sheet page's flag: residual no lower than inherent.
    let residual_note = move || {
        let ratings =
            domain::risk::Ratings::parse(likelihood.get(), impact.get(), frequency.get()).ok()?;
        let residual = domain::risk::Residual::parse(
            Some(residual_likelihood.get()),
            Some(residual_impact.get()),
        )
        .ok()??;
        let flags = domain::risk::ResidualFlag::of(&ratings, Some(residual), &[], today_date()?);
        Some(match flags.first() {
            Some(flag) => format!("剩余评分 {}：{}", residual.score(), flag.label()),
            None => format!(
                "剩余评分 {}，低于固有评分 {}",
                residual.score(),
                likelihood.get() * impact.get()
            ),
        })
    };
    let level_matrix = matrix.clone();
    let level = move || {
        let ratings =
            domain::risk::Ratings::parse(likelihood.get(), impact.get(), frequency.get()).ok()?;
        Some((
            level_matrix.level(&ratings),
            likelihood.get() * impact.get(),
        ))
    };
    let error_for = move |field: &'static str| {
        move || {
            errors.with(|es| {
                es.iter()
                    .find(|e| e.field == field)
                    .map(|e| e.message.clone())
            })
        }
    };
    let save = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let value = input();
        match value.validate() {
            Err(found) => {
                errors.set(found);
                saved_error.set(Some("请先修改标红的内容".to_owned()));
            }
            Ok(valid) => {
                errors.set(Vec::new());
                let op = Operation::UpsertRiskPoint {
                    post_id,
                    risk_point_id,
                    base_version,
                    risk_point: valid.to_input().stating_residual(),
                };
                match store.queue(op) {
                    Ok(()) => {
                        editing.set(Editing::None);
                        if let Some(done) = on_saved {
                            done.run(());
                        }
                        if store.online.get_untracked() {
                            spawn_local(store.sync());
                        }
                    }
                    Err(e) => saved_error.set(Some(e)),
                }
            }
        }
    };

    let score_options = |label: &'static str| {
        (1..=5i64)
            .map(move |n| {
                let text = match n {
                    1 => "1 很低",
                    2 => "2 较低",
                    3 => "3 中等",
                    4 => "4 较高",
                    _ => "5 很高",
                };
                let _ = label;
                view! { <option value=n.to_string()>{text}</option> }
            })
            .collect_view()
    };

    view! {
        <form class="risk-form" on:submit=save novalidate>
            <h3>{if point.is_some() { "修改风险点" } else { "新增风险点" }}</h3>
            {move || saved_error.get().map(|e| view! { <p class="alert alert-error" role="alert">{e}</p> })}
            <Field id="rp-description" label="风险点描述" error=Signal::derive(error_for("description"))>
                <textarea id="rp-description" rows="3" maxlength="500" required
                    aria-invalid=move || error_for("description")().is_some().to_string()
                    aria-describedby="rp-description-error"
                    prop:value=move || description.get()
                    on:input=move |e| description.set(event_target_value(&e))></textarea>
            </Field>
            <Field id="rp-manifestation" label="表现形式（选填）" error=Signal::derive(error_for("manifestation"))>
                <textarea id="rp-manifestation" rows="2" maxlength="500"
                    prop:value=move || manifestation.get()
                    on:input=move |e| manifestation.set(event_target_value(&e))></textarea>
            </Field>
            <Field id="rp-duty" label="对应岗位职责（选填）" error=Signal::derive(error_for("duty"))>
                <input id="rp-duty" type="text" maxlength="500"
                    prop:value=move || duty.get() on:input=move |e| duty.set(event_target_value(&e))/>
            </Field>
            <div class="form-grid">
                <Field id="rp-category" label="风险类别" error=Signal::derive(error_for("category"))>
                    <select id="rp-category" prop:value=move || category.get() on:change=move |e| category.set(event_target_value(&e))>
                        {RiskCategory::ALL.iter().map(|c| view! { <option value=c.code()>{c.label()}</option> }).collect_view()}
                    </select>
                </Field>
                <Field id="rp-power" label="权力类型" error=Signal::derive(error_for("power_type"))>
                    <input id="rp-power" type="text" maxlength="40" placeholder="如：行政处罚权（现场即决）"
                        aria-invalid=move || error_for("power_type")().is_some().to_string()
                        prop:value=move || power_type.get() on:input=move |e| power_type.set(event_target_value(&e))/>
                </Field>
                <Field id="rp-likelihood" label="可能性" error=Signal::derive(error_for("likelihood"))>
                    <select id="rp-likelihood" prop:value=move || likelihood.get().to_string()
                        on:change=move |e| likelihood.set(event_target_value(&e).parse().unwrap_or(0))>{score_options("可能性")}</select>
                </Field>
                <Field id="rp-impact" label="危害程度" error=Signal::derive(error_for("impact"))>
                    <select id="rp-impact" prop:value=move || impact.get().to_string()
                        on:change=move |e| impact.set(event_target_value(&e).parse().unwrap_or(0))>{score_options("危害程度")}</select>
                </Field>
                <Field id="rp-frequency" label="发生频率" error=Signal::derive(error_for("frequency"))>
                    <select id="rp-frequency" prop:value=move || frequency.get().to_string()
                        on:change=move |e| frequency.set(event_target_value(&e).parse().unwrap_or(0))>{score_options("发生频率")}</select>
                </Field>
            </div>
            <p class="live-level" aria-live="polite" data-testid="live-level">
                {move || match level() {
                    Some((l, score)) => view! {
                        "风险等级："<span class=level_class(l)>{l.label()}</span>{format!("（评分 {score}）")}
                    }.into_any(),
                    None => view! { "风险等级：请先选择评分" }.into_any(),
                }}
            </p>
            <fieldset class="residual-edit">
                <legend>"剩余风险（措施落实后，选填）"</legend>
                <div class="form-grid">
                    <Field id="rp-residual-likelihood" label="剩余可能性" error=Signal::derive(error_for("residual_likelihood"))>
                        <select id="rp-residual-likelihood" prop:value=move || residual_likelihood.get().to_string()
                            on:change=move |e| residual_likelihood.set(event_target_value(&e).parse().unwrap_or(0))>
                            <option value="0">"未评"</option>{score_options("剩余可能性")}</select>
                    </Field>
                    <Field id="rp-residual-impact" label="剩余危害程度" error=Signal::derive(error_for("residual_impact"))>
                        <select id="rp-residual-impact" prop:value=move || residual_impact.get().to_string()
                            on:change=move |e| residual_impact.set(event_target_value(&e).parse().unwrap_or(0))>
                            <option value="0">"未评"</option>{score_options("剩余危害程度")}</select>
                    </Field>
                </div>
                <p class="muted" aria-live="polite" data-testid="residual-note">{residual_note}</p>
            </fieldset>
            <fieldset class="measures-edit">
                <legend>"防控措施"</legend>
                {move || error_for("measures")().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                {move || measures.get().into_iter().enumerate().map(|(i, row)| {
                    let n = i + 1;
                    let field = move |name: &'static str| {
                        let path = format!("measures[{i}].{name}");
                        move || errors.with(|es| es.iter().find(|e| e.field == path).map(|e| e.message.clone()))
                    };
                    view! {
                        <div class="measure-row">
                            <Field id=format!("m-kind-{n}") label=format!("措施类型 {n}") error=Signal::derive(field("kind"))>
                                <select id=format!("m-kind-{n}") prop:value=move || row.kind.get()
                                    on:change=move |e| row.kind.set(event_target_value(&e))>
                                    {MeasureKind::ALL.iter().map(|k| view! { <option value=k.code()>{k.label()}</option> }).collect_view()}
                                </select>
                            </Field>
                            <Field id=format!("m-text-{n}") label=format!("措施内容 {n}") error=Signal::derive(field("text"))>
                                <textarea id=format!("m-text-{n}") rows="2" maxlength="500"
                                    prop:value=move || row.text.get() on:input=move |e| row.text.set(event_target_value(&e))></textarea>
                            </Field>
                            <div class="form-grid">
                                <Field id=format!("m-owner-{n}") label=format!("责任人 {n}（选填）") error=Signal::derive(field("owner"))>
                                    <input id=format!("m-owner-{n}") type="text" maxlength="40"
                                        prop:value=move || row.owner.get() on:input=move |e| row.owner.set(event_target_value(&e))/>
                                </Field>
                                <Field id=format!("m-due-{n}") label=format!("完成时限 {n}（选填）") error=Signal::derive(field("due"))>
                                    <input id=format!("m-due-{n}") type="date"
                                        prop:value=move || row.due.get() on:input=move |e| row.due.set(event_target_value(&e))/>
                                </Field>
                                <Field id=format!("m-status-{n}") label=format!("落实情况 {n}") error=Signal::derive(field("status"))>
                                    <select id=format!("m-status-{n}") prop:value=move || row.status.get()
                                        on:change=move |e| row.set_status(event_target_value(&e))>
                                        {MeasureStatus::ALL.iter().map(|s| view! { <option value=s.code()>{s.label()}</option> }).collect_view()}
                                    </select>
                                </Field>
                                {move || (row.status.get() == MeasureStatus::Done.code()).then(|| view! {
                                    <Field id=format!("m-done-{n}") label=format!("完成日期 {n}") error=Signal::derive(field("done_on"))>
                                        <input id=format!("m-done-{n}") type="date" required
                                            prop:value=move || row.done_on.get() on:input=move |e| row.done_on.set(event_target_value(&e))/>
                                    </Field>
                                })}
                            </div>
                            <button type="button" class="link-like" on:click=move |_| measures.update(|ms| { ms.remove(i); })
                                disabled=move || measures.with(|ms| ms.len() <= 1)>{format!("删除措施 {n}")}</button>
                        </div>
                    }
                }).collect_view()}
                <button type="button" on:click=move |_| measures.update(|ms| ms.push(MeasureRow::new(&MeasureInput::default())))
                    disabled=move || measures.with(|ms| ms.len() >= domain::sync::MAX_MEASURES)>"添加一条措施"</button>
            </fieldset>
            <div class="actions">
                <button type="submit" class="primary">"保存"</button>
                <button type="button" on:click=move |_| editing.set(Editing::None)>"取消"</button>
            </div>
        </form>
    }
    .into_any()
}

/// A labelled field with its error message underneath, tied together for screen readers.
#[component]
pub(super) fn Field(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {children()}
            <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
        </div>
    }
}
