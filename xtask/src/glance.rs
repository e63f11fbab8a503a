//! "The aims at a glance" of docs/BENCHMARKS.md: every verdict the page's sections give
//! (`**met**`, `**not met**`), gathered under the page's title with the section that says it,
//! rebuilt whenever the page or one of its sections is written, so it never says more than the
//! figures below it.

/// The heading of the gathered verdicts.
pub const HEADING: &str = "## The aims at a glance";

/// `page` with its glance (re)built from its sections, placed after the title's paragraph.
pub fn with_glance(page: &str) -> String {
    let page = without_glance(page);
    let page = page.trim_end();
    let verdicts = verdicts(page);
    if verdicts.is_empty() {
        return format!("{page}\n");
    }
    let mut glance = format!(
        "{HEADING}\n\nEvery verdict the sections below give, gathered here; each section says how \
         it was measured and, where an aim is not met, what was measured of the reason.\n\n"
    );
    for (section, verdict) in verdicts {
        glance.push_str(&format!("- {section}: {verdict}\n"));
    }
    // After the title and its paragraph: before the first section.
    match page.find("\n## ") {
        Some(first) => format!("{}{glance}\n{}\n", &page[..first + 1], &page[first + 1..]),
        None => format!("{page}\n\n{glance}"),
    }
}

/// `page` without its glance, if it has one.
fn without_glance(page: &str) -> String {
    let Some(start) = page.find(&format!("{HEADING}\n")) else {
        return page.to_string();
    };
    let end = page[start..]
        .find("\n## ")
        .map_or(page.len(), |next| start + next + 1);
    format!("{}{}", &page[..start], &page[end..])
}

/// Each verdict of `page`, with the section it is in: a list item as it is, a table row as
/// its first cell and the cell that holds the verdict, a line that starts "The aim" as it is.
fn verdicts(page: &str) -> Vec<(String, String)> {
    let mut section = String::new();
    let mut found = Vec::new();
    // The cells of the last table's header row.
    let mut header: Vec<String> = Vec::new();
    let mut previous = "";
    for line in page.lines() {
        let before = std::mem::replace(&mut previous, line);
        if let Some(heading) = line.strip_prefix("## ") {
            section = heading.trim().to_string();
            continue;
        }
        if line.starts_with("|---") {
            header = cells(before).into_iter().map(str::to_string).collect();
            continue;
        }
        if !line.contains("**met**") && !line.contains("**not met**") {
            continue;
        }
        let verdict = if let Some(item) = line.strip_prefix("- ") {
            item.trim().to_string()
        } else if line.starts_with('|') {
            let cells = cells(line);
            let Some(column) = cells.iter().position(|c| c.contains("met**")) else {
                continue;
            };
            match header.get(column) {
                Some(name) => format!("{} ({name}): {}", cells[0], cells[column]),
                None => format!("{}: {}", cells[0], cells[column]),
            }
        } else if line.starts_with("The aim") {
            line.trim().to_string()
        } else {
            continue;
        };
        found.push((section.clone(), verdict));
    }
    found
}

/// The cells of a Markdown table row.
fn cells(row: &str) -> Vec<&str> {
    row.trim()
        .trim_matches('|')
        .split(" | ")
        .map(str::trim)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "# Benchmarks\n\nWritten by a bench.\n\n## One\n\n- echo within 1 ms: 0.3 ms, **met**\n\
                        - not an aim\n\n## Two\n\n| fault | p99 | ratio | notes |\n|---|---|---|---|\n\
                        | a flood | 3.0 | 9.00× (**not met**; the raw TTY slowed as much) | x |\n\n\
                        The aim, a click within 150 ms: 124 ms, **met**.\n\nSome prose that says **met** in passing.\n";

    #[test]
    fn the_glance_gathers_every_verdict_with_its_section() {
        let page = with_glance(PAGE);
        assert!(page.starts_with(&format!(
            "# Benchmarks\n\nWritten by a bench.\n\n{HEADING}\n"
        )));
        let glance = page.split("\n## One").next().unwrap();
        assert!(glance.contains("- One: echo within 1 ms: 0.3 ms, **met**\n"));
        assert!(glance
            .contains("- Two: a flood (ratio): 9.00× (**not met**; the raw TTY slowed as much)\n"));
        assert!(glance.contains("- Two: The aim, a click within 150 ms: 124 ms, **met**.\n"));
        assert!(!glance.contains("not an aim"));
        assert!(!glance.contains("in passing"));
        // The sections themselves are untouched.
        assert!(page.ends_with(&PAGE["# Benchmarks\n\nWritten by a bench.\n\n".len()..]));
    }

    #[test]
    fn the_glance_is_rebuilt_not_repeated() {
        let once = with_glance(PAGE);
        assert_eq!(with_glance(&once), once);
        let changed = once.replace("0.3 ms, **met**", "1.3 ms, **not met**");
        let again = with_glance(&changed);
        assert_eq!(again.matches(HEADING).count(), 1);
        assert!(again.contains("- One: echo within 1 ms: 1.3 ms, **not met**\n"));
        assert!(!again.contains("0.3 ms"));
    }

    #[test]
    fn the_benchmarks_page_glance_says_what_its_sections_say() {
        crate::shell::enter_project_root().unwrap();
        let page = std::fs::read_to_string("docs/BENCHMARKS.md").unwrap();
        assert!(
            with_glance(&page) == page,
            "docs/BENCHMARKS.md's glance differs from its sections' verdicts: it is written by \
             `cargo xtask bench`, never by hand"
        );
    }

    #[test]
    fn a_page_without_verdicts_has_no_glance() {
        let page = "# Benchmarks\n\nWritten.\n\n## One\n\nfigures\n";
        assert_eq!(with_glance(page), page);
    }
}
