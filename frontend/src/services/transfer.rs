//! Files going from the browser into a node: what a drop or a file picker holds (files, and
//! folders read recursively through `webkitGetAsEntry`, or `webkitRelativePath` for a folder
//! picker), made into one tar `Blob` (`tar::plan`) without reading the files into memory, and
//! sent with `XMLHttpRequest` so that the page can show how much has gone.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{Array, Promise, Uint8Array};
use quai_protocol::ApiError;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, DragEvent, File, FileSystemDirectoryEntry, FileSystemDirectoryReader, FileSystemEntry,
    FileSystemFileEntry, HtmlInputElement, ProgressEvent, XmlHttpRequest,
};

use super::api::ApiFailure;
use super::tar::{self, Item, ItemKind, Part};

/// A file (or, with no file, a folder) to send, at `path` relative to the target folder.
#[derive(Debug, Clone)]
pub struct Picked {
    pub path: String,
    pub file: Option<File>,
}

/// What a list of picked files amounts to, for the page to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub files: u32,
    pub bytes: u64,
}

pub fn summary(picked: &[Picked]) -> Summary {
    picked
        .iter()
        .filter_map(|p| p.file.as_ref())
        .fold(Summary::default(), |s, f| Summary {
            files: s.files + 1,
            bytes: s.bytes + f.size() as u64,
        })
}

/// Whether a drag carries files (not text or a link).
pub fn carries_files(event: &DragEvent) -> bool {
    event
        .data_transfer()
        .map(|dt| {
            dt.types()
                .iter()
                .any(|t| t.as_string().as_deref() == Some("Files"))
        })
        .unwrap_or(false)
}

/// What was dropped, taken during the drop event (the browser forgets it afterwards): the
/// entries to walk, or the plain files where entries are not available.
pub struct Dropped {
    entries: Vec<FileSystemEntry>,
    files: Vec<File>,
}

impl Dropped {
    pub fn take(event: &DragEvent) -> Dropped {
        let mut entries = Vec::new();
        let mut files = Vec::new();
        if let Some(dt) = event.data_transfer() {
            let items = dt.items();
            for i in 0..items.length() {
                let Some(item) = items.get(i) else { continue };
                if item.kind() != "file" {
                    continue;
                }
                match item.webkit_get_as_entry() {
                    Ok(Some(entry)) => entries.push(entry),
                    _ => {
                        if let Ok(Some(file)) = item.get_as_file() {
                            files.push(file);
                        }
                    }
                }
            }
            if entries.is_empty() && files.is_empty() {
                if let Some(list) = dt.files() {
                    files.extend((0..list.length()).filter_map(|i| list.get(i)));
                }
            }
        }
        Dropped { entries, files }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.files.is_empty()
    }

    /// Every file and folder, folders read recursively.
    pub async fn read(self) -> Result<Vec<Picked>, JsValue> {
        let mut out: Vec<Picked> = self
            .files
            .into_iter()
            .map(|file| Picked {
                path: file.name(),
                file: Some(file),
            })
            .collect();
        for entry in self.entries {
            walk(entry, String::new(), &mut out).await?;
        }
        Ok(out)
    }
}

fn walk<'a>(
    entry: FileSystemEntry,
    parent: String,
    out: &'a mut Vec<Picked>,
) -> Pin<Box<dyn Future<Output = Result<(), JsValue>> + 'a>> {
    Box::pin(async move {
        let path = format!("{parent}{}", entry.name());
        if entry.is_directory() {
            out.push(Picked {
                path: path.clone(),
                file: None,
            });
            let reader = entry
                .unchecked_into::<FileSystemDirectoryEntry>()
                .create_reader();
            // `readEntries` gives a batch at a time, and an empty one at the end.
            loop {
                let batch = read_entries(&reader).await?;
                if batch.is_empty() {
                    break;
                }
                for child in batch {
                    walk(child, format!("{path}/"), out).await?;
                }
            }
        } else if entry.is_file() {
            let file = file_of(&entry.unchecked_into::<FileSystemFileEntry>()).await?;
            out.push(Picked {
                path,
                file: Some(file),
            });
        }
        Ok(())
    })
}

async fn read_entries(reader: &FileSystemDirectoryReader) -> Result<Vec<FileSystemEntry>, JsValue> {
    let mut failed = None;
    let promise = Promise::new(&mut |resolve, reject| {
        if let Err(err) = reader.read_entries_with_callback_and_callback(&resolve, &reject) {
            failed = Some(err);
        }
    });
    if let Some(err) = failed {
        return Err(err);
    }
    let batch: Array = JsFuture::from(promise).await?.unchecked_into();
    Ok(batch.iter().map(JsCast::unchecked_into).collect())
}

async fn file_of(entry: &FileSystemFileEntry) -> Result<File, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        entry.file_with_callback_and_callback(&resolve, &reject);
    });
    Ok(JsFuture::from(promise).await?.unchecked_into())
}

/// The files of a file picker: with `webkitdirectory`, each at its path under the folder
/// picked, after the folders it is in.
pub fn from_input(input: &HtmlInputElement) -> Vec<Picked> {
    let Some(list) = input.files() else {
        return Vec::new();
    };
    let mut dirs = BTreeSet::new();
    let mut out = Vec::new();
    for file in (0..list.length()).filter_map(|i| list.get(i)) {
        let relative = js_sys::Reflect::get(&file, &JsValue::from_str("webkitRelativePath"))
            .ok()
            .and_then(|v| v.as_string())
            .filter(|p| !p.is_empty());
        let path = relative.unwrap_or_else(|| file.name());
        for dir in parents(&path) {
            if dirs.insert(dir.clone()) {
                out.push(Picked {
                    path: dir,
                    file: None,
                });
            }
        }
        out.push(Picked {
            path,
            file: Some(file),
        });
    }
    out
}

/// `a/b/c.txt` → `["a", "a/b"]`.
pub fn parents(path: &str) -> Vec<String> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    (1..parts.len()).map(|n| parts[..n].join("/")).collect()
}

/// The top-level names of what is sent (`app/`, `notes.txt`), for the page to say.
pub fn top_names(picked: &[Picked]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in picked {
        let first = p
            .path
            .split('/')
            .find(|s| !s.is_empty())
            .unwrap_or_default();
        let is_dir = p.path.trim_matches('/').contains('/') || p.file.is_none();
        let name = if is_dir {
            format!("{first}/")
        } else {
            first.to_string()
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// One tar of everything picked, as a `Blob` whose files the browser reads as it sends.
pub fn tar_blob(picked: Vec<Picked>) -> Result<Blob, JsValue> {
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let items = picked
        .into_iter()
        .map(|p| match p.file {
            Some(file) => Item {
                path: p.path,
                mtime: (file.last_modified() / 1000.0) as u64,
                kind: ItemKind::File {
                    size: file.size() as u64,
                    content: file,
                },
            },
            None => Item {
                path: p.path,
                kind: ItemKind::Dir,
                mtime: now,
            },
        })
        .collect();
    let parts = Array::new();
    for part in tar::plan(items) {
        match part {
            Part::Bytes(bytes) => parts.push(&Uint8Array::from(bytes.as_slice())),
            Part::Content(file) => parts.push(&file),
        };
    }
    Blob::new_with_blob_sequence(&parts)
}

/// `POST url` with `body` of `content_type`, calling `progress(sent, total)` as it goes; the response's text
/// on a 2xx, else why not.
pub async fn post(
    url: &str,
    content_type: &str,
    body: &Blob,
    progress: impl Fn(f64, f64) + 'static,
) -> Result<String, ApiFailure> {
    let xhr = XmlHttpRequest::new().map_err(|_| ApiFailure::Network)?;
    xhr.open("POST", url).map_err(|_| ApiFailure::Network)?;
    let _ = xhr.set_request_header("Content-Type", content_type);
    // Settled by `load` (true) or by `error` / `abort` (false).
    let mut settle = None;
    let done = Promise::new(&mut |resolve, _| settle = Some(resolve));
    let settle = Rc::new(RefCell::new(settle));
    let finish = |loaded: bool| {
        let settle = settle.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(resolve) = settle.borrow_mut().take() {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::from_bool(loaded));
            }
        })
    };
    let on_load = finish(true);
    let on_error = finish(false);
    let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |event: ProgressEvent| {
        if event.length_computable() {
            progress(event.loaded(), event.total());
        }
    });
    let upload = xhr.upload().ok();
    xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
    xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    xhr.set_onabort(Some(on_error.as_ref().unchecked_ref()));
    if let Some(upload) = &upload {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    let sent = xhr.send_with_opt_blob(Some(body));
    let loaded = match sent {
        Ok(()) => JsFuture::from(done)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        Err(_) => false,
    };
    // No listener may outlive its closure.
    xhr.set_onload(None);
    xhr.set_onerror(None);
    xhr.set_onabort(None);
    if let Some(upload) = &upload {
        upload.set_onprogress(None);
    }
    if !loaded {
        return Err(ApiFailure::Network);
    }
    let status = xhr.status().unwrap_or(0);
    let text = xhr.response_text().ok().flatten().unwrap_or_default();
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(ApiFailure::Status {
            status,
            error: serde_json::from_str::<ApiError>(&text).ok(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_of_a_picked_path() {
        assert_eq!(parents("a/b/c.txt"), ["a", "a/b"]);
        assert!(parents("c.txt").is_empty());
    }
}
