//! The login page: a plain form that posts to `/api/login`, so it works before (and without)
//! the wasm.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The Chinese message for a login error code carried back in the query string.
fn login_error_message(code: &str) -> &'static str {
    match code {
        "invalid_credentials" => "用户名或密码错误",
        "rate_limited" => "登录失败次数过多，请 15 分钟后再试",
        "required" => "请填写用户名和密码",
        "invalid_length" | "invalid_character" => {
            "用户名格式不正确：须为 3 到 32 位英文字母、数字、点、下划线或连字符"
        }
        "unauthenticated" => "登录已过期，请重新登录",
        "logged_out" => "您已安全退出",
        "logged_out_everywhere" => "您已在所有设备上退出登录",
        _ => "登录失败，请重试",
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let username_input = NodeRef::<leptos::html::Input>::new();
    let password_input = NodeRef::<leptos::html::Input>::new();
    let client_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let query = use_query_map();
    let error = move || query.read().get("error");
    let notice = move || query.read().get("notice");
    let username = move || query.read().get("username").unwrap_or_default();
    let next = move || domain::nav::next_or_home(query.read().get("next").as_deref()).to_owned();
    // With the wasm running, the form logs in through fetch so that the device can remember the
    // user for offline unlocking, and falls back to unlocking offline when there is no network.
    // Without it, the form simply posts.
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        {
            ev.prevent_default();
            let username = username_input.get().map(|i| i.value()).unwrap_or_default();
            let password = password_input.get().map(|i| i.value()).unwrap_or_default();
            let target = next();
            busy.set(true);
            client_error.set(None);
            leptos::task::spawn_local(async move {
                match crate::offline::login(&username, &password).await {
                    Ok(online) => {
                        let to = if online { target } else { "/check".to_owned() };
                        if let Some(w) = web_sys::window() {
                            let _ = w.location().assign(&to);
                        }
                    }
                    Err(message) => {
                        client_error.set(Some(message));
                        busy.set(false);
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, &username_input, &password_input);
    };
    view! {
        <Title text="登录"/>
        <main id="main" class="page login">
            <header class="login-brand">
                <p class="brand-mark" aria-hidden="true">"廉"</p>
                <h1>"廉防"</h1>
                <p class="subtitle">"岗位廉政风险排查防范系统"</p>
            </header>
            <form class="card login-form" method="post" action="/api/login" on:submit=on_submit>
                <h2>"用户登录"</h2>
                {move || match (client_error.get(), error()) {
                    (Some(message), _) => Some(view! {
                        <p class="alert alert-error" role="alert" id="login-error">{message}</p>
                    }.into_any()),
                    (None, Some(code)) => Some(view! {
                        <p class="alert alert-error" role="alert" id="login-error">{login_error_message(&code)}</p>
                    }.into_any()),
                    (None, None) => None,
                }}
                {move || notice().map(|code| view! {
                    <p class="alert alert-info" role="status">{login_error_message(&code)}</p>
                })}
                <input type="hidden" name="next" value=next/>
                <label for="username">"用户名"</label>
                <input id="username" name="username" type="text" autocomplete="username" node_ref=username_input
                    autocapitalize="none" spellcheck="false" required maxlength="32"
                    prop:value=username
                    aria-describedby=move || (error().is_some() || client_error.get().is_some()).then_some("login-error")/>
                <label for="password">"密码"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" node_ref=password_input
                    required maxlength="128"/>
                <button type="submit" class="primary" disabled=move || busy.get()>"登录"</button>
            </form>
            <p class="fine-print">"本系统仅供区纪委及其监督单位工作人员使用。连续输错密码将暂时锁定登录。"</p>
        </main>
    }
}
