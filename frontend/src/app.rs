//! The routes of the app (browser history; the server answers every unknown path with
//! index.html) and the root component.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::pages::home::Home;
use crate::pages::not_found::NotFound;
use crate::pages::playground::Playground;

#[derive(Debug, Clone, PartialEq, Eq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    /// A playground session.
    #[at("/s/:id")]
    Playground { id: String },
    #[not_found]
    #[at("/404")]
    NotFound,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Home /> },
        // Keyed by id: going from one session to another starts the page afresh.
        Route::Playground { id } => html! { <Playground key={id.clone()} id={id.clone()} /> },
        Route::NotFound => html! { <NotFound /> },
    }
}

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <BrowserRouter>
            <Switch<Route> render={switch} />
        </BrowserRouter>
    }
}
