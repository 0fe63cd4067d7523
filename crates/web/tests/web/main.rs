// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Router tests without a socket: `app().oneshot(request)`. One binary for link time.

mod catalog_api;
mod catalog_pages;
mod harvest_pages;
mod pages;
mod region;
mod shell;
mod util;
