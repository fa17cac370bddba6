//! Field lines, shared by heads and trailer sections.
