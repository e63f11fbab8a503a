//! Uploads and imports as the playground runs them: files dropped on a terminal (into its
//! shell's folder) or on the files panel, or picked, are read, made into one tar and sent
//! to the node; an exported workspace is sent back to the session. Each step is told to the
//! page as a `state::Transfer`, a later transfer replacing an earlier one.

use std::cell::Cell;
use std::rc::Rc;

use quai_protocol::{ErrorCode, Restored, Uploaded};
use wasm_bindgen::JsCast;
use web_sys::{Blob, File};

use crate::context::PlaygroundCtx;
use crate::i18n::{Msg, Sentence};
use crate::services::api::ApiFailure;
use crate::services::files;
use crate::services::transfer::{self, Dropped, Picked};
use crate::state::{Action, Transfer, TransferKind, TransferPhase};

thread_local! {
    static SEQ: Cell<u32> = const { Cell::new(0) };
}

fn next_seq() -> u32 {
    SEQ.with(|seq| {
        seq.set(seq.get() + 1);
        seq.get()
    })
}

/// Where an upload goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A folder of the node.
    Dir(String),
    /// The folder terminal `term`'s shell is in, asked when the files are dropped.
    Terminal(u16),
}

/// What is uploaded.
pub enum Source {
    Dropped(Dropped),
    Picked(Vec<Picked>),
}

/// Tells the page where transfer `seq` stands.
#[derive(Clone)]
struct Report {
    ctx: PlaygroundCtx,
    seq: u32,
}

impl Report {
    fn emit(&self, kind: &TransferKind, phase: TransferPhase) {
        self.ctx.dispatch(Action::Transfer(Transfer {
            seq: self.seq,
            kind: kind.clone(),
            phase,
        }));
    }

    /// A progress callback for `transfer::post`: a new phase at each new percent, and
    /// "unpacking" once everything has gone.
    fn progress(&self, kind: &TransferKind) -> impl Fn(f64, f64) + 'static {
        let (report, kind) = (self.clone(), kind.clone());
        let last = Rc::new(Cell::new(0u8));
        move |sent: f64, total: f64| {
            let percent = if total > 0.0 {
                (sent / total * 100.0).clamp(0.0, 100.0) as u8
            } else {
                0
            };
            if percent == last.get() {
                return;
            }
            last.set(percent);
            let phase = if percent >= 100 {
                TransferPhase::Unpacking
            } else {
                TransferPhase::Sending { percent }
            };
            report.emit(&kind, phase);
        }
    }
}

/// Uploads `source` into `target` of `node`.
pub fn upload(ctx: &PlaygroundCtx, node: &str, target: Target, source: Source) {
    let report = Report {
        ctx: ctx.clone(),
        seq: next_seq(),
    };
    let node = node.to_string();
    wasm_bindgen_futures::spawn_local(async move {
        let mut kind = TransferKind::Upload {
            node: node.clone(),
            dir: match &target {
                Target::Dir(dir) => Some(dir.clone()),
                Target::Terminal(_) => None,
            },
            names: Vec::new(),
            files: 0,
            bytes: 0,
        };
        report.emit(&kind, TransferPhase::Preparing);
        let picked = match source {
            Source::Picked(picked) => picked,
            Source::Dropped(dropped) => match dropped.read().await {
                Ok(picked) => picked,
                Err(err) => {
                    gloo::console::warn!("Quai: a dropped folder could not be read", err);
                    let failed = Sentence::Msg(Msg::ReadFailed);
                    return report.emit(&kind, TransferPhase::Failed(failed));
                }
            },
        };
        if picked.is_empty() {
            return report.ctx.dispatch(Action::DismissTransfer(report.seq));
        }
        let summary = transfer::summary(&picked);
        let names = transfer::top_names(&picked);
        let dir = match target {
            Target::Dir(dir) => dir,
            Target::Terminal(term) => match files::cwd(&report.ctx.id, term).await {
                Ok(wd) => wd.path,
                Err(failure) => {
                    let failed = Sentence::Detail(Msg::UploadFailed, failure);
                    return report.emit(&kind, TransferPhase::Failed(failed));
                }
            },
        };
        kind = TransferKind::Upload {
            node: node.clone(),
            dir: Some(dir.clone()),
            names,
            files: summary.files,
            bytes: summary.bytes,
        };
        report.emit(&kind, TransferPhase::Sending { percent: 0 });
        let blob = match transfer::tar_blob(picked) {
            Ok(blob) => blob,
            Err(_) => {
                let failed = Sentence::Msg(Msg::ReadFailed);
                return report.emit(&kind, TransferPhase::Failed(failed));
            }
        };
        let url = files::upload_url(&report.ctx.id, &node, &dir);
        let sent = transfer::post(&url, "application/x-tar", &blob, report.progress(&kind)).await;
        let phase = match sent.and_then(|text| parse::<Uploaded>(&text)) {
            Ok(uploaded) => TransferPhase::Uploaded(uploaded),
            Err(failure) => TransferPhase::Failed(Sentence::Detail(Msg::UploadFailed, failure)),
        };
        report.emit(&kind, phase);
    });
}

/// Sends an exported workspace back into the session.
pub fn import(ctx: &PlaygroundCtx, file: File) {
    let report = Report {
        ctx: ctx.clone(),
        seq: next_seq(),
    };
    wasm_bindgen_futures::spawn_local(async move {
        let kind = TransferKind::Import {
            name: file.name(),
            bytes: file.size() as u64,
        };
        report.emit(&kind, TransferPhase::Sending { percent: 0 });
        let url = files::import_url(&report.ctx.id);
        let blob: &Blob = file.unchecked_ref();
        let sent = transfer::post(&url, "application/gzip", blob, report.progress(&kind)).await;
        let phase = match sent.and_then(|text| parse::<Restored>(&text)) {
            Ok(restored) => TransferPhase::Restored(restored),
            // The server's sentence already says the workspace cannot be imported, and why.
            Err(ApiFailure::Status {
                error: Some(error), ..
            }) if error.code == ErrorCode::BadRequest && !error.message.is_empty() => {
                TransferPhase::Failed(Sentence::Plain(error.message))
            }
            Err(failure) => TransferPhase::Failed(Sentence::Detail(Msg::ImportFailed, failure)),
        };
        report.emit(&kind, phase);
    });
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ApiFailure> {
    serde_json::from_str(text).map_err(|_| ApiFailure::BadBody)
}
