//! simple-client: a dependable command-line HTTP client.
