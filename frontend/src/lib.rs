//! Browser entry: hydrates the server-rendered page. Routes are lazy (see `ops_app::routes`),
//! so hydration waits for the current route's WASM chunk before it walks the page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(body) = leptos::prelude::document().body() else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        leptos::mount::hydrate_from_async(body, ops_app::App)
            .await
            .forget();
        ops_app::browser::mark_hydrated();
    });
}
