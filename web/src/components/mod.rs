//! One component per file.

mod call_checker;
mod catalogue_editor;

pub use call_checker::CallChecker;
pub use catalogue_editor::CatalogueEditor;

use tooltune_core::Catalogue;

/// Reads the catalogue text; the error is the full message with every problem.
pub fn read_catalogue(text: &str) -> Result<Catalogue, String> {
    Catalogue::from_bytes("catalogue", text.as_bytes()).map_err(|e| e.to_string())
}
