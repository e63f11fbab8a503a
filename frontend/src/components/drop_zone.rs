//! A place files and folders can be dropped on (a terminal, the files panel): while files
//! are dragged over it, an overlay (`data-test-id="drop-overlay"`) says where they will go;
//! a drop hands what was dropped, taken at once (the browser forgets it after the event), to
//! `on_drop`. Drags that carry no files (text, links) are left alone.

use yew::prelude::*;

use crate::services::transfer::{carries_files, Dropped};

#[derive(Properties, PartialEq)]
pub struct DropZoneProps {
    /// What the overlay says ("Drop to upload into /root").
    pub label: AttrValue,
    /// Called when files start being dragged over (to learn where they would go).
    #[prop_or_default]
    pub on_enter: Option<Callback<()>>,
    pub on_drop: Callback<Dropped>,
    #[prop_or_default]
    pub class: Classes,
    /// Set: drops are refused (the session is over).
    #[prop_or_default]
    pub disabled: bool,
    #[prop_or_default]
    pub children: Html,
}

#[function_component(DropZone)]
pub fn drop_zone(props: &DropZoneProps) -> Html {
    let over = use_state(|| false);
    let disabled = props.disabled;

    let ondragenter = {
        let (over, on_enter) = (over.clone(), props.on_enter.clone());
        Callback::from(move |event: DragEvent| {
            if disabled || !carries_files(&event) {
                return;
            }
            event.prevent_default();
            if !*over {
                over.set(true);
                if let Some(on_enter) = &on_enter {
                    on_enter.emit(());
                }
            }
        })
    };
    let ondragover = Callback::from(move |event: DragEvent| {
        if disabled || !carries_files(&event) {
            return;
        }
        // Allows the drop, and shows it as a copy.
        event.prevent_default();
        if let Some(dt) = event.data_transfer() {
            dt.set_drop_effect("copy");
        }
    });
    let ondragleave = {
        let over = over.clone();
        Callback::from(move |_: DragEvent| over.set(false))
    };
    let ondrop = {
        let (over, on_drop) = (over.clone(), props.on_drop.clone());
        Callback::from(move |event: DragEvent| {
            over.set(false);
            if disabled || !carries_files(&event) {
                return;
            }
            event.prevent_default();
            event.stop_propagation();
            let dropped = Dropped::take(&event);
            if !dropped.is_empty() {
                on_drop.emit(dropped);
            }
        })
    };

    html! {
        <div class={classes!("drop-zone", props.class.clone())} ondragenter={ondragenter} ondragover={ondragover.clone()}
            ondrop={ondrop.clone()}>
            { props.children.clone() }
            if *over {
                <div class="drop-overlay" data-test-id="drop-overlay" {ondragover} {ondragleave} {ondrop}>
                    <div class="drop-card">
                        <span class="drop-icon" aria-hidden="true">{ "↑" }</span>
                        <span class="drop-label">{ props.label.clone() }</span>
                    </div>
                </div>
            }
        </div>
    }
}
