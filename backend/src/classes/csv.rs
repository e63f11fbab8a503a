//! A class's progress as CSV (RFC 4180), one row per student and, per step of the lesson,
//! when it passed and how many checks failed before; times in UTC (ISO 8601). Cells a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return) are prefixed with `'`.

use quai_protocol::StepCell;

use super::roster::{progress, seat_id};
use super::{Class, Classes};
use crate::session::unix_now;
use crate::store::StoreError;

/// One cell, made safe for spreadsheets and quoted when it must be.
pub fn cell(text: &str) -> String {
    let text = match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// A line of cells, ended with CRLF.
pub fn line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = cells
        .iter()
        .map(|c| cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// Unix time `secs` as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

impl Classes {
    /// The progress of `class`'s students as CSV.
    pub async fn progress_csv(&self, class: &Class) -> Result<String, StoreError> {
        let steps = self.steps_of(class);
        let seats = self.seats_with_work(class).await?;
        let now = unix_now();
        let mut header = vec!["student".to_string(), "seat".into(), "joined".into()];
        for step in &steps {
            header.push(format!("step {} passed", step.number));
            header.push(format!("step {} failed checks", step.number));
        }
        let mut out = line(&header);
        for (seat, work) in seats {
            let joined_at = seat.joined_at.unwrap_or_default();
            let progress = progress(&steps, &work, joined_at, now);
            let mut row = vec![
                seat.name.clone().unwrap_or_default(),
                seat_id(&seat.session),
                utc(joined_at),
            ];
            for (step, cell) in steps.iter().zip(progress.cells) {
                let failures = work
                    .checks
                    .iter()
                    .filter(|c| c.step == step.number && !c.passed)
                    .count();
                row.push(match cell {
                    StepCell::Passed { at } => utc(at),
                    _ => String::new(),
                });
                row.push(failures.to_string());
            }
            out.push_str(&line(&row));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("Grace"), "Grace");
        assert_eq!(cell("Hopper, Grace"), "\"Hopper, Grace\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(line(&["a", "b"]), "a,b\r\n");
    }

    #[test]
    fn times_are_utc_iso_8601() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
