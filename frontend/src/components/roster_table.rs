//! The live roster of a class, as its instructor's page shows it: one row per student (name
//! and raised hand, online / idle / gone, one cell per step of the lesson — passed, failed
//! with the last hint, not yet —, time on the current step, the stuck mark, the last hint),
//! and per row the instructor's buttons (lower the hand, reset the seat). The page reads
//! the roster; this component only draws it and reports what was clicked.

use quai_protocol::{Presence, Roster, SeatInfo, StepCell};
use yew::prelude::*;

use crate::i18n::{failed_checks, step_label, t, use_lang, Lang, Msg};
use crate::lesson::hint_for;

/// What the instructor asked of a row, by its seat id.
#[derive(Debug, Clone, PartialEq)]
pub enum RowAction {
    LowerHand(String),
    Reset(String),
}

#[derive(Properties, PartialEq)]
pub struct RosterTableProps {
    pub roster: Roster,
    pub on_action: Callback<RowAction>,
    /// Seats with an action going on (their buttons are disabled meanwhile).
    #[prop_or_default]
    pub busy: Vec<String>,
}

fn presence(lang: Lang, presence: Presence) -> (&'static str, &'static str) {
    match presence {
        Presence::Online => ("online", t(lang, Msg::PresenceOnline)),
        Presence::Idle => ("idle", t(lang, Msg::PresenceIdle)),
        Presence::Gone => ("gone", t(lang, Msg::PresenceGone)),
    }
}

/// "4:07", "1:02:05".
fn duration(secs: u64) -> String {
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

fn cell(lang: Lang, number: u16, cell: &StepCell) -> Html {
    let label = step_label(lang, number);
    match cell {
        StepCell::Passed { .. } => html! {
            <td class="step-cell step-passed" data-test-id="step-cell" data-state="passed"
                title={format!("{label}: {}", t(lang, Msg::StepPassed))}>{ "✓" }</td>
        },
        StepCell::Failed { failures, hint, .. } => html! {
            <td class="step-cell step-failed" data-test-id="step-cell" data-state="failed"
                title={format!("{label}: {} — {}", failed_checks(lang, *failures), hint_for(lang, hint))}>
                { format!("✗{failures}") }
            </td>
        },
        StepCell::NotYet => html! {
            <td class="step-cell step-not-yet" data-test-id="step-cell" data-state="not_yet"
                title={format!("{label}: {}", t(lang, Msg::StepNotYet))}>{ "·" }</td>
        },
    }
}

/// The last hint of the seat's current step, in `lang` when the lesson wrote it in both.
fn last_hint(lang: Lang, seat: &SeatInfo, steps: &[u16]) -> Option<String> {
    let current = seat.current_step?;
    let index = steps.iter().position(|n| *n == current)?;
    match seat.steps.get(index)? {
        StepCell::Failed { hint, .. } if !hint.is_empty() => Some(hint_for(lang, hint)),
        _ => None,
    }
}

#[function_component(RosterTable)]
pub fn roster_table(props: &RosterTableProps) -> Html {
    let lang = use_lang();
    let roster = &props.roster;
    if roster.seats.is_empty() {
        return html! { <p class="muted" data-test-id="no-students">{ t(lang, Msg::NoStudents) }</p> };
    }
    let has_lesson = !roster.steps.is_empty();
    html! {
        <div class="roster-scroll">
        <table class="roster" data-test-id="roster">
            <thead><tr>
                <th>{ t(lang, Msg::RosterStudent) }</th>
                <th>{ t(lang, Msg::RosterPresence) }</th>
                { for roster.steps.iter().map(|n| html! {
                    <th class="step-head" title={step_label(lang, *n)}>{ n }</th>
                }) }
                if has_lesson {
                    <th>{ t(lang, Msg::RosterOnStep) }</th>
                    <th>{ t(lang, Msg::RosterHint) }</th>
                }
                <th></th>
            </tr></thead>
            <tbody>
                { for roster.seats.iter().map(|seat| {
                    let (presence_class, presence_label) = presence(lang, seat.presence);
                    let hand = seat.hand_raised_at.is_some();
                    let busy = props.busy.contains(&seat.seat);
                    let lower = {
                        let (on_action, id) = (props.on_action.clone(), seat.seat.clone());
                        Callback::from(move |_: MouseEvent| on_action.emit(RowAction::LowerHand(id.clone())))
                    };
                    let reset = {
                        let (on_action, id) = (props.on_action.clone(), seat.seat.clone());
                        Callback::from(move |_: MouseEvent| {
                            let confirmed = gloo::utils::window()
                                .confirm_with_message(t(lang, Msg::ResetSeatConfirm))
                                .unwrap_or(false);
                            if confirmed {
                                on_action.emit(RowAction::Reset(id.clone()));
                            }
                        })
                    };
                    let row_class = classes!(
                        "roster-row",
                        hand.then_some("row-hand"),
                        seat.stuck.then_some("row-stuck"),
                        (seat.presence == Presence::Gone).then_some("row-gone"),
                    );
                    html! {
                        <tr class={row_class} key={seat.seat.clone()} data-test-id="roster-row"
                            data-seat={seat.seat.clone()} data-hand={hand.to_string()} data-stuck={seat.stuck.to_string()}>
                            <td class="roster-name">
                                <span data-test-id="roster-name">{ seat.name.clone() }</span>
                                if hand {
                                    <span class="badge badge-hand" data-test-id="hand-raised" >{ t(lang, Msg::HandUp) }</span>
                                }
                                if seat.stuck {
                                    <span class="badge badge-stuck" data-test-id="stuck">{ t(lang, Msg::Stuck) }</span>
                                }
                            </td>
                            <td><span class={classes!("presence", format!("presence-{presence_class}"))}
                                data-test-id="presence" data-presence={presence_class}>{ presence_label }</span></td>
                            { for roster.steps.iter().zip(seat.steps.iter()).map(|(n, c)| cell(lang, *n, c)) }
                            if has_lesson {
                                <td class="roster-on-step" data-test-id="on-step">
                                    { match seat.current_step {
                                        Some(step) => format!("{} · {}", step_label(lang, step), duration(seat.on_step_secs)),
                                        None => t(lang, Msg::AllStepsDone).to_string(),
                                    } }
                                </td>
                                <td class="roster-hint" data-test-id="last-hint">
                                    { last_hint(lang, seat, &roster.steps).unwrap_or_default() }
                                </td>
                            }
                            <td class="roster-actions">
                                if hand {
                                    <button class="button button-small" type="button" data-test-id="lower-hand"
                                        disabled={busy} onclick={lower}>{ t(lang, Msg::LowerHand) }</button>
                                }
                                if seat.live {
                                    <button class="button button-small" type="button" data-test-id="reset-seat"
                                        disabled={busy} onclick={reset}>{ t(lang, Msg::ResetSeat) }</button>
                                }
                            </td>
                        </tr>
                    }
                }) }
            </tbody>
        </table>
        </div>
    }
}
