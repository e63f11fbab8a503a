//! Where the upload or import under way stands (`data-test-id="transfer"`, with
//! `data-state` `running`, `done` or `failed`, and `data-seq`, its number): what is sent and where, a progress bar
//! (`transfer-progress`) while it goes, then the outcome ("3 files uploaded to /root/x", or
//! the server's reason for refusing it), dismissable; a success fades by itself.

use gloo::timers::callback::Timeout;
use yew::prelude::*;

use crate::context::PlaygroundCtx;
use crate::i18n::{self, t, use_lang, Lang, Msg};
use crate::services::files::human_size;
use crate::state::{Action, Transfer, TransferKind, TransferPhase};

/// How long a success stays on screen.
const DONE_SHOWN_MS: u32 = 15_000;

#[derive(Properties, PartialEq)]
pub struct TransferStatusProps {
    pub transfer: Transfer,
}

#[function_component(TransferStatus)]
pub fn transfer_status(props: &TransferStatusProps) -> Html {
    let ctx = use_context::<PlaygroundCtx>().expect("TransferStatus inside a playground");
    let lang = use_lang();
    let transfer = &props.transfer;
    let done = matches!(
        transfer.phase,
        TransferPhase::Uploaded(_) | TransferPhase::Restored(_)
    );
    {
        let (ctx, seq) = (ctx.clone(), transfer.seq);
        use_effect_with((seq, done), move |&(seq, done)| {
            let timer = done.then(|| {
                Timeout::new(DONE_SHOWN_MS, move || {
                    ctx.dispatch(Action::DismissTransfer(seq))
                })
            });
            move || drop(timer)
        });
    }
    let (state, percent) = match transfer.phase {
        TransferPhase::Preparing => ("running", None),
        TransferPhase::Sending { percent } => ("running", Some(percent)),
        TransferPhase::Unpacking => ("running", None),
        TransferPhase::Failed(_) => ("failed", None),
        _ => ("done", None),
    };
    let dismiss = {
        let (ctx, seq) = (ctx.clone(), transfer.seq);
        Callback::from(move |_: MouseEvent| ctx.dispatch(Action::DismissTransfer(seq)))
    };
    let bar = transfer.is_running().then(|| {
        let (width, indeterminate) = match percent {
            Some(p) => (format!("width:{p}%"), false),
            None => (String::new(), true),
        };
        html! {
            <div class={classes!("transfer-bar", indeterminate.then_some("transfer-bar-busy"))} role="progressbar"
                data-test-id="transfer-progress" aria-valuemin="0" aria-valuemax="100"
                aria-valuenow={percent.map(|p| p.to_string())}>
                <span style={width} />
            </div>
        }
    });
    let icon = match state {
        "done" => "✓",
        "failed" => "!",
        _ => "↑",
    };
    html! {
        <div class={classes!("transfer", format!("transfer-{state}"))} data-test-id="transfer" data-state={state}
            data-seq={transfer.seq.to_string()}
            role={if state == "failed" { "alert" } else { "status" }}>
            <span class="transfer-icon" aria-hidden="true">{ icon }</span>
            <div class="transfer-body">
                <p class="transfer-text" data-test-id="transfer-text">{ text(lang, transfer) }</p>
                { for bar }
            </div>
            if !transfer.is_running() {
                <button class="banner-dismiss" type="button" aria-label={t(lang, Msg::Dismiss)} title={t(lang, Msg::Dismiss)}
                    data-test-id="dismiss-transfer" onclick={dismiss} />
            }
        </div>
    }
}

/// The sentence for where `transfer` stands.
pub fn text(lang: Lang, transfer: &Transfer) -> String {
    match (&transfer.kind, &transfer.phase) {
        (_, TransferPhase::Failed(sentence)) => sentence.render(lang),
        (_, TransferPhase::Uploaded(up)) => i18n::uploaded(lang, up.files.into(), &up.dir),
        (_, TransferPhase::Restored(r)) => i18n::restored(lang, r.files.into(), &r.nodes),
        (TransferKind::Upload { .. }, TransferPhase::Preparing) => {
            t(lang, Msg::ReadingFiles).to_string()
        }
        (TransferKind::Upload { dir, .. }, TransferPhase::Unpacking) => {
            i18n::unpacking(lang, dir.as_deref())
        }
        (
            TransferKind::Upload {
                dir,
                names,
                files,
                bytes,
                ..
            },
            _,
        ) => i18n::uploading(
            lang,
            names,
            (*files).into(),
            &human_size(*bytes),
            dir.as_deref(),
        ),
        (TransferKind::Import { .. }, TransferPhase::Unpacking) => {
            t(lang, Msg::CheckingFiles).to_string()
        }
        (TransferKind::Import { name, bytes }, _) => {
            i18n::importing(lang, name, &human_size(*bytes))
        }
    }
}
