//! The tooltune playground. The same module runs twice in the browser: on the
//! page, where `main` mounts the app, and in the engine worker
//! ([`worker::tooltune_engine_worker`]), where `main` finds no `window` and
//! returns.

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod backend;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod engine;
#[cfg(target_arch = "wasm32")]
mod files;
#[cfg(target_arch = "wasm32")]
mod recovery;
#[cfg(target_arch = "wasm32")]
mod run_store;
#[cfg(target_arch = "wasm32")]
mod state;
#[cfg(target_arch = "wasm32")]
mod storage;
#[cfg(target_arch = "wasm32")]
mod train;
#[cfg(target_arch = "wasm32")]
mod train_eval;
#[cfg(target_arch = "wasm32")]
mod worker;
#[cfg(target_arch = "wasm32")]
mod yielding;

#[cfg(target_arch = "wasm32")]
fn main() {
    use wasm_bindgen::JsCast;
    if js_sys::global().dyn_into::<web_sys::Window>().is_err() {
        return; // the engine worker's instance
    }
    tooltune_engine_browser::init();
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("tooltune-web is a browser app: build it with scripts/build-web.sh");
}
