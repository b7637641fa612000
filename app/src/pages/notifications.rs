//! 通知: what arrived for the signed-in user, newest first, the unread ones marked; each leads to
//! the page it is about. Opening the list does not mark it read: the person says so.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use super::widgets::{BackBar, ErrorBox, FeedbackLine, Refresh};
use crate::{
    api::supervision::{load_notifications, NotificationsView},
    client,
    write::MarkNotificationsRead,
};

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_notifications());
    let refresh = Refresh::new(move || data.refetch());
    view! {
        <Title text="通知"/>
        <BackBar/>
        <main id="main" class="page narrow">
            <h1>"通知"</h1>
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Notifications view refresh/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn Notifications(view: NotificationsView, refresh: Refresh) -> impl IntoView {
    let NotificationsView { unread, items } = view;
    let newest = items.first().map(|n| n.id);
    let error = RwSignal::new(None::<String>);
    let mark = move |_| {
        let Some(up_to) = newest else {
            return;
        };
        error.set(None);
        spawn_local(async move {
            match client::send(None, &MarkNotificationsRead { up_to }).await {
                Ok(_) => refresh.done("已全部标为已读"),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <p data-testid="unread-count">{format!("未读 {unread} 条")}</p>
        {move || error.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
        {(unread > 0).then(|| view! { <p><button type="button" on:click=mark>"全部标为已读"</button></p> })}
        {if items.is_empty() {
            view! { <p class="empty">"暂无通知。"</p> }.into_any()
        } else {
            view! {
                <ul class="plain-list notifications">
                    {items.into_iter().map(|n| view! {
                        <li class:unread=!n.read data-testid="notification">
                            <p>
                                <strong>{n.what}</strong>
                                {(!n.read).then(|| view! { <span class="badge badge-pending">"未读"</span> })}
                                " "<span class="muted">{n.at}</span>
                            </p>
                            <p><a href=n.link>{n.text}</a></p>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}
