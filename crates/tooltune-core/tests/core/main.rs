//! Integration tests of tooltune-core, one module per concern.

mod common;

mod bfcl;
