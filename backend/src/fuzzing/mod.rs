//! Fuzz target bodies: one function per parser that meets outside input, taking the raw
//! bytes a fuzzer makes and checking what Quai promises of the result (sizes in range, paths
//! that stay inside, sanitized HTML), panicking when a promise breaks. The `fuzz/` crate
//! calls them under libFuzzer; `tests/fuzz_corpus.rs` feeds them the kept corpora.

mod files;
mod lessons;
mod socket;

pub use files::{upload_tar, workspace_archive};
pub use lessons::{killercoda_index, lesson_markdown, lesson_toml};
pub use socket::{client_msg, keeper_frames, socket_frame};

/// A target's body: panics when the input makes the parser break a promise.
pub type Body = fn(&[u8]);

/// Every fuzz target by name, as `fuzz/fuzz_targets/<name>.rs` and `fuzz/corpus/<name>/`.
pub const TARGETS: [(&str, Body); 9] = [
    ("socket_frame", socket_frame),
    ("keeper_frames", keeper_frames),
    ("client_msg", client_msg),
    ("upload_tar", upload_tar),
    ("workspace_archive", workspace_archive),
    ("lesson_toml", lesson_toml),
    ("lesson_markdown", lesson_markdown),
    ("killercoda_index", killercoda_index),
    ("image_archive", image_archive),
];

/// The image archive of `quai images import`: a checked archive names only the images its
/// digests vouch for.
pub fn image_archive(data: &[u8]) {
    if let Ok(checked) = crate::images::archive::check(data) {
        assert!(
            checked.verified > 0,
            "an archive was accepted without checking a digest"
        );
    }
}
