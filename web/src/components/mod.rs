//! One component per file; each takes the shared state from context.

mod autosave;
mod catalogue_editor;
mod confusion_grid;
mod dataset_table;
mod example_datasets;
mod mask_view;
mod model_panel;
mod notice;
mod output_checker;
mod presenter;
mod row_generator;
mod share_panel;
mod tool_list;
mod train_charts;
mod train_export;
mod train_panel;
mod train_settings;
mod try_it;

pub use autosave::Autosave;
pub use catalogue_editor::CatalogueEditor;
pub use confusion_grid::ConfusionGrid;
pub use dataset_table::DatasetTable;
pub use example_datasets::ExampleDatasets;
pub use mask_view::MaskView;
pub use model_panel::{ModelPanel, load_initial};
pub use notice::NoticeBar;
pub use output_checker::OutputChecker;
pub use presenter::PresenterKeys;
pub use row_generator::RowGenerator;
pub use share_panel::SharePanel;
pub use tool_list::ToolList;
pub use train_charts::{LossChart, MetricsView};
pub use train_export::{TrainExport, save_run};
pub use train_panel::TrainPanel;
pub use train_settings::TrainSettingsForm;
pub use try_it::TryIt;
