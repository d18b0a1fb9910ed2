//! The HTML shell, the router and the page layout.

use crate::ui::accessibility::AccessibilityPage;
use crate::ui::account::{
    AccountPage, ChoosePasswordPage, ConfirmEmailPage, ForgotPasswordPage, LoginPage, RegisterPage,
    ResetPasswordPage,
};
use crate::ui::admin::{AccountsPage, AdminTemplatePage, AdminTemplatesPage, GatewaysPage};
use crate::ui::cgu::CguPage;
use crate::ui::dev::DevMailsPage;
use crate::ui::home::HomePage;
use crate::ui::instruction::{DashboardPage, ReviewPage};
use crate::ui::layout::{Footer, Header, SkipLinks};
use crate::ui::not_found::NotFoundPage;
use crate::ui::renewal::RenewalPage;
use crate::ui::requests::{MyRequestsPage, RequestPage, TransferPage};
use crate::ui::second_factor::{SecondFactorPage, SecondFactorSetupPage};
use crate::ui::space::SpacePage;
use crate::ui::templates::{NewRequestPage, TemplatePage, TemplatesPage};
use crate::ui::usage::TokenUsagePage;
use crate::ui::wizard::{StepPage, WizardShell};
use leptos::nonce::use_nonce;
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, SsrMode, lazy_route, path};

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::http::set_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="fr">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no" />
                <meta name="format-detection" content="telephone=no,date=no,address=no,email=no,url=no" />
                <meta name="theme-color" content="#000091" />
                // One stylesheet: the DSFR rules the pages use, then ours
                // (scripts/dsfr.mjs), under a content-hashed name.
                <HashedStylesheet options=options.clone() />
                // The two faces of the first paint, fetched with the stylesheet
                // rather than after it.
                <link rel="preload" href="/dsfr/fonts/Marianne-Regular.woff2" r#as="font" r#type="font/woff2" crossorigin="anonymous" />
                <link rel="preload" href="/dsfr/fonts/Marianne-Bold.woff2" r#as="font" r#type="font/woff2" crossorigin="anonymous" />
                <link rel="apple-touch-icon" href="/dsfr/favicon/apple-touch-icon.png" />
                <link rel="icon" href="/dsfr/favicon/favicon.svg" type="image/svg+xml" />
                <link rel="shortcut icon" href="/dsfr/favicon/favicon.ico" type="image/x-icon" />
                <link rel="manifest" href="/dsfr/favicon/manifest.webmanifest" crossorigin="use-credentials" />
                <AutoReload options=options.clone() />
                <ScriptsAfterFirstPaint options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Loads the scripts once the page has been painted: the browser bundle
/// (instead of Leptos's `HydrationScripts`, which preloads it from the
/// `<head>`) and the DSFR's script. On a slow link their 330 KiB (brotli)
/// would otherwise share the first bytes with the stylesheet and the fonts,
/// and the page would show later. The page works before (links, forms posted
/// by the browser); it becomes interactive when the bundle has run. The lazy
/// pages' modules load when their route hydrates.
#[component]
fn ScriptsAfterFirstPaint(options: LeptosOptions) -> impl IntoView {
    let (js, wasm) = bundle_names(&options);
    let pkg = &options.site_pkg_dir;
    let (js, wasm) = (format!("/{pkg}/{js}.js"), format!("/{pkg}/{wasm}.wasm"));
    let dsfr = crate::paths::DSFR_SCRIPT;
    let script = format!(
        "const start = () => {{\n\
           import({js:?}).then((m) => m.default({{ module_or_path: {wasm:?} }}).then(() => m.hydrate()));\n\
           import({dsfr:?});\n\
         }};\n\
         if (document.visibilityState === 'hidden') start();\n\
         else requestAnimationFrame(() => setTimeout(start, 0));"
    );
    view! { <script type="module" nonce=use_nonce()>{script}</script> }
}

/// The file names (without extension) of the bundle's script and module:
/// with their content hash when `cargo leptos build` wrote `hash.txt` beside
/// the binary (`js: …`, `wasm: …` lines).
fn bundle_names(options: &LeptosOptions) -> (String, String) {
    let name = options.output_name.to_string();
    let hashes = options
        .hash_files
        .then(|| {
            std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|d| d.join(options.hash_file.as_ref())))
                .and_then(|file| std::fs::read_to_string(file).ok())
        })
        .flatten()
        .unwrap_or_default();
    let hash_of = |kind: &str| {
        hashes.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            (k.trim() == kind).then(|| v.trim().to_owned())
        })
    };
    let js = hash_of("js").map_or_else(|| name.clone(), |h| format!("{name}.{h}"));
    let wasm = hash_of("wasm").map_or_else(|| name.clone(), |h| format!("{name}.{h}"));
    (js, wasm)
}

/// The application: layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| {
            if page.is_empty() {
                "Guichet API Entreprise".to_owned()
            } else {
                format!("{page} – Guichet API Entreprise")
            }
        } />
        <Router>
            <SkipLinks />
            <Header />
            <main id="contenu" tabindex="-1" class="guichet-main">
                <Routes fallback=NotFoundPage>
                    // The figures are in the HTML itself, readable without JavaScript.
                    <Route path=path!("/") view=HomePage ssr=SsrMode::InOrder />
                    <Route path=path!("/accessibilite") view=AccessibilityPage />
                    <Route path=path!("/conditions-generales") view=CguPage />
                    // Rendered whole on the server (the sign-in options are
                    // read first): the forms work without script.
                    <Route path=path!("/connexion") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/connexion/code") view=SecondFactorPage />
                    <Route path=path!("/connexion/double-authentification") view=SecondFactorSetupPage ssr=SsrMode::Async />
                    <Route path=path!("/inscription") view=RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("/confirmer-email") view=ConfirmEmailPage />
                    <Route path=path!("/mot-de-passe-oublie") view=ForgotPasswordPage />
                    <Route path=path!("/nouveau-mot-de-passe") view=ResetPasswordPage />
                    <Route path=path!("/choisir-mot-de-passe") view=ChoosePasswordPage />
                    // Signed-in pages wait for the session so that a signed-out
                    // visitor is redirected before anything is sent.
                    <Route path=path!("/mon-compte") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/comptes") view=AccountsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/passerelles") view=GatewaysPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/modeles") view=AdminTemplatesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/modeles/nouveau") view=AdminTemplatePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/modeles/:slug") view=AdminTemplatePage ssr=SsrMode::Async />
                    <Route path=path!("/dev/mails") view=DevMailsPage ssr=SsrMode::Async />
                    <Route path=path!("/instruction") view={Lazy::<DashboardView>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/instruction/demandes/:id") view={Lazy::<ReviewView>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/modeles") view=TemplatesPage ssr=SsrMode::Async />
                    <Route path=path!("/modeles/:slug") view=TemplatePage ssr=SsrMode::Async />
                    <Route path=path!("/demandes/nouvelle") view=NewRequestPage ssr=SsrMode::Async />
                    <Route path=path!("/demandes") view=MyRequestsPage ssr=SsrMode::Async />
                    <Route path=path!("/espace") view={Lazy::<SpaceView>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/espace/renouveler/:id") view={Lazy::<RenewalRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/espace/utilisation/:id") view={Lazy::<UsageRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/transfert") view=TransferPage />
                    <Route path=path!("/demandes/:id") view=RequestPage ssr=SsrMode::Async />
                    <ParentRoute path=path!("/demandes/:id/etape") view={Lazy::<WizardShellView>::new()} ssr=SsrMode::Async>
                        <Route path=path!(":n") view={Lazy::<StepView>::new()} />
                    </ParentRoute>
                </Routes>
            </main>
            <FocusOnNavigation />
            <Footer />
        </Router>
    }
}

/// The largest pages (the wizard, the instructors' dashboard and review page,
/// the client space) are separate parts of the browser bundle, loaded when
/// one of them is opened (`cargo leptos build --split`, required: without it
/// the bundle does not start). The public and account pages stay in the main
/// part: splitting every page gave about a hundred small files per page and
/// slower pages (docs/BENCHMARKS.md). The page needs no route data of its
/// own (its resources start in its body), so the route data is a unit struct.
macro_rules! lazy_pages {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    DashboardView => DashboardPage,
    ReviewView => ReviewPage,
    SpaceView => SpacePage,
    RenewalRoute => RenewalPage,
    UsageRoute => TokenUsagePage,
    WizardShellView => WizardShell,
    StepView => StepPage,
}

/// After a navigation inside the application (not the first page load), the
/// keyboard focus goes to the start of the main content, as a page load
/// would: a keyboard or screen-reader user continues from the new page's
/// beginning, not from where the link was, which no longer exists.
#[component]
fn FocusOnNavigation() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let first = StoredValue::new(true);
    Effect::new(move |_| {
        let _path = location.pathname.get();
        if first.get_value() {
            first.set_value(false);
        } else {
            focus_main_content();
        }
    });
}

/// Puts the keyboard focus on `<main id="contenu">` (in the browser).
fn focus_main_content() {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(main) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("contenu"))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = main.focus();
        }
    }
}
