//! The routes of the app (browser history; the server answers every unknown path with
//! index.html) and the root component, which holds the page's language (`i18n::LangCtx`).

use yew::prelude::*;
use yew_router::prelude::*;

use crate::i18n::{self, Lang, LangCtx};
use crate::pages::class_page::ClassPage;
use crate::pages::home::Home;
use crate::pages::join::Join;
use crate::pages::lesson::LessonIntro;
use crate::pages::not_found::NotFound;
use crate::pages::playground::Playground;
use crate::pages::teach::Teach;
use crate::pages::try_page::TryPage;
use crate::pages::welcome::Welcome;
use crate::services::prefs;

#[derive(Debug, Clone, PartialEq, Eq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    /// A playground session.
    #[at("/s/:id")]
    Playground { id: String },
    /// A lesson's first page, with the button that starts it.
    #[at("/lessons/:slug")]
    Lesson { slug: String },
    /// A lesson under way: its text beside the terminals of its session.
    #[at("/lessons/:slug/:session")]
    LessonSession { slug: String, session: String },
    /// A shareable "try an image" link: `/try/nginx`, `/try/python:3`, `/try/docker/whalesay`.
    #[at("/try/*image")]
    Try { image: String },
    /// Joining a class by its code.
    #[at("/join")]
    Join,
    /// A class's join address: the code prefilled.
    #[at("/join/:code")]
    JoinCode { code: String },
    /// The instructor's page: sign-in, then their classes.
    #[at("/teach")]
    Teach,
    /// An instructor's one-time sign-in link (`#TOKEN`).
    #[at("/teach/welcome")]
    Welcome,
    /// One class as its instructor runs it: the live roster and the controls.
    #[at("/teach/classes/:id")]
    Class { id: String },
    #[not_found]
    #[at("/404")]
    NotFound,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Home /> },
        // Keyed by id: going from one session to another starts the page afresh.
        Route::Playground { id } => html! { <Playground key={id.clone()} id={id.clone()} /> },
        Route::Lesson { slug } => html! { <LessonIntro key={slug.clone()} slug={slug.clone()} /> },
        // Keyed apart from `/s/{id}`: a playground address that turns out to hold a lesson
        // comes here and starts afresh, beside the lesson.
        Route::LessonSession { slug, session } => html! {
            <Playground key={format!("{slug}/{session}")} id={session.clone()} lesson={Some(AttrValue::from(slug.clone()))} />
        },
        Route::Try { image } => html! { <TryPage key={image.clone()} image={image.clone()} /> },
        Route::Join => html! { <Join /> },
        Route::JoinCode { code } => html! { <Join key={code.clone()} code={code.clone()} /> },
        Route::Teach => html! { <Teach /> },
        Route::Welcome => html! { <Welcome /> },
        Route::Class { id } => html! { <ClassPage key={id.clone()} id={id.clone()} /> },
        Route::NotFound => html! { <NotFound /> },
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let lang = use_state(|| {
        let lang = i18n::choose(prefs::lang().as_deref(), &i18n::browser_langs());
        i18n::apply(lang);
        lang
    });
    let set = {
        let lang = lang.clone();
        Callback::from(move |chosen: Lang| {
            prefs::set_lang(chosen.code());
            i18n::apply(chosen);
            lang.set(chosen);
        })
    };
    let ctx = LangCtx { lang: *lang, set };
    html! {
        <ContextProvider<LangCtx> context={ctx}>
            <BrowserRouter>
                <Switch<Route> render={switch} />
            </BrowserRouter>
        </ContextProvider<LangCtx>>
    }
}
