//! 承诺书验证: the public page a printed commitment's QR code opens. Server-rendered, no login, no
//! wasm needed: what was signed, by whom and when, and whether the seal and the record still
//! verify. Prints on A4 as the commitment itself.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::{commitment::SignatureBlock, transparency::PrintedHeadBlock, widgets::ErrorBox};
use crate::api::{load_verification, InclusionView, VerificationView};

#[component]
pub fn VerifyPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let data = Resource::new(token, load_verification);
    view! {
        <Title text="承诺书验证"/>
        <header class="topbar public-bar no-print">
            <a class="topbar-brand" href="/public">"廉防 · 承诺书验证"</a>
        </header>
        <main id="main" class="page verify">
            <Suspense fallback=|| view! { <p class="loading" role="status">"正在验证…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => view! { <Verification v/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Verification(v: VerificationView) -> impl IntoView {
    let all_ok = v.signed.is_some() && v.seal_ok && v.entry_ok && v.chain_ok;
    let status = if v.signed.is_none() {
        ("alert alert-info", "该承诺书尚未签署。".to_owned())
    } else if all_ok {
        (
            "alert alert-ok",
            format!(
                "验证通过：封印与签署内容一致，审计记录链完整（共 {} 条记录）。",
                v.chain_entries
            ),
        )
    } else if !v.seal_ok || !v.entry_ok {
        (
            "alert alert-error",
            "验证失败：封印不再有效，承诺书内容或其签署记录在签署后被改动。".to_owned(),
        )
    } else {
        (
            "alert alert-error",
            format!(
                "验证失败：审计记录链不完整——{}。",
                v.chain_broken.clone().unwrap_or_default()
            ),
        )
    };
    let size = v.qr_size.to_string();
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <p class=status.0 role="status" data-testid="verify-status">{status.1}</p>
        <p class="no-print"><button type="button" data-print="" on:click=print>"打印承诺书（A4）"</button></p>
        <article class="card commitment">
            <h1>{v.title.clone()}</h1>
            <p class="muted">{format!("{} · {}", v.unit, v.post)}</p>
            <div class="commitment-body">{v.body.clone()}</div>
            {v.signed.clone().map(|s| view! { <SignatureBlock signed=s/> })}
            <dl class="verify-facts">
                <dt>"封印校验"</dt><dd>{if v.seal_ok { "一致" } else { "不一致" }}</dd>
                <dt>"签署记录"</dt><dd>{if v.entry_ok { "已记入审计记录链" } else { "记录缺失或被改动" }}</dd>
                <dt>"审计记录链"</dt><dd>{if v.chain_ok { format!("完整（{} 条）", v.chain_entries) } else { v.chain_broken.clone().unwrap_or_default() }}</dd>
            </dl>
            <figure class="qr">
                <svg viewBox=format!("0 0 {size} {size}") role="img" aria-label="本页地址的二维码">
                    <path d=v.qr_path.clone()></path>
                </svg>
                <figcaption>{format!("扫码验证：{}", v.url)}</figcaption>
            </figure>
            <PrintedHeadBlock head=v.head.clone()/>
        </article>
        {v.signed.is_some().then(|| view! { <InclusionCheck inclusion=v.inclusion.clone()/> })}
    }
}

/// The signature's entry in the transparency log, checked in the visitor's browser against the
/// newest signed head (`/transparency.js`): the server's word is not needed.
#[component]
fn InclusionCheck(inclusion: Option<InclusionView>) -> impl IntoView {
    view! {
        <section class="card no-print" aria-labelledby="inclusion-h">
            <h2 id="inclusion-h">"透明日志核对"</h2>
            {match inclusion {
                Some(i) => view! {
                    <p>{format!("签署记录为审计记录第 {} 条，已纳入共 {} 条记录的签名树头。本浏览器据此重新计算默克尔树根：", i.seq, i.size)}</p>
                    <p class="alert alert-info" role="status" data-inclusion=i.json data-testid="inclusion-status">"正在本浏览器中核对…"</p>
                    <noscript><p>"核对需要启用 JavaScript；也可用 scripts/verify-log.py 在本机核对。"</p></noscript>
                    <script src="/transparency.js" defer></script>
                }.into_any(),
                None => view! {
                    <p role="status" data-testid="inclusion-status">"签署记录尚未纳入签名树头（服务器每次签署后及每小时签发），请稍后刷新本页。"</p>
                }.into_any(),
            }}
            <p><a href="/transparency">"查看透明日志与全部树头"</a></p>
        </section>
    }
}
