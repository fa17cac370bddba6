//! The response parser (client side).

use super::{Event, Step};
use crate::error::{ParseError, UsageError};
use crate::head::ResponseHead;
use crate::limits::Limits;

/// An incremental HTTP/1.1 response parser: bytes in, [`Event`]s out.
#[derive(Debug, Clone)]
pub struct ResponseParser {
    limits: Limits,
}

impl ResponseParser {
    /// A parser enforcing `limits`.
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        ResponseParser { limits }
    }

    /// Reads from `buf`, which holds every received byte not yet consumed.
    pub fn handle_bytes<'a>(
        &'a mut self,
        buf: &'a [u8],
    ) -> Result<Step<'a, ResponseHead<'a>>, ParseError> {
        let _ = (buf, &self.limits);
        todo!()
    }

    /// The peer closed its side; `buf` holds the bytes not yet consumed.
    ///
    /// Between messages this is a clean end ([`Event::Paused`]); inside one it is
    /// [`ParseError::UnexpectedEof`], or the syntax error the partial message already has.
    pub fn handle_eof<'a>(
        &'a mut self,
        buf: &'a [u8],
    ) -> Result<Step<'a, ResponseHead<'a>>, ParseError> {
        let _ = buf;
        todo!()
    }

    /// After [`Event::End`], starts reading the next message.
    pub fn start_next(&mut self) -> Result<(), UsageError> {
        todo!()
    }

    /// Where the error was found: an offset into the `buf` of the call that returned it.
    #[must_use]
    pub fn error_offset(&self) -> Option<usize> {
        todo!()
    }
}

#[allow(dead_code)]
fn _unused(_: Event<'_, ()>) {}
