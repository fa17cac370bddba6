//! The message state machine both parsers share: head, body, done, failed. The parsers
//! differ only in how a head is read; the body, errors and the next-message cycle are here.

use super::body::{BodyEvent, Decoder};
use super::fields::{Fail, Parsed, Rescan};
use super::{Event, Step, FIELDS_CAPACITY};
use crate::error::{ParseError, UsageError};
use crate::head::{FieldSpan, Fields};
use crate::limits::Limits;
use alloc::vec::Vec;

/// Where a parser is in the current message.
#[derive(Debug, Clone, Copy)]
pub(crate) enum State {
    /// Reading a head.
    Head,
    /// Reading a body.
    Body(Decoder),
    /// The message ended; waiting for `start_next`.
    Done,
    /// A fatal error, returned by every later call.
    Failed(ParseError),
}

/// A parser's state and buffers, minus how heads are read.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    pub(crate) limits: Limits,
    pub(crate) state: State,
    pub(crate) fields: Vec<FieldSpan>,
    trailers: Vec<FieldSpan>,
    rescan: Rescan,
    error_offset: Option<usize>,
}

/// A step with no bytes consumed.
pub(crate) fn step<H>(consumed: usize, event: Event<'_, H>) -> Step<'_, H> {
    Step { consumed, event }
}

impl Machine {
    pub(crate) fn new(limits: Limits) -> Self {
        Machine {
            limits,
            state: State::Head,
            fields: Vec::with_capacity(FIELDS_CAPACITY),
            trailers: Vec::new(),
            rescan: Rescan::default(),
            error_offset: None,
        }
    }

    pub(crate) fn error_offset(&self) -> Option<usize> {
        self.error_offset
    }

    /// Records a fatal error (sticky) and returns it.
    pub(crate) fn fail(&mut self, (e, at): Fail) -> ParseError {
        self.state = State::Failed(e);
        self.error_offset = Some(at);
        e
    }

    /// Tries to read a head with `parse` (a pure function of the bytes), when the rescan
    /// says it may have become complete, or always at `eof`. `None`: not yet.
    pub(crate) fn try_head<T>(
        &mut self,
        buf: &[u8],
        soft_limit: usize,
        eof: bool,
        parse: impl FnOnce(&[u8], &Limits, &mut Vec<FieldSpan>) -> Result<Parsed<T>, Fail>,
    ) -> Result<Option<T>, ParseError> {
        if eof {
            self.rescan.reset();
        } else if buf.is_empty() {
            return Ok(None);
        }
        let limit = head_limit(&self.limits);
        if !self
            .rescan
            .should_parse(buf, limit, soft_limit, false, false)
        {
            return Ok(None);
        }
        self.fields.clear();
        match parse(buf, &self.limits, &mut self.fields) {
            Ok(Parsed::Complete(p)) => {
                self.rescan.reset();
                Ok(Some(p))
            }
            Ok(Parsed::Incomplete) => {
                self.rescan.parsed(buf.len());
                Ok(None)
            }
            Err(f) => Err(self.fail(f)),
        }
    }

    /// One body step; at `eof`, needing more is an error.
    pub(crate) fn body<'a, H>(
        &'a mut self,
        buf: &'a [u8],
        eof: bool,
    ) -> Result<Step<'a, H>, ParseError> {
        let State::Body(mut dec) = self.state else {
            return Ok(step(0, Event::NeedMore));
        };
        if eof {
            // No more bytes will come: parse what there is now, whatever the rescan says.
            self.rescan.reset();
        }
        let r = dec.decode(buf, &self.limits, &mut self.rescan, &mut self.trailers);
        let (n, ev) = match r {
            Ok((_, BodyEvent::NeedMore)) if eof => {
                return Err(self.fail((ParseError::UnexpectedEof, buf.len())))
            }
            Ok(x) => x,
            Err(f) => return Err(self.fail(f)),
        };
        self.state = State::Body(dec);
        let event = match ev {
            BodyEvent::NeedMore => Event::NeedMore,
            BodyEvent::ChunkHeader { size, extensions } => Event::ChunkHeader { size, extensions },
            BodyEvent::Data(d) => Event::Data(d),
            BodyEvent::Trailers => Event::Trailers(Fields::new(&buf[..n], &self.trailers)),
            BodyEvent::End => {
                self.state = State::Done;
                Event::End
            }
        };
        Ok(step(n, event))
    }

    /// Bytes of a Content-Length body still due, while reading one.
    pub(crate) fn length_left(&self) -> Option<u64> {
        match self.state {
            State::Body(Decoder::Length { remaining }) => Some(remaining),
            _ => None,
        }
    }

    /// The caller moved `n` bytes of a Content-Length body past the parser (at most
    /// [`length_left`](Machine::length_left)), as if they had come out as `Data`.
    pub(crate) fn pass_body(&mut self, n: u64) -> Result<(), UsageError> {
        match &mut self.state {
            State::Body(Decoder::Length { remaining }) if n <= *remaining => {
                *remaining -= n;
                if *remaining == 0 {
                    self.state = State::Body(Decoder::Finished);
                }
                Ok(())
            }
            _ => Err(UsageError::NotInBody),
        }
    }

    /// After `End`, back to reading a head.
    pub(crate) fn start_next(&mut self) -> Result<(), UsageError> {
        match self.state {
            State::Done => {
                self.state = State::Head;
                self.rescan.reset();
                Ok(())
            }
            _ => Err(UsageError::MessageNotFinished),
        }
    }
}

/// The head bound, kept below 4 GiB so that offsets fit the spans.
pub(crate) fn head_limit(limits: &Limits) -> usize {
    limits.max_head_bytes.min(u32::MAX as usize - 1)
}
