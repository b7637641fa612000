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
        _ => "登录失败，请重试",
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || query.read().get("error");
    let notice = move || query.read().get("notice");
    let username = move || query.read().get("username").unwrap_or_default();
    let next = move || {
        query
            .read()
            .get("next")
            .filter(|n| n.starts_with('/') && !n.starts_with("//"))
            .unwrap_or_else(|| "/".to_owned())
    };
    view! {
        <Title text="登录"/>
        <main id="main" class="page login">
            <header class="login-brand">
                <p class="brand-mark" aria-hidden="true">"廉"</p>
                <h1>"廉防"</h1>
                <p class="subtitle">"岗位廉政风险排查防范系统"</p>
            </header>
            <form class="card login-form" method="post" action="/api/login">
                <h2>"用户登录"</h2>
                {move || error().map(|code| view! {
                    <p class="alert alert-error" role="alert" id="login-error">{login_error_message(&code)}</p>
                })}
                {move || notice().map(|code| view! {
                    <p class="alert alert-info" role="status">{login_error_message(&code)}</p>
                })}
                <input type="hidden" name="next" prop:value=next/>
                <label for="username">"用户名"</label>
                <input id="username" name="username" type="text" autocomplete="username"
                    autocapitalize="none" spellcheck="false" required maxlength="32"
                    prop:value=username
                    aria-describedby=move || error().map(|_| "login-error")/>
                <label for="password">"密码"</label>
                <input id="password" name="password" type="password" autocomplete="current-password"
                    required maxlength="128"/>
                <button type="submit" class="primary">"登录"</button>
            </form>
            <p class="fine-print">"本系统仅供区纪委及其监督单位工作人员使用。连续输错密码将暂时锁定登录。"</p>
        </main>
    }
}
