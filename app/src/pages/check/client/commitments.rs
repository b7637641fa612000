//! The user's integrity commitments, from their replica: read and signed here with no network.
//! A signing is checked on the device (the signature's rules, the password against the local
//! check), becomes a queued operation carrying the hash of the exact text shown, the device time
//! and the proof of the password, and shows 已签署（待同步） once it is in the outbox. The server
//! seals it at the next sync.

use domain::{
    commitment::{offline_proof, text_hash, OfflineSigning},
    sync::CommitmentRecord,
};

use super::*;
use crate::pages::commitment::{SignatureDraft, SignatureFields};

/// Where a commitment stands on this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Unsigned,
    /// Signed here, in the outbox.
    Queued,
    Sealed,
}

fn standing(store: &Store, c: &CommitmentRecord) -> Standing {
    let queued = store.outbox.with(|o| {
        o.ops.iter().any(|e| {
            matches!(&e.op, Operation::SignCommitment { commitment_id, .. } if *commitment_id == c.id)
        })
    });
    if c.signed_at.is_some() {
        Standing::Sealed
    } else if queued {
        Standing::Queued
    } else {
        Standing::Unsigned
    }
}

/// The commitments, and the one being signed. The signing form depends only on which one is
/// open, so a background sync never wipes a signature being drawn.
#[component]
pub(super) fn Commitments() -> impl IntoView {
    let store = expect_context::<Store>();
    let open = RwSignal::new(None::<i64>);
    let notice = RwSignal::new(None::<String>);
    let any = Memo::new(move |_| store.replica.with(|r| !r.commitments.is_empty()));
    view! {
        <Show when=move || any.get()>
            <section class="card commitments" id="commitments" aria-labelledby="commitments-title">
                <h2 id="commitments-title">"廉政承诺书"</h2>
                {move || notice.get().map(|n| view! { <p class="alert alert-ok" role="status" data-testid="sign-notice">{n}</p> })}
                <ul class="commitment-list">
                    {move || store.replica.with(|r| r.commitments.clone()).into_iter().map(|c| {
                        let id = c.id;
                        let state = standing(&store, &c);
                        let label = match state {
                            Standing::Unsigned => "待签署".to_owned(),
                            Standing::Queued => "已签署（待同步）".to_owned(),
                            Standing::Sealed => match c.device_signed_at {
                                Some(device) => format!("已签署并封存（离线签署于 {}）", time_of(device as f64)),
                                None => "已签署并封存".to_owned(),
                            },
                        };
                        let verify = format!("/verify/{}", c.token);
                        view! {
                            <li class="commitment-row" data-testid="commitment-row">
                                <span class="commitment-name">{format!("{} · {}", c.post, c.title)}</span>
                                <span class=if state == Standing::Unsigned { "badge badge-pending" } else { "badge" } data-testid="commitment-state">{label}</span>
                                {(state == Standing::Unsigned).then(|| view! {
                                    <button type="button" class="primary" on:click=move |_| { notice.set(None); open.set(Some(id)) }>"阅读并签署"</button>
                                })}
                                {(state == Standing::Sealed).then(|| view! { <a href=verify>"公开验证页"</a> })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {move || open.get().and_then(|id| {
                    store.replica.with_untracked(|r| r.commitments.iter().find(|c| c.id == id).cloned())
                }).map(|c| view! { <SignOffline c open notice/> })}
            </section>
        </Show>
    }
}

/// Reading and signing one commitment on this device.
#[component]
fn SignOffline(
    c: CommitmentRecord,
    open: RwSignal<Option<i64>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let draft = SignatureDraft::new();
    let error = RwSignal::new(None::<String>);
    // What is shown is what is signed: the hash is of this text, not taken from the replica.
    let shown_hash = text_hash(&c.title, &c.body);
    let id = c.id;
    let submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let checked = match check_signing(store, draft) {
            Ok(checked) => checked,
            Err(message) => {
                error.set(Some(message));
                return;
            }
        };
        if !confirm("签署后承诺书将被封存，不能再修改。确定签署吗？") {
            return;
        }
        match queue_signing(store, draft, checked, id, &shown_hash) {
            Ok(()) => {
                open.set(None);
                notice.set(Some(if store.online.get_untracked() {
                    "已签署（待同步）：正在同步，服务器封存后即生效。".to_owned()
                } else {
                    "已签署（待同步）：签名已保存在本机，联网后自动同步并由服务器封存。".to_owned()
                }));
                if store.online.get_untracked() {
                    spawn_local(store.sync());
                }
            }
            Err(message) => {
                draft.password.set(String::new());
                error.set(Some(message));
            }
        }
    };
    view! {
        <form class="stack sign-form" on:submit=submit aria-labelledby="offline-sign-title" data-testid="offline-sign">
            <h3 id="offline-sign-title">{c.title.clone()}</h3>
            <p class="muted">{format!("{} · {}", c.unit, c.post)}</p>
            <div class="commitment-body">{c.body.clone()}</div>
            <SignatureFields draft password_label="登录密码（在本机核验，确认本人签署）"/>
            <p class="fine-print">"没有网络也可以签署：签名先保存在本机，联网后由服务器封存，封存时间与本机签署时间都会记录在公开验证页上。"</p>
            <div class="button-row">
                <button type="submit" class="primary">"确认签署"</button>
                <button type="button" on:click=move |_| open.set(None)>"取消"</button>
            </div>
            {move || error.get().map(|e| view! { <p class="alert alert-error" role="alert">{e}</p> })}
        </form>
    }
}

/// The signer and their signature, once it passes the rules a server applies.
struct Checked {
    user: offline::LocalUser,
    signature: domain::commitment::Signature,
}

/// Checks the signing on the device; `Err` is the reason, in Chinese.
fn check_signing(store: Store, draft: SignatureDraft) -> Result<Checked, String> {
    let user = store.user.get_untracked().ok_or("请先登录")?;
    domain::commitment::check_confirmed(draft.confirmed.get_untracked()).map_err(|e| e.message)?;
    let signature = draft.signature().parse().map_err(|e| e.message)?;
    signature.check(&user.display_name).map_err(|e| e.message)?;
    Ok(Checked { user, signature })
}

/// Opens the signer's offline key with the password typed, proves the signing with it and
/// queues it; `Err` is the reason, in Chinese, with nothing queued.
fn queue_signing(
    store: Store,
    draft: SignatureDraft,
    checked: Checked,
    id: i64,
    shown_hash: &str,
) -> Result<(), String> {
    let Checked { user, signature } = checked;
    let key = offline::offline_signing_key(&user.username, &draft.password.get_untracked())?;
    let device_signed_at = offline::now_ms() as i64;
    let op_id = offline::new_id();
    let proof = offline_proof(
        &key,
        &OfflineSigning {
            op_id: &op_id.to_string(),
            username: &user.username,
            commitment_id: id,
            text_hash: shown_hash,
            signature: &signature,
            device_signed_at,
        },
    );
    store.queue_as(
        op_id,
        Operation::SignCommitment {
            commitment_id: id,
            text_hash: shown_hash.to_owned(),
            signature_kind: signature.kind().to_owned(),
            signature: signature.canonical(),
            device_signed_at,
            proof,
        },
    )
}
