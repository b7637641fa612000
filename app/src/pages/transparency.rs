//! 透明日志: the audit log's signed tree heads, public, and the check of a head saved elsewhere
//! (a printout's, a witness's) against today's log — done in the visitor's browser by
//! `/transparency.js`, with a consistency proof from the server (docs/audit-log.md). Also the
//! block every printout carries: the head it was printed under, as text and as a QR code.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::widgets::ErrorBox;
use crate::api::{load_transparency, HeadLine, PrintedHead, TransparencyView};

#[component]
pub fn TransparencyPage() -> impl IntoView {
    let data = Resource::new(|| (), |()| load_transparency());
    let query = use_query_map();
    let size = move || query.read().get("size").unwrap_or_default();
    let root = move || query.read().get("root").unwrap_or_default();
    view! {
        <Title text="透明日志"/>
        <header class="topbar public-bar no-print">
            <a class="topbar-brand" href="/public">"廉防 · 透明日志"</a>
        </header>
        <main id="main" class="page transparency">
            <h1>"透明日志：审计记录可由任何人核对"</h1>
            <p>
                "廉防的每一次签署、审批和修改都记入只能追加的审计记录。服务器定时（每小时，以及每次签署后）对全部记录的默克尔树签发“树头”（记录数与根哈希，以 Ed25519 签名）。"
                "打印件、群机器人消息和另存的文件都载有当时的树头；日后用下面的表单核对，即可知道审计记录此后是否被截断或改写——核对在您的浏览器中完成，不依赖服务器的说法。"
            </p>
            <section class="card" aria-labelledby="check-h">
                <h2 id="check-h">"核对保存的树头"</h2>
                <form method="get" action="/transparency" data-saved-head="saved-result" class="saved-head">
                    <label for="saved-size">"记录数（size）"</label>
                    <input id="saved-size" name="size" inputmode="numeric" autocomplete="off" value=size/>
                    <label for="saved-root">"根哈希（root，64 位十六进制）"</label>
                    <input id="saved-root" name="root" autocomplete="off" spellcheck="false" value=root/>
                    <button type="submit">"核对"</button>
                </form>
                <p id="saved-result" role="status" aria-live="polite" data-testid="saved-head-result"></p>
                <noscript><p>"核对需要启用 JavaScript；也可用 scripts/verify-log.py 在本机核对。"</p></noscript>
            </section>
            <Suspense fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => view! { <Heads v/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Suspense>
            <section aria-labelledby="self-h">
                <h2 id="self-h">"自行核对"</h2>
                <ul>
                    <li><a href="/api/transparency/heads">"树头及历史（JSON）"</a></li>
                    <li><code>"/api/transparency/inclusion?seq=记录序号&size=树头记录数"</code>"：某条记录包含在树头中的证明"</li>
                    <li><code>"/api/transparency/consistency?from=旧记录数&to=新记录数"</code>"：新树延续旧树的证明"</li>
                    <li>"算法与独立核对程序（Python，仅用标准库）：docs/audit-log.md、scripts/verify-log.py"</li>
                </ul>
            </section>
            <script src="/transparency.js" defer></script>
        </main>
    }
}

#[component]
fn Heads(v: TransparencyView) -> impl IntoView {
    let latest = v.heads.first().cloned();
    view! {
        <section class="card" aria-labelledby="latest-h">
            <h2 id="latest-h">"最新树头"</h2>
            {match latest {
                Some(h) => view! { <HeadFacts h/> }.into_any(),
                None => view! { <p>"尚未签发树头。"</p> }.into_any(),
            }}
            <p class="muted">"当前签名公钥（Ed25519）："<code class="hash" data-testid="public-key">{v.public_key}</code></p>
        </section>
        <section aria-labelledby="history-h">
            <h2 id="history-h">"树头历史（最近 50 个）"</h2>
            <table class="head-history">
                <thead><tr><th scope="col">"签发时间"</th><th scope="col">"记录数"</th><th scope="col">"根哈希"</th></tr></thead>
                <tbody>
                    {v.heads.into_iter().map(|h| view! {
                        <tr>
                            <td data-label="签发时间">{h.issued}</td>
                            <td data-label="记录数">{h.size}</td>
                            <td data-label="根哈希"><code class="hash">{h.root}</code></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn HeadFacts(h: HeadLine) -> impl IntoView {
    view! {
        <dl class="verify-facts" data-testid="latest-head">
            <dt>"签发时间"</dt><dd>{h.issued}</dd>
            <dt>"记录数"</dt><dd data-testid="latest-size">{h.size}</dd>
            <dt>"根哈希"</dt><dd><code class="hash" data-testid="latest-root">{h.root}</code></dd>
            <dt>"签名"</dt><dd><code class="hash">{h.signature}</code></dd>
            <dt>"公钥"</dt><dd><code class="hash">{h.public_key}</code></dd>
        </dl>
    }
}

/// The head a printout was made under, for its last lines: the numbers to copy, the page that
/// checks them, and its QR code.
#[component]
pub fn PrintedHeadBlock(head: Option<PrintedHead>) -> impl IntoView {
    head.map(|h| {
        let size = h.qr_size.to_string();
        view! {
            <aside class="printed-head" aria-label="打印时的审计树头" data-testid="printed-head"
                data-size=h.size.to_string() data-root=h.root.clone()>
                <p>
                    {format!("打印时的审计树头：共 {} 条记录，{} 签发。根哈希 ", h.size, h.issued)}
                    <code class="hash">{h.root.clone()}</code>
                    "，签名公钥 "<code class="hash">{h.public_key.clone()}</code>"。"
                </p>
                <p>"核对本打印件（审计记录此后是否被截断或改写）："<a href=h.check_url.clone() data-testid="check-printout">{h.check_url.clone()}</a></p>
                <svg class="printed-head-qr" viewBox=format!("0 0 {size} {size}") role="img" aria-label="核对本打印件的二维码">
                    <path d=h.qr_path.clone()></path>
                </svg>
            </aside>
        }
    })
}
