//! The multi-threaded build (feature `threads`, wasm32) links its memory as
//! shared and imported, so wasm-bindgen-rayon's Web Workers can run on it,
//! and exports the thread-local-storage symbols wasm-bindgen's thread
//! support sets up for each of them. Only this crate's link sees these.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let threads = std::env::var_os("CARGO_FEATURE_THREADS").is_some();
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32");
    if threads && wasm {
        for arg in [
            "--shared-memory",
            "--import-memory",
            "--export=__wasm_init_tls",
            "--export=__tls_size",
            "--export=__tls_align",
            "--export=__tls_base",
        ] {
            println!("cargo:rustc-link-arg-cdylib={arg}");
        }
    }
}
