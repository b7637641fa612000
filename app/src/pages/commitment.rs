//! 承诺书: the signer reads the full text, signs by hand (finger or mouse) or by typing their name
//! where a signature pad is unusable, re-enters their password and confirms. The server seals it;
//! afterwards the page shows the signature and the seal, with a link to the public verification.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{use_id_param, BackBar, ErrorBox, FeedbackLine, Refresh};
use crate::{
    api::{load_commitment, CommitmentView, SignedView},
    client,
    write::SignCommitment,
};

/// The pad's box as an SVG view box: `domain::commitment::PAD_WIDTH` × `PAD_HEIGHT`.
const VIEW_BOX: &str = "0 0 1000 400";
const _: () =
    assert!(domain::commitment::PAD_WIDTH == 1000 && domain::commitment::PAD_HEIGHT == 400);

/// Strokes of points in the pad's 1000 × 400 box.
pub type Strokes = Vec<Vec<[i32; 2]>>;

#[component]
pub fn CommitmentPage() -> impl IntoView {
    let id = use_id_param();
    let data = Resource::new(id, |id| load_commitment(id.unwrap_or_default()));
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <Title text="廉政风险防范承诺书"/>
        <BackBar/>
        <main id="main" class="page">
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(c) => view! { <Commitment c refresh/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn Commitment(c: CommitmentView, refresh: Refresh) -> impl IntoView {
    let verify = format!("/verify/{}", c.token);
    let may_sign = c.is_owner && c.signed.is_none() && !c.superseded;
    view! {
        <article class="card commitment" aria-labelledby="commitment-title">
            <h1 id="commitment-title">{c.title.clone()}</h1>
            <p class="muted">{format!("{} · {} · {}", c.unit, c.post, c.owner_name)}</p>
            <div class="commitment-body">{c.body.clone()}</div>
            {c.superseded.then(|| view! { <p class="alert alert-info">"排查表已更新，此承诺书已作废，请签署新的承诺书。"</p> })}
            {c.signed.clone().map(|s| view! {
                <SignatureBlock signed=s/>
                <p><a href=verify.clone()>"查看公开验证页（可打印，含二维码）"</a></p>
            })}
        </article>
        {may_sign.then(|| view! { <SignForm id=c.id refresh/> })}
    }
}

/// A signature as signed: the strokes drawn again, or the typed name; the time and the seal.
#[component]
pub fn SignatureBlock(signed: SignedView) -> impl IntoView {
    // Signed offline: when the signer signed by the device's clock, and when the server sealed it.
    let (who, offline) = match &signed.device_signed_at {
        None => (
            format!(
                "承诺人：{} · 签署时间：{}",
                signed.signer_name, signed.signed_at
            ),
            None,
        ),
        Some(device) => (
            format!(
                "承诺人：{} · 离线签署，设备时间：{device}",
                signed.signer_name
            ),
            Some(format!(
                "服务器封存时间：{}（联网同步时）",
                signed.signed_at
            )),
        ),
    };
    view! {
        <section class="signature-block" aria-label="签名">
            {if signed.kind == "drawn" {
                view! { <StrokesSvg strokes=signed.strokes.clone() label="承诺人手写签名"/> }.into_any()
            } else {
                view! { <p class="typed-signature">{signed.typed_name.clone().unwrap_or_default()}</p> }.into_any()
            }}
            <p data-testid=offline.is_some().then_some("offline-signed")>{who}</p>
            {offline.map(|sealed| view! { <p>{sealed}</p> })}
            <p class="seal">"电子封印（SHA-256）："<code>{signed.seal}</code></p>
        </section>
    }
}

/// Strokes as an SVG drawing.
#[component]
pub fn StrokesSvg(strokes: Strokes, label: &'static str) -> impl IntoView {
    view! {
        <svg class="signature-drawing" viewBox=VIEW_BOX role="img" aria-label=label>
            {strokes.into_iter().map(|s| view! { <polyline points=points(&s)></polyline> }).collect_view()}
        </svg>
    }
}

fn points(stroke: &[[i32; 2]]) -> String {
    stroke
        .iter()
        .map(|[x, y]| format!("{x},{y}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a signer has entered so far: the strokes or the typed name, the password and the
/// confirmation. The same fields sign online (the server checks the password) and offline (the
/// device checks it).
#[derive(Clone, Copy)]
pub struct SignatureDraft {
    pub strokes: RwSignal<Strokes>,
    pub typed: RwSignal<bool>,
    pub name: RwSignal<String>,
    pub password: RwSignal<String>,
    pub confirmed: RwSignal<bool>,
}

impl Default for SignatureDraft {
    fn default() -> Self {
        Self::new()
    }
}

impl SignatureDraft {
    pub fn new() -> Self {
        Self {
            strokes: RwSignal::new(Strokes::new()),
            typed: RwSignal::new(false),
            name: RwSignal::new(String::new()),
            password: RwSignal::new(String::new()),
            confirmed: RwSignal::new(false),
        }
    }

    /// The signature as entered, in its wire form.
    pub fn signature(&self) -> domain::commitment::SignatureInput {
        domain::commitment::SignatureInput {
            kind: if self.typed.get_untracked() {
                "typed"
            } else {
                "drawn"
            }
            .to_owned(),
            strokes: self.strokes.get_untracked(),
            typed_name: self.name.get_untracked(),
        }
    }
}

/// The signature pad (or the typed name), the password and the confirmation.
#[component]
pub fn SignatureFields(draft: SignatureDraft, password_label: &'static str) -> impl IntoView {
    let SignatureDraft {
        strokes,
        typed,
        name,
        password,
        confirmed,
    } = draft;
    view! {
        <Show when=move || !typed.get() fallback=move || view! {
            <label for="typed-name">"输入本人姓名代替手写签名"</label>
            <input id="typed-name" required maxlength="40" autocomplete="name"
                prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))/>
        }>
            <p id="pad-label" class="pad-label">"请在下框内用手指或鼠标签名"</p>
            <SignaturePad strokes/>
            <div class="button-row">
                <button type="button" on:click=move |_| strokes.set(Vec::new())>"清除重签"</button>
            </div>
        </Show>
        <label class="check">
            <input type="checkbox" prop:checked=move || typed.get() on:change=move |e| typed.set(event_target_checked(&e))/>
            "无法手写签名，改为输入姓名"
        </label>
        <label for="sign-password">{password_label}</label>
        <input id="sign-password" type="password" required autocomplete="current-password"
            prop:value=move || password.get() on:input=move |e| password.set(event_target_value(&e))/>
        <label class="check">
            <input type="checkbox" prop:checked=move || confirmed.get() on:change=move |e| confirmed.set(event_target_checked(&e))/>
            "本人已阅读承诺书全文并自愿签署"
        </label>
    }
}

#[component]
fn SignForm(id: i64, refresh: Refresh) -> impl IntoView {
    let draft = SignatureDraft::new();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let signature = draft.signature();
        let body = SignCommitment {
            kind: signature.kind,
            strokes: signature.strokes,
            typed_name: signature.typed_name,
            password: draft.password.get_untracked(),
            confirmed: draft.confirmed.get_untracked(),
        };
        if !client::confirm("签署后承诺书将被封存，不能再修改。确定签署吗？")
        {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match client::send(Some(id), &body).await {
                Ok(_) => refresh.done("承诺书已签署并封存"),
                Err(e) => {
                    error.set(Some(e.message));
                    draft.password.set(String::new());
                }
            }
            busy.set(false);
        });
    };
    view! {
        <form class="card stack sign-form" on:submit=submit aria-labelledby="sign-title">
            <h2 id="sign-title">"签署承诺书"</h2>
            <SignatureFields draft password_label="登录密码（确认本人签署）"/>
            <button type="submit" class="primary" disabled=move || busy.get()>"确认签署"</button>
            {move || error.get().map(|e| view! { <p class="alert alert-error" role="alert">{e}</p> })}
        </form>
    }
}

/// A box to sign in with a finger, a pen or a mouse (pointer events), drawn as SVG.
#[component]
fn SignaturePad(strokes: RwSignal<Strokes>) -> impl IntoView {
    let drawing = RwSignal::new(false);
    let down = move |ev: leptos::ev::PointerEvent| {
        ev.prevent_default();
        if let Some(p) = pad_point(&ev, true) {
            strokes.update(|s| s.push(vec![p]));
            drawing.set(true);
        }
    };
    let moved = move |ev: leptos::ev::PointerEvent| {
        if !drawing.get_untracked() {
            return;
        }
        if let Some(p) = pad_point(&ev, false) {
            strokes.update(|s| {
                if let Some(last) = s.last_mut() {
                    if last.last() != Some(&p) {
                        last.push(p);
                    }
                }
            });
        }
    };
    let up = move |_| drawing.set(false);
    view! {
        <svg class="signature-pad" viewBox=VIEW_BOX role="img" aria-labelledby="pad-label" data-testid="signature-pad"
            on:pointerdown=down on:pointermove=moved on:pointerup=up on:pointercancel=up>
            {move || strokes.get().into_iter().map(|s| view! { <polyline points=points(&s)></polyline> }).collect_view()}
        </svg>
    }
}

/// The pointer's position in the pad's 1000 × 400 box; on the first point, the pad captures the
/// pointer so a stroke continues past its edge.
#[cfg(feature = "hydrate")]
fn pad_point(ev: &leptos::ev::PointerEvent, capture: bool) -> Option<[i32; 2]> {
    use wasm_bindgen::JsCast as _;
    let target = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?;
    if capture {
        let _ = target.set_pointer_capture(ev.pointer_id());
    }
    let rect = target.get_bounding_client_rect();
    if rect.width() <= 0.0 || rect.height() <= 0.0 {
        return None;
    }
    use domain::commitment::{PAD_HEIGHT, PAD_WIDTH};
    let (w, h) = (f64::from(PAD_WIDTH), f64::from(PAD_HEIGHT));
    let x = ((f64::from(ev.client_x()) - rect.left()) / rect.width() * w).round();
    let y = ((f64::from(ev.client_y()) - rect.top()) / rect.height() * h).round();
    Some([x.clamp(0.0, w) as i32, y.clamp(0.0, h) as i32])
}

#[cfg(not(feature = "hydrate"))]
fn pad_point(_: &leptos::ev::PointerEvent, _: bool) -> Option<[i32; 2]> {
    None
}
