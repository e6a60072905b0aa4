//! Browser-only calls (clipboard, confirm, theme, time zone, EventSource, ECharts) in one place.
//! Under `ssr` these are inert: they are only ever called from event handlers and effects,
//! which do not run on the server.

#[cfg(feature = "hydrate")]
mod imp {
    use charming::{Chart, Echarts, WasmRenderer};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{EventSource, MessageEvent};

    pub fn copy_to_clipboard(text: &str) {
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(text);
        }
    }

    /// Marks the page as interactive (`<html data-hydrated>`), for browser tests and CSS.
    pub fn mark_hydrated() {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = el.set_attribute("data-hydrated", "");
        }
    }

    /// The file chosen in the `<input type=file>` that fired `ev`.
    fn chosen_file(ev: &leptos::ev::Event) -> Option<web_sys::File> {
        ev.target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
    }

    /// Reads the file chosen in the `<input type=file>` that fired `ev`, then calls `done`
    /// with its text (or an error message).
    pub fn read_chosen_file(
        ev: &leptos::ev::Event,
        done: impl FnOnce(Result<String, String>) + 'static,
    ) {
        let file = chosen_file(ev);
        let Some(file) = file else {
            return;
        };
        wasm_bindgen_futures::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            done(match text {
                Ok(v) => v
                    .as_string()
                    .ok_or_else(|| "the file is not text".to_string()),
                Err(_) => Err("the file could not be read".to_string()),
            });
        });
    }

    /// POSTs the file chosen in the `<input type=file>` that fired `ev` as the body of a
    /// request to `url` (with the session cookie); `done` gets the response text, or the
    /// API error's message.
    pub fn upload_chosen_file(
        ev: &leptos::ev::Event,
        url: &str,
        done: impl FnOnce(Result<String, String>) + 'static,
    ) {
        let file = chosen_file(ev);
        let (Some(file), Some(window)) = (file, web_sys::window()) else {
            return;
        };
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&file);
        let request = window.fetch_with_str_and_init(url, &init);
        wasm_bindgen_futures::spawn_local(async move {
            let Ok(resp) = wasm_bindgen_futures::JsFuture::from(request).await else {
                return done(Err("the upload failed; check the connection".into()));
            };
            let Ok(resp) = resp.dyn_into::<web_sys::Response>() else {
                return done(Err("the upload failed".into()));
            };
            let text = match resp.text() {
                Ok(p) => wasm_bindgen_futures::JsFuture::from(p)
                    .await
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default(),
                Err(_) => String::new(),
            };
            if resp.ok() {
                done(Ok(text))
            } else {
                let message = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("the upload failed ({})", resp.status()));
                done(Err(message))
            }
        });
    }

    /// Calls `window.opsCard[method](...args)` from `/card.js` (loaded on first use), which
    /// returns a promise; `done` gets its string result or the error's message.
    pub fn card_call(
        method: &'static str,
        args: Vec<String>,
        done: impl FnOnce(Result<String, String>) + 'static,
    ) {
        wasm_bindgen_futures::spawn_local(async move {
            let result = async {
                let w = web_sys::window().ok_or("no window")?;
                if !js_sys::Reflect::has(&w, &"opsCard".into()).unwrap_or(false) {
                    let doc = w.document().ok_or("no document")?;
                    let script = doc.create_element("script").map_err(|_| "no script")?;
                    script
                        .set_attribute("src", "/card.js")
                        .map_err(|_| "no src")?;
                    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
                        let _ = script.add_event_listener_with_callback("load", &resolve);
                        let _ = script.add_event_listener_with_callback("error", &reject);
                    });
                    doc.head()
                        .ok_or("no head")?
                        .append_child(&script)
                        .map_err(|_| "no head")?;
                    wasm_bindgen_futures::JsFuture::from(loaded)
                        .await
                        .map_err(|_| "the card form could not be loaded")?;
                }
                let api = js_sys::Reflect::get(&w, &"opsCard".into()).map_err(|_| "no opsCard")?;
                let f: js_sys::Function = js_sys::Reflect::get(&api, &method.into())
                    .ok()
                    .and_then(|f| f.dyn_into().ok())
                    .ok_or("no such card call")?;
                let list = js_sys::Array::new();
                for a in &args {
                    list.push(&a.into());
                }
                let promise: js_sys::Promise = f
                    .apply(&api, &list)
                    .ok()
                    .and_then(|p| p.dyn_into().ok())
                    .ok_or("the card call failed")?;
                Ok::<_, &str>(wasm_bindgen_futures::JsFuture::from(promise).await)
            }
            .await;
            done(match result {
                Ok(Ok(v)) => Ok(v.as_string().unwrap_or_default()),
                Ok(Err(e)) => Err(js_sys::Reflect::get(&e, &"message".into())
                    .ok()
                    .and_then(|m| m.as_string())
                    .unwrap_or_else(|| "the card could not be saved".into())),
                Err(m) => Err(m.to_string()),
            });
        });
    }

    /// A full page load of `path` (not a client-side route change).
    pub fn go_to(path: &str) {
        if let Some(w) = web_sys::window() {
            let _ = w.location().set_href(path);
        }
    }

    /// Loads the current page again.
    pub fn reload() {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    }

    /// A fresh `Idempotency-Key` for one money-moving submission.
    pub fn request_key() -> String {
        format!(
            "ui-{}-{:012}",
            js_sys::Date::now() as u64,
            (js_sys::Math::random() * 1e12) as u64
        )
    }

    pub fn confirm(message: &str) -> bool {
        web_sys::window()
            .and_then(|w| w.confirm_with_message(message).ok())
            .unwrap_or(false)
    }

    /// The browser's IANA time zone, e.g. `Europe/Berlin`.
    pub fn browser_timezone() -> Option<String> {
        let format =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
        js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
            .ok()
            .and_then(|v| v.as_string())
    }

    pub fn current_theme() -> String {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|e| e.get_attribute("data-theme"))
            .unwrap_or_else(|| "light".into())
    }

    pub fn set_theme(theme: &str) {
        let Some(w) = web_sys::window() else { return };
        if let Some(el) = w.document().and_then(|d| d.document_element()) {
            let _ = el.set_attribute("data-theme", theme);
        }
        if let Ok(Some(storage)) = w.local_storage() {
            let _ = storage.set_item("ops-theme", theme);
        }
    }

    /// An open EventSource; closed when dropped.
    pub struct Follow {
        source: EventSource,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
        _on_error: Closure<dyn FnMut(web_sys::Event)>,
    }

    impl Drop for Follow {
        fn drop(&mut self) {
            self.source.close();
        }
    }

    /// Follows `url`, calling `on_data` with each `event` message and `on_state(true/false)`
    /// as the connection opens or drops (the browser reconnects by itself).
    pub fn follow(
        url: &str,
        event: &str,
        mut on_data: impl FnMut(String) + 'static,
        on_state: impl Fn(bool) + 'static,
    ) -> Option<Follow> {
        let source = EventSource::new(url).ok()?;
        let on_state = std::rc::Rc::new(on_state);
        let opened = on_state.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            opened(true);
            if let Some(text) = e.data().as_string() {
                on_data(text);
            }
        });
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| on_state(false));
        source
            .add_event_listener_with_callback(event, on_message.as_ref().unchecked_ref())
            .ok()?;
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some(Follow {
            source,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Adds `<script src="/echarts.min.js">` to the page once; only pages with charts call it.
    pub fn load_echarts() {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if doc.get_element_by_id("echarts-script").is_some() {
            return;
        }
        if let (Ok(script), Some(head)) = (doc.create_element("script"), doc.head()) {
            script.set_id("echarts-script");
            let _ = script.set_attribute("src", "/echarts.min.js");
            let _ = head.append_child(&script);
        }
    }

    /// True once `/echarts.min.js` has loaded.
    fn echarts_ready() -> bool {
        web_sys::window()
            .is_some_and(|w| js_sys::Reflect::has(&w, &"echarts".into()).unwrap_or(false))
    }

    /// True once ECharts has loaded and `#id` is in the document (after a client-side
    /// navigation, effects can run before the new view is attached).
    pub fn chart_ready(id: &str) -> bool {
        echarts_ready()
            && web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(id))
                .is_some()
    }

    /// A chart drawn into the element with an id.
    pub struct ChartHandle(Echarts);

    /// Draws `chart` into `#id`, or updates the chart already there.
    pub fn draw_chart(id: &str, chart: &Chart, handle: &mut Option<ChartHandle>) {
        match handle {
            Some(h) => WasmRenderer::update(&h.0, chart),
            None => {
                if !echarts_ready() {
                    return;
                }
                if let Ok(e) = WasmRenderer::new_opt(None, None).render(id, chart) {
                    *handle = Some(ChartHandle(e));
                }
            }
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    pub fn copy_to_clipboard(_text: &str) {}
    pub fn go_to(_path: &str) {}
    pub fn card_call(
        _method: &'static str,
        _args: Vec<String>,
        _done: impl FnOnce(Result<String, String>) + 'static,
    ) {
    }
    pub fn reload() {}
    pub fn upload_chosen_file(
        _ev: &leptos::ev::Event,
        _url: &str,
        _done: impl FnOnce(Result<String, String>) + 'static,
    ) {
    }
    pub fn read_chosen_file(
        _ev: &leptos::ev::Event,
        _done: impl FnOnce(Result<String, String>) + 'static,
    ) {
    }
    pub fn request_key() -> String {
        String::new()
    }
    pub fn confirm(_message: &str) -> bool {
        false
    }
    pub fn browser_timezone() -> Option<String> {
        None
    }
    pub fn current_theme() -> String {
        "light".into()
    }
    pub fn set_theme(_theme: &str) {}
    pub struct Follow;
    pub fn follow(
        _url: &str,
        _event: &str,
        _on_data: impl FnMut(String) + 'static,
        _on_state: impl Fn(bool) + 'static,
    ) -> Option<Follow> {
        None
    }
    pub fn load_echarts() {}
    pub fn chart_ready(_id: &str) -> bool {
        false
    }
    pub struct ChartHandle;
    pub fn draw_chart(_id: &str, _chart: &charming::Chart, _handle: &mut Option<ChartHandle>) {}
}

pub use imp::*;
