//! What failing tests reported, picked out of a test run's output, so that the summary at
//! the end of `cargo xtask test` can say it again below a long log.

/// Lines kept of one failing test's report.
const PER_TEST: usize = 40;

/// The reports of failing Rust tests in `cargo test` output: each `---- name stdout ----`
/// block (its panic message, without the server's log lines) and cargo's rerun hints.
pub fn cargo_tests(output: &str) -> Vec<String> {
    let mut picked = Vec::new();
    let mut kept = None;
    for line in output.lines() {
        let trimmed = line.trim_end();
        if trimmed.starts_with("---- ") && trimmed.ends_with(" ----") {
            picked.push(trimmed.to_string());
            kept = Some(0);
            continue;
        }
        if trimmed == "failures:" || trimmed.starts_with("test result:") {
            kept = None;
        }
        if trimmed.starts_with("error: test failed, to rerun pass") {
            picked.push(trimmed.to_string());
            continue;
        }
        if let Some(count) = kept.as_mut() {
            if *count < PER_TEST && !trimmed.is_empty() && !is_log_line(trimmed) {
                picked.push(format!("    {trimmed}"));
                *count += 1;
            }
        }
    }
    picked
}

/// The reports of failing browser tests in Node's TAP output: each `not ok` line with the
/// indented block under it (the error, expected and actual values, where it failed).
pub fn node_tests(output: &str) -> Vec<String> {
    let mut picked = Vec::new();
    let mut block: Option<(usize, usize)> = None;
    for line in output.lines() {
        let trimmed = line.trim_end();
        let indent = trimmed.len() - trimmed.trim_start().len();
        if trimmed.trim_start().starts_with("not ok ") {
            picked.push(trimmed.to_string());
            block = Some((indent, 0));
            continue;
        }
        if let Some((at, count)) = block.as_mut() {
            if indent > *at && !trimmed.trim_start().is_empty() {
                if *count < PER_TEST {
                    picked.push(trimmed.to_string());
                    *count += 1;
                }
            } else {
                block = None;
            }
        }
    }
    picked
}

/// A line of the server's own log (a `tracing` line), which a test prints in passing.
fn is_log_line(line: &str) -> bool {
    let plain = line.trim_start_matches("\u{1b}[2m");
    plain.len() > 20
        && plain.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && plain.as_bytes()[4] == b'-'
        && plain.as_bytes()[10] == b'T'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_rust_test_is_reported_with_its_panic_and_without_the_server_log() {
        let output = "\
running 2 tests
test one ... ok
test two ... FAILED

failures:

---- two stdout ----
\u{1b}[2m2026-12-05T12:50:51.839090Z\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m quai: Docker Engine reachable
2026-12-05T12:50:51.842166Z  INFO quai::store: database migrated
thread 'two' panicked at backend/tests/faults.rs:12:5:
the engine's disk has 900 MiB free

failures:
    two

test result: FAILED. 1 passed; 1 failed
error: test failed, to rerun pass `-p quai-backend --test faults`
";
        assert_eq!(
            cargo_tests(output),
            [
                "---- two stdout ----",
                "    thread 'two' panicked at backend/tests/faults.rs:12:5:",
                "    the engine's disk has 900 MiB free",
                "error: test failed, to rerun pass `-p quai-backend --test faults`",
            ]
        );
        assert!(cargo_tests("test one ... ok\ntest result: ok. 1 passed\n").is_empty());
    }

    #[test]
    fn a_failing_browser_test_is_reported_with_its_error_block() {
        let output = "\
ok 1 - a playground opens
not ok 2 - a flood stops at Ctrl-C
  ---
  duration_ms: 9608.08
  failureType: 'testCodeFailure'
  error: 'the prompt never came back'
  ...
ok 3 - the page loads
# tests 3
";
        assert_eq!(
            node_tests(output),
            [
                "not ok 2 - a flood stops at Ctrl-C",
                "  ---",
                "  duration_ms: 9608.08",
                "  failureType: 'testCodeFailure'",
                "  error: 'the prompt never came back'",
                "  ...",
            ]
        );
        assert!(node_tests("ok 1 - a\n# pass 1\n").is_empty());
    }
}
