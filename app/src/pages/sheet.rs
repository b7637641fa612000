//! One post's risk sheet, for those who may read it.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    review::ReviewPanel,
    widgets::{use_id_param, BackBar, ErrorBox, FeedbackLine, Refresh, SheetCard},
};
use crate::{api::load_sheet, error::ApiError};

#[component]
pub fn SheetPage() -> impl IntoView {
    let post_id = use_id_param();
    let sheet = Resource::new(post_id, |id| async move {
        match id {
            Some(id) => load_sheet(id).await,
            None => Err(ApiError::not_found("该岗位")),
        }
    });
    let refresh = Refresh::new(move || sheet.refetch());
    view! {
        <Title text="岗位排查表"/>
        <BackBar/>
        <main id="main" class="page">
            <FeedbackLine feedback=refresh.notice/>
            <Transition fallback=|| view! { <p class="loading" role="status">"正在加载…"</p> }>
                {move || Suspend::new(async move {
                    match sheet.await {
                        Ok(sheet) => view! {
                            <SheetCard sheet=sheet.clone()/>
                            <ReviewPanel sheet refresh/>
                        }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}
