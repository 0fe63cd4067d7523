// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Integration tests for ydx-region: one binary, as linking is the slow part.

// A failing test should stop loudly at the line that failed.

mod import;
mod locate;
mod lookup;
mod map;
mod parsers;
mod sample;

use ydx_region::Region;

/// The bundled region; the tests are where its parse is proven infallible.
fn region() -> &'static Region {
    Region::bundled().unwrap()
}
