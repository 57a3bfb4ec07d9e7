//! Integration tests of tooltune-core, one module per concern.

mod common;

mod bad_input;
mod bfcl;
mod corruption;
mod formats;
mod lesson;
mod lint;
mod near_miss;
mod split;
