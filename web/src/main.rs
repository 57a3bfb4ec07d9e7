//! The tooltune playground, mounted into the page's `<body>`.

mod app;
mod components;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
