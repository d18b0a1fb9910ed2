//! Guichet: the access portal for API Entreprise.
//!
//! One crate compiled twice by cargo-leptos: the server (`ssr`) and the browser
//! bundle (`hydrate`). `domain` is pure and shared; `api` holds the server
//! functions; `server` exists only on the server; `ui` holds the components.

#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod domain;
pub mod error;
pub mod paths;
#[cfg(feature = "ssr")]
pub mod server;

/// The server's allocator, for every program linking the server (the binary,
/// the tests, the benchmarks): mimalloc, measured faster than glibc's malloc
/// on the autosave path (docs/BENCHMARKS.md, "Ten times the editors").
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
pub mod ui;

/// Browser entry point: hydrates the server-rendered page. Hydration is
/// asynchronous because each page's code is loaded on demand (lazy routes):
/// the page's module is fetched, then the page is hydrated.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_broken_page_notice();
    }));
    let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    else {
        return;
    };
    // `hydrate_from_async` starts Leptos' executor itself.
    wasm_bindgen_futures::spawn_local(async move {
        let handle = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        handle.forget();
        // Tells browser tests (and styles) that the page is interactive.
        let _ = body.set_attribute("data-hydrated", "");
    });
}

/// After a failure the page's code cannot recover from (a page module that
/// could not be downloaded, a bug), the page no longer reacts: say so in
/// French and offer a reload, instead of leaving buttons that do nothing.
/// Plain DOM calls only: the application's own runtime is the broken part.
#[cfg(feature = "hydrate")]
fn show_broken_page_notice() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    if document.get_element_by_id("page-interrompue").is_some() {
        return;
    }
    let href = window.location().href().unwrap_or_else(|_| "/".to_owned());
    let notice = (|| {
        let div = document.create_element("div").ok()?;
        div.set_id("page-interrompue");
        div.set_class_name("fr-alert fr-alert--error guichet-page-interrompue");
        div.set_attribute("role", "alert").ok()?;
        let title = document.create_element("h2").ok()?;
        title.set_class_name("fr-alert__title");
        title.set_text_content(Some("La page ne répond plus"));
        let text = document.create_element("p").ok()?;
        text.set_text_content(Some(
            "Une partie de la page n’a pas pu être chargée (connexion interrompue ?). \
             Ce qui était enregistré est conservé, et l’assistant garde vos saisies sur cet appareil. ",
        ));
        let link = document.create_element("a").ok()?;
        link.set_class_name("fr-link");
        link.set_attribute("href", &href).ok()?;
        // A full page load, not the application's own navigation.
        link.set_attribute("rel", "external").ok()?;
        link.set_text_content(Some("Recharger la page"));
        text.append_child(&link).ok()?;
        div.append_child(&title).ok()?;
        div.append_child(&text).ok()?;
        Some(div)
    })();
    if let (Some(notice), Some(body)) = (notice, document.body()) {
        let _ = body.prepend_with_node_1(&notice);
    }
}
