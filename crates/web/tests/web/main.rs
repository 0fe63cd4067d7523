//! Router tests without a socket: `app().oneshot(request)`. One binary for link time.

mod pages;
mod region;
mod shell;
mod util;
