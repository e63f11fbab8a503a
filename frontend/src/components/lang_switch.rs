//! The language switch of the header (`data-test-id="lang-switch"`): one button per language
//! Quai speaks (`lang-en`, `lang-fr`), the current one pressed. The choice is remembered by
//! the browser and applies to the whole interface and to lessons.

use yew::prelude::*;

use crate::i18n::{lang_name, t, Lang, LangCtx, Msg};

#[function_component(LangSwitch)]
pub fn lang_switch() -> Html {
    let Some(ctx) = use_context::<LangCtx>() else {
        return html! {};
    };
    let buttons = Lang::ALL.into_iter().map(|lang| {
        let active = lang == ctx.lang;
        let onclick = {
            let set = ctx.set.clone();
            Callback::from(move |_: MouseEvent| set.emit(lang))
        };
        html! {
            <button type="button" class={classes!("lang-option", active.then_some("lang-active"))}
                data-test-id={format!("lang-{}", lang.code())} lang={lang.code()}
                title={lang_name(lang)} aria-label={lang_name(lang)} aria-pressed={active.to_string()}
                {onclick}>
                { lang.code().to_uppercase() }
            </button>
        }
    });
    html! {
        <div class="lang-switch" role="group" aria-label={t(ctx.lang, Msg::LanguageLabel)}
            data-test-id="lang-switch" data-lang={ctx.lang.code()}>
            { for buttons }
        </div>
    }
}
