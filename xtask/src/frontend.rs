//! Builds the browser side into `static/dist/`, as the server serves it (backend/src/web.rs):
//!
//! 1. the Yew app compiled to wasm32 with the `wasm` profile (made for size), bound by
//!    wasm-bindgen into `target/frontend/bound/` (`quai.js`, `quai_bg.wasm`);
//! 2. the wasm shrunk by `wasm-opt -Oz` (binaryen, an npm package of `static/`), kept in
//!    `target/frontend/` for the next build of the same wasm;
//! 3. every file the page loads copied into `static/dist/` under a name carrying its
//!    content's hash (`quai-0123456789abcdef.js`): the app, `static/`'s own scripts, styles and
//!    icon, and xterm.js with its addons and asciinema-player (recordings) into
//!    `static/dist/vendor/`; the references between them (`quai.js` to its wasm, `boot.js` to
//!    `quai.js`) rewritten first, then `static/index.html` written as `static/dist/index.html`
//!    naming them all;
//! 4. beside each file worth it, a brotli (`.br`) and a gzip (`.gz`) copy at the best
//!    compression, which the server sends to browsers that accept them.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::shell::{self, cargo, ok, step};

/// The cargo profile of the page's wasm (workspace Cargo.toml).
const PROFILE: &str = "wasm";
const WASM: &str = "target/wasm32-unknown-unknown/wasm/quai_frontend.wasm";
const BOUND: &str = "target/frontend/bound";
/// The last wasm-opt output, and the sha256 of the wasm it was made from.
const OPTIMIZED: &str = "target/frontend/quai_bg.opt.wasm";
const OPTIMIZED_FROM: &str = "target/frontend/quai_bg.opt.source";
const WASM_OPT: &str = "static/node_modules/binaryen/bin/wasm-opt";
const DIST: &str = "static/dist";
/// The size of each file of the page, raw and compressed, as a Markdown table (for the bench).
pub const SIZES: &str = "target/frontend/sizes.md";

/// Hex digits of the content hash in a file name; the server expects as many.
const HASH_DIGITS: usize = 16;

/// Files of `static/` the page loads, named in index.html or boot.js by `/<name>`.
const OWN: &[&str] = &["lang.js", "style.css", "favicon.svg"];

/// Files of `static/node_modules` the page loads, copied flat into `static/dist/vendor/` and
/// named in index.html by `/dist/vendor/<name>`.
const VENDOR: &[&str] = &[
    "@xterm/xterm/lib/xterm.js",
    "@xterm/xterm/css/xterm.css",
    "@xterm/addon-fit/lib/addon-fit.js",
    "@xterm/addon-webgl/lib/addon-webgl.js",
    "asciinema-player/dist/bundle/asciinema-player.min.js",
    "asciinema-player/dist/bundle/asciinema-player.css",
];

/// Extensions of files worth a compressed copy (text and wasm; not images already packed).
const COMPRESSIBLE: &[&str] = &["html", "js", "css", "wasm", "svg", "json"];
/// Files smaller than this go as they are: compression saves less than a packet.
const COMPRESS_FROM: usize = 1024;

/// Compiles the frontend, binds it with the wasm-bindgen CLI at `wasm_bindgen`, shrinks it and
/// lays out `static/dist/` with every file the page loads.
pub fn build(wasm_bindgen: &Path) -> Result<()> {
    let begin = Instant::now();
    step(&format!(
        "Building the frontend (cargo build -p quai-frontend --target wasm32-unknown-unknown --profile {PROFILE})"
    ));
    shell::run(cargo().args([
        "build",
        "-p",
        "quai-frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        PROFILE,
    ]))?;
    step(&format!(
        "Binding the frontend for the browser (wasm-bindgen --target web into {BOUND})"
    ));
    // Start empty, so nothing of an earlier build is taken for this one's.
    let _ = fs::remove_dir_all(BOUND);
    shell::run(
        Command::new(wasm_bindgen)
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-dir",
                BOUND,
                "--out-name",
                "quai",
            ])
            .arg(WASM),
    )?;
    let wasm = optimize(&Path::new(BOUND).join("quai_bg.wasm"))?;
    step(&format!(
        "Writing {DIST}: hashed file names, index.html, brotli and gzip copies"
    ));
    let mut dist = Dist::empty()?;
    let wasm_url = dist.put("/dist/quai_bg.wasm", "quai_bg.wasm", &wasm)?;
    let app = read(&Path::new(BOUND).join("quai.js"))?;
    let app = replace_once(
        &app,
        "'quai_bg.wasm'",
        &format!("'{}'", file_name(&wasm_url)),
    )
    .context("wasm-bindgen's quai.js no longer names its wasm as 'quai_bg.wasm'")?;
    let app_url = dist.put("/dist/quai.js", "quai.js", app.as_bytes())?;
    let boot = read(Path::new("static/boot.js"))?;
    let boot = replace_once(&boot, "'/dist/quai.js'", &format!("'{app_url}'"))
        .context("static/boot.js must import '/dist/quai.js'")?;
    dist.put("/boot.js", "boot.js", boot.as_bytes())?;
    for name in OWN {
        let path = Path::new("static").join(name);
        let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        dist.put(&format!("/{name}"), name, &bytes)?;
    }
    for file in VENDOR {
        let source = Path::new("static/node_modules").join(file);
        let name = source
            .file_name()
            .and_then(|name| name.to_str())
            .expect("vendor files have names");
        let bytes = fs::read(&source).with_context(|| {
            format!(
                "cannot read {} (is the npm package installed?)",
                source.display()
            )
        })?;
        dist.put(
            &format!("/dist/vendor/{name}"),
            &format!("vendor/{name}"),
            &bytes,
        )?;
    }
    let page = dist.page(&read(Path::new("static/index.html"))?)?;
    dist.write("index.html", page.as_bytes())?;
    fs::write(SIZES, dist.sizes_table()).with_context(|| format!("cannot write {SIZES}"))?;
    let sizes = dist
        .sizes
        .get("/dist/quai_bg.wasm")
        .copied()
        .unwrap_or_default();
    ok(&format!(
        "Frontend built into {DIST} in {} (wasm: {} KiB, {} KiB as brotli, {} KiB as gzip)",
        shell::seconds(begin.elapsed()),
        sizes.raw / 1024,
        sizes.brotli / 1024,
        sizes.gzip / 1024,
    ));
    Ok(())
}

/// `wasm-opt -Oz` of the wasm at `input`, reusing the last output when made from the same wasm.
fn optimize(input: &Path) -> Result<Vec<u8>> {
    let bytes = fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;
    let digest = hex::encode(Sha256::digest(&bytes));
    let seen = fs::read_to_string(OPTIMIZED_FROM).unwrap_or_default();
    if seen.trim() == digest {
        if let Ok(optimized) = fs::read(OPTIMIZED) {
            ok("The wasm is unchanged since the last wasm-opt; reusing its output");
            return Ok(optimized);
        }
    }
    if !Path::new(WASM_OPT).is_file() {
        bail!("{WASM_OPT} is missing: the npm packages of static/ (binaryen) are not installed");
    }
    step(&format!(
        "Shrinking the wasm (wasm-opt -Oz, binaryen from static/node_modules; {} KiB before)",
        bytes.len() / 1024
    ));
    let _ = fs::remove_file(OPTIMIZED_FROM);
    // A node script: run it with node rather than counting on its shebang.
    shell::run(
        Command::new("node")
            .arg(WASM_OPT)
            .arg("-Oz")
            .arg(input)
            .arg("-o")
            .arg(OPTIMIZED),
    )?;
    let optimized = fs::read(OPTIMIZED).with_context(|| format!("cannot read {OPTIMIZED}"))?;
    fs::write(OPTIMIZED_FROM, &digest).with_context(|| format!("cannot write {OPTIMIZED_FROM}"))?;
    Ok(optimized)
}

/// Sizes of one file as sent: as it is, and its compressed copies (as it is when none).
#[derive(Debug, Clone, Copy, Default)]
struct Sizes {
    raw: usize,
    brotli: usize,
    gzip: usize,
}

/// `static/dist/` being written: the URL each source file had and the hashed one it has now.
struct Dist {
    root: PathBuf,
    urls: BTreeMap<String, String>,
    sizes: BTreeMap<String, Sizes>,
}

impl Dist {
    /// Empties `static/dist/`: a build leaves only its own files there.
    fn empty() -> Result<Dist> {
        let root = PathBuf::from(DIST);
        if root.exists() {
            fs::remove_dir_all(&root)
                .with_context(|| format!("cannot empty {}", root.display()))?;
        }
        fs::create_dir_all(&root).with_context(|| format!("cannot create {}", root.display()))?;
        Ok(Dist {
            root,
            urls: BTreeMap::new(),
            sizes: BTreeMap::new(),
        })
    }

    /// Writes `bytes` at `path` (under `static/dist/`) with its hash in its name, records that
    /// `source_url` is now there, and returns its URL.
    fn put(&mut self, source_url: &str, path: &str, bytes: &[u8]) -> Result<String> {
        let hashed = hashed_name(path, bytes);
        let sizes = self.write(&hashed, bytes)?;
        let url = format!("/dist/{hashed}");
        self.urls.insert(source_url.to_string(), url.clone());
        self.sizes.insert(source_url.to_string(), sizes);
        Ok(url)
    }

    /// Writes `bytes` at `path` under `static/dist/`, with its brotli and gzip copies when
    /// worth it.
    fn write(&self, path: &str, bytes: &[u8]) -> Result<Sizes> {
        let target = self.root.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::write(&target, bytes).with_context(|| format!("cannot write {}", target.display()))?;
        let mut sizes = Sizes {
            raw: bytes.len(),
            brotli: bytes.len(),
            gzip: bytes.len(),
        };
        let extension = path.rsplit('.').next().unwrap_or_default();
        if bytes.len() < COMPRESS_FROM || !COMPRESSIBLE.contains(&extension) {
            return Ok(sizes);
        }
        let brotli = brotli(bytes)?;
        if brotli.len() < bytes.len() {
            sizes.brotli = brotli.len();
            write_beside(&target, "br", &brotli)?;
        }
        let gzip = gzip(bytes)?;
        if gzip.len() < bytes.len() {
            sizes.gzip = gzip.len();
            write_beside(&target, "gz", &gzip)?;
        }
        Ok(sizes)
    }

    /// The sizes of every file, as a Markdown table with their total.
    fn sizes_table(&self) -> String {
        let kib = |bytes: usize| format!("{:.1}", bytes as f64 / 1024.0);
        let mut table =
            String::from("| file | KiB | KiB as gzip | KiB as brotli |\n|---|---|---|---|\n");
        let mut total = Sizes::default();
        let mut files: Vec<_> = self.sizes.iter().collect();
        files.sort_by_key(|(_, sizes)| std::cmp::Reverse(sizes.raw));
        for (source, sizes) in files {
            let name = source.rsplit('/').next().unwrap_or(source);
            table.push_str(&format!(
                "| `{name}` | {} | {} | {} |\n",
                kib(sizes.raw),
                kib(sizes.gzip),
                kib(sizes.brotli)
            ));
            total.raw += sizes.raw;
            total.gzip += sizes.gzip;
            total.brotli += sizes.brotli;
        }
        table.push_str(&format!(
            "| all | {} | {} | {} |\n",
            kib(total.raw),
            kib(total.gzip),
            kib(total.brotli)
        ));
        table
    }

    /// `template` (static/index.html) naming the hashed files; fails when it names a file of
    /// Quai's that the build did not hash, which would then never be found.
    fn page(&self, template: &str) -> Result<String> {
        let mut page = template.to_string();
        for (source, url) in &self.urls {
            page = page.replace(&format!("\"{source}\""), &format!("\"{url}\""));
        }
        for attribute in ["src=\"", "href=\""] {
            for (at, _) in page.match_indices(attribute) {
                let value = &page[at + attribute.len()..];
                let value = &value[..value.find('"').unwrap_or(value.len())];
                if value.starts_with('/') && !self.urls.values().any(|url| url == value) {
                    bail!(
                        "static/index.html names {value}, which the build does not write: add it \
                         to the files of xtask/src/frontend.rs"
                    );
                }
            }
        }
        Ok(page)
    }
}

/// `path` with the first hex digits of the sha256 of `bytes` before its extension:
/// `vendor/xterm.js` → `vendor/xterm-0123456789abcdef.js`.
fn hashed_name(path: &str, bytes: &[u8]) -> String {
    let hash = hex::encode(Sha256::digest(bytes));
    let hash = &hash[..HASH_DIGITS];
    match path.rsplit_once('.') {
        Some((stem, extension)) if !stem.ends_with('/') => format!("{stem}-{hash}.{extension}"),
        _ => format!("{path}-{hash}"),
    }
}

fn file_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// `text` with its one occurrence of `from` replaced by `to`; fails when there is not exactly one.
fn replace_once(text: &str, from: &str, to: &str) -> Result<String> {
    match text.matches(from).count() {
        1 => Ok(text.replacen(from, to, 1)),
        n => bail!("expected {from} once, found it {n} times"),
    }
}

fn write_beside(target: &Path, extension: &str, bytes: &[u8]) -> Result<()> {
    let mut name = target.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    fs::write(&name, bytes).with_context(|| format!("cannot write {}", Path::new(&name).display()))
}

/// Brotli at its best (quality 11, a 4 MiB window).
fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        size_hint: bytes.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).context("brotli failed")?;
    Ok(out)
}

/// Gzip at its best (level 9).
fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_name_keeps_its_folder_and_extension() {
        let name = hashed_name("vendor/asciinema-player.min.js", b"x");
        let hash = &hex::encode(Sha256::digest(b"x"))[..HASH_DIGITS];
        assert_eq!(name, format!("vendor/asciinema-player.min-{hash}.js"));
        assert_eq!(
            hashed_name("quai_bg.wasm", b"x"),
            format!("quai_bg-{hash}.wasm")
        );
    }

    #[test]
    fn the_page_names_hashed_files_and_refuses_one_left_unhashed() {
        let mut dist = Dist {
            root: PathBuf::new(),
            urls: BTreeMap::new(),
            sizes: BTreeMap::new(),
        };
        dist.urls.insert(
            "/style.css".into(),
            "/dist/style-0123456789abcdef.css".into(),
        );
        let page = dist
            .page(r#"<link rel="stylesheet" href="/style.css"><a href="https://quai.example/">"#)
            .unwrap();
        assert_eq!(
            page,
            r#"<link rel="stylesheet" href="/dist/style-0123456789abcdef.css"><a href="https://quai.example/">"#
        );
        let err = dist
            .page(r#"<link href="/style.css"><script src="/new.js"></script>"#)
            .unwrap_err();
        assert!(err.to_string().contains("/new.js"), "{err}");
    }

    #[test]
    fn a_reference_is_rewritten_only_when_found_once() {
        assert_eq!(replace_once("a 'x' b", "'x'", "'y'").unwrap(), "a 'y' b");
        assert!(replace_once("a b", "'x'", "'y'").is_err());
        assert!(replace_once("'x' 'x'", "'x'", "'y'").is_err());
    }
}
