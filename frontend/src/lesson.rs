//! Where a student stands in a lesson: its pages in order (the introduction, each step, the
//! finish), which of them are open, where to resume, and where to go after a passed check.
//! Pure data over a `LessonView`: nothing here touches the browser.
//!
//! With `unlock = "in_order"`, a step opens once every checked step before it has passed, and
//! the finish once every checked step has; steps without a check never hold anyone back.
//! With `unlock = "free"`, every page is open.

use quai_protocol::{Lang, LessonView, Unlock};

/// A page of a lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    Intro,
    /// A step, by its 1-based number.
    Step(u16),
    Finish,
}

impl Place {
    /// The `data-test-id` suffix of its navigation button: `intro`, `step-2`, `finish`.
    pub fn test_id(self) -> String {
        match self {
            Place::Intro => "intro".to_string(),
            Place::Step(n) => format!("step-{n}"),
            Place::Finish => "finish".to_string(),
        }
    }
}

/// Every page of `view`, in order.
pub fn places(view: &LessonView) -> Vec<Place> {
    std::iter::once(Place::Intro)
        .chain(view.steps.iter().map(|s| Place::Step(s.number)))
        .chain(std::iter::once(Place::Finish))
        .collect()
}

/// Whether the student may open `place`, having passed the steps `passed`.
pub fn is_open(view: &LessonView, passed: &[u16], place: Place) -> bool {
    if view.unlock == Unlock::Free {
        return true;
    }
    let before = |limit: Option<u16>| {
        view.steps
            .iter()
            .filter(|s| s.checked && limit.is_none_or(|n| s.number < n))
            .all(|s| passed.contains(&s.number))
    };
    match place {
        Place::Intro => true,
        Place::Step(n) => view.steps.iter().any(|s| s.number == n) && before(Some(n)),
        Place::Finish => before(None),
    }
}

/// Whether step `n` has passed.
pub fn is_passed(passed: &[u16], place: Place) -> bool {
    matches!(place, Place::Step(n) if passed.contains(&n))
}

/// Where a student who comes back to a running lesson starts: step 1 when nothing has passed
/// yet, else the first checked step not passed, else the finish.
pub fn resume(view: &LessonView, passed: &[u16]) -> Place {
    let Some(first) = view.steps.first() else {
        return Place::Finish;
    };
    if passed.is_empty() {
        return Place::Step(first.number);
    }
    view.steps
        .iter()
        .find(|s| s.checked && !passed.contains(&s.number))
        .map_or(Place::Finish, |s| Place::Step(s.number))
}

/// The page after `place`, if any.
pub fn next(view: &LessonView, place: Place) -> Option<Place> {
    let all = places(view);
    let index = all.iter().position(|p| *p == place)?;
    all.get(index + 1).copied()
}

/// The page before `place`, if any.
pub fn previous(view: &LessonView, place: Place) -> Option<Place> {
    let all = places(view);
    let index = all.iter().position(|p| *p == place)?;
    index.checked_sub(1).and_then(|i| all.get(i).copied())
}

/// Where "Next" leads from `place`, when it may be followed: the next page if it is open.
pub fn next_open(view: &LessonView, passed: &[u16], place: Place) -> Option<Place> {
    next(view, place).filter(|p| is_open(view, passed, *p))
}

/// Whether `place` is a step with a check.
pub fn is_checked(view: &LessonView, place: Place) -> bool {
    matches!(place, Place::Step(n) if view.steps.iter().any(|s| s.number == n && s.checked))
}

/// How many steps have passed, of how many with a check (for "2/5 passed").
pub fn progress(view: &LessonView, passed: &[u16]) -> (u16, u16) {
    let checked = view.steps.iter().filter(|s| s.checked);
    let total = checked.clone().count() as u16;
    let done = checked.filter(|s| passed.contains(&s.number)).count() as u16;
    (done, total)
}

/// A check's output for a student reading `lang`. A line written as lessons/README.md asks,
/// "One sentence in English. / Une phrase en français.", keeps only the sentence in `lang`;
/// every other line (what a command printed) stays as it is.
pub fn hint_for(lang: Lang, output: &str) -> String {
    let sentence = |s: &str| {
        let s = s.trim();
        !s.is_empty() && s.ends_with(['.', '!', '?', '…'])
    };
    output
        .lines()
        .map(|line| match line.split(" / ").collect::<Vec<_>>()[..] {
            [en, fr] if sentence(en) && sentence(fr) => match lang {
                Lang::En => en.trim().to_string(),
                Lang::Fr => fr.trim().to_string(),
            },
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use quai_protocol::{LessonSummary, Page, Profile, StepView};

    fn page(title: &str) -> Page {
        Page {
            title: title.into(),
            html: String::new(),
            lang: Lang::En,
        }
    }

    /// Steps 1 to 4; step 3 has no check.
    fn view(unlock: Unlock) -> LessonView {
        LessonView {
            summary: LessonSummary {
                slug: "l".into(),
                title: "L".into(),
                summary: String::new(),
                lang: Lang::En,
                langs: vec![Lang::En],
                duration: 10,
                profile: Profile::Shell,
                nodes: 1,
                steps: 4,
                passed: 0,
                missing_images: vec![],
            },
            intro: page("intro"),
            steps: (1..=4)
                .map(|number| StepView {
                    number,
                    page: page("step"),
                    checked: number != 3,
                })
                .collect(),
            finish: page("finish"),
            unlock,
            passed: vec![],
        }
    }

    #[test]
    fn in_order_steps_open_once_the_checked_ones_before_them_pass() {
        let v = view(Unlock::InOrder);
        assert!(is_open(&v, &[], Place::Intro));
        assert!(is_open(&v, &[], Place::Step(1)));
        assert!(!is_open(&v, &[], Place::Step(2)));
        assert!(is_open(&v, &[1], Place::Step(2)));
        // Step 3 has no check: step 4 opens once step 2 passes.
        assert!(is_open(&v, &[1, 2], Place::Step(3)));
        assert!(is_open(&v, &[1, 2], Place::Step(4)));
        assert!(!is_open(&v, &[1, 2], Place::Finish));
        assert!(is_open(&v, &[1, 2, 4], Place::Finish));
        assert!(!is_open(&v, &[1, 2, 4], Place::Step(9)));
    }

    #[test]
    fn free_lessons_open_every_page() {
        let v = view(Unlock::Free);
        assert!(is_open(&v, &[], Place::Step(4)));
        assert!(is_open(&v, &[], Place::Finish));
        assert_eq!(next_open(&v, &[], Place::Step(1)), Some(Place::Step(2)));
    }

    #[test]
    fn students_resume_at_the_first_step_left_to_pass() {
        let v = view(Unlock::InOrder);
        assert_eq!(resume(&v, &[]), Place::Step(1));
        assert_eq!(resume(&v, &[1]), Place::Step(2));
        assert_eq!(resume(&v, &[1, 2]), Place::Step(4));
        assert_eq!(resume(&v, &[1, 2, 4]), Place::Finish);
    }

    #[test]
    fn pages_follow_each_other_and_next_waits_for_the_check() {
        let v = view(Unlock::InOrder);
        assert_eq!(places(&v).len(), 6);
        assert_eq!(next(&v, Place::Intro), Some(Place::Step(1)));
        assert_eq!(next(&v, Place::Step(4)), Some(Place::Finish));
        assert_eq!(next(&v, Place::Finish), None);
        assert_eq!(previous(&v, Place::Step(1)), Some(Place::Intro));
        assert_eq!(previous(&v, Place::Intro), None);
        assert_eq!(next_open(&v, &[], Place::Step(1)), None);
        assert_eq!(next_open(&v, &[1], Place::Step(1)), Some(Place::Step(2)));
        assert!(is_checked(&v, Place::Step(2)));
        assert!(!is_checked(&v, Place::Step(3)));
        assert!(!is_checked(&v, Place::Finish));
        assert_eq!(progress(&v, &[1, 3]), (1, 3));
        assert!(is_passed(&[2], Place::Step(2)));
        assert_eq!(Place::Step(2).test_id(), "step-2");
    }

    #[test]
    fn bilingual_hints_show_the_students_language() {
        let out = "No container named web yet. / Aucun conteneur nommé web.\nExpected 3 / got 2\n/tmp / /var";
        assert_eq!(
            hint_for(Lang::En, out),
            "No container named web yet.\nExpected 3 / got 2\n/tmp / /var"
        );
        assert_eq!(
            hint_for(Lang::Fr, out),
            "Aucun conteneur nommé web.\nExpected 3 / got 2\n/tmp / /var"
        );
    }
}
