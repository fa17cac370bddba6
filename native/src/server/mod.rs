//! simple-server: a concurrent, event-driven file server.
