//! Catalog texts per language.
