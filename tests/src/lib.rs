//! End-to-end tests live in tests/tests/.
pub mod client_util;
pub mod server_util;
