//! The simplehttp explorer.
