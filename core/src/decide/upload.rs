//! PUT and DELETE: where an upload goes or what is removed, planned as a
//! [`Body::Upload`] or [`Body::Remove`], and [`finish`], which turns the store's outcome
//! into the final reply.

use super::conditional::{etag, preconditions, Current};
use super::{store_error, text_body, Cx, ALLOW_READ};
use crate::head::Version;
use crate::reply::{Body, HeaderValue, Reply, UploadPlan};
use crate::rule::Rule;
use crate::store::{FileStore, Kind, StoreError};
use crate::target::Resolved;
use crate::Timestamp;
use alloc::vec;

pub(super) fn put<S: FileStore + ?Sized>(cx: &Cx<'_, '_>, store: &S, target: Resolved) -> Reply {
    // RFC 9110 §14.5: a server that allows PUT MUST answer 400 to one with Content-Range,
    // rather than store the part as if it were the whole.
    if cx.req.header("content-range").is_some() {
        return cx.error(400, Rule::PutWithContentRange);
    }
    // RFC 9110 §15.5.10: a directory cannot hold bytes.
    if target.path.is_root() || target.trailing_slash {
        return cx.error(409, Rule::PutToDirectory);
    }
    // The size was checked by the parser: a Content-Length above `Limits::max_body` never
    // reaches decide (see the module docs).
    let existing = match store.metadata(&target.path) {
        Ok(m) => m,
        Err(e) => return store_error(cx, e),
    };
    if existing.is_some_and(|m| m.kind == Kind::Dir) {
        return cx.error(409, Rule::PutToDirectory);
    }
    if existing.is_none() {
        for a in target.path.ancestors().filter(|a| !a.is_root()) {
            match store.metadata(&a) {
                Ok(Some(m)) if m.kind == Kind::File => return cx.error(409, Rule::PutParentIsFile),
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => return store_error(cx, e),
            }
        }
    }
    // RFC 9110 §13.2.2: If-Match / If-None-Match: * guard against lost updates.
    let tag = existing.as_ref().map(etag);
    let current = existing.as_ref().map(|m| Current {
        etag: tag.as_deref(),
        modified: Some(m.modified),
    });
    if let Err((status, rule)) = preconditions(cx, current.as_ref()) {
        return cx.error(status, rule);
    }
    let existed = existing.is_some();
    // RFC 9110 §9.3.4: 201 when created, 204 when replaced; set now, confirmed by finish.
    let (status, rule) = if existed {
        (204, Rule::PutReplace)
    } else {
        (201, Rule::PutCreate)
    };
    let mut r = cx.reply(status, rule);
    r.body = Body::Upload(UploadPlan {
        path: target.path,
        existed,
        // RFC 9110 §10.1.1: a 100-continue expectation in HTTP/1.0 MUST be ignored.
        send_continue: cx.req.expects_continue() && cx.req.version() == Version::Http11,
    });
    r
}

pub(super) fn delete<S: FileStore + ?Sized>(cx: &Cx<'_, '_>, store: &S, target: Resolved) -> Reply {
    let meta = match store.metadata(&target.path) {
        Ok(Some(m)) => m,
        // RFC 9110 §15.5.5.
        Ok(None) => return cx.error(404, Rule::NotFound),
        Err(e) => return store_error(cx, e),
    };
    if meta.kind == Kind::Dir {
        // RFC 9110 §15.5.10: directories are not removed (see the module docs).
        return cx.error(409, Rule::DeleteDirectory);
    }
    if target.trailing_slash {
        // RFC 9110 §15.5.5, as for GET.
        return cx.error(404, Rule::FileWithTrailingSlash);
    }
    // RFC 9110 §13.2.2: If-Match guards against deleting a version the client never saw.
    let tag = etag(&meta);
    if let Err((status, rule)) = preconditions(
        cx,
        Some(&Current {
            etag: Some(&tag),
            modified: Some(meta.modified),
        }),
    ) {
        return cx.error(status, rule);
    }
    // RFC 9110 §9.3.5: 204 once removed.
    let mut r = cx.reply(204, Rule::Delete);
    r.body = Body::Remove(target.path);
    r
}

/// The final reply once a [`Body::Upload`] or [`Body::Remove`] plan was carried out.
///
/// Success: 201 with `Location` for a new file, 204 for a replaced or removed one. Failure:
/// the store error's status with a short text body; a failed upload also closes the
/// connection, since the rest of its body may be unread. A failed outcome always gives the
/// error reply, whatever `planned` says, so a plan that could not be carried out is never
/// answered as if it had been (a shell that lost the plan gets an error, not a 201). A
/// successful outcome for any other plan returns it as it was.
///
/// The 201 and 204 carry no `ETag` or `Last-Modified`: the stored file's metadata is not
/// known here, and RFC 9110 §9.3.4 lets a client do without (it may send a GET).
///
/// ```
/// use simplehttp_core::store::{FileStore, MemoryStore, Upload};
/// use simplehttp_core::{decide, finish, Body, Event, Limits, Policy, RequestParser, Timestamp};
///
/// let store = MemoryStore::new();
/// let raw = b"PUT /notes/a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
/// let mut parser = RequestParser::new(Limits::default());
/// let Event::Head(head) = parser.handle_bytes(raw).unwrap().event else { panic!() };
/// let planned = decide(&head, &store, &Policy::default(), Timestamp(0));
/// let Body::Upload(plan) = &planned.body else { panic!("{planned:?}") };
///
/// let mut upload = store.begin_upload(&plan.path).unwrap();
/// upload.write(b"hi").unwrap(); // the shell streams the request body here
/// let reply = finish(&planned, upload.commit(), Timestamp(0));
/// let mut out = Vec::new();
/// reply.write_head(&mut out);
/// assert_eq!(
///     out,
///     b"HTTP/1.1 201 Created\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\
///       Location: /notes/a.txt\r\nContent-Length: 0\r\n\r\n"
/// );
/// ```
#[must_use]
pub fn finish(planned: &Reply, outcome: Result<(), StoreError>, now: Timestamp) -> Reply {
    let mut r = Reply {
        status: planned.status,
        headers: vec![("Date", HeaderValue::Date(now))],
        body: Body::Empty,
        rule: planned.rule,
        close: planned.close,
        http10_keep_alive: planned.http10_keep_alive,
    };
    match (&planned.body, outcome) {
        (Body::Upload(plan), Ok(())) if !plan.existed => {
            // RFC 9110 §9.3.4 and §15.3.2: 201 with the new file's Location.
            r.status = 201;
            r.rule = Rule::PutCreate;
            r.headers
                .push(("Location", HeaderValue::Owned(plan.path.to_url_path())));
            r.headers.push(("Content-Length", HeaderValue::Number(0)));
        }
        (Body::Upload(_), Ok(())) => (r.status, r.rule) = (204, Rule::PutReplace),
        (Body::Remove(_), Ok(())) => (r.status, r.rule) = (204, Rule::Delete),
        (_, Err(e)) => {
            r.status = e.status();
            r.rule = Rule::StoreFailed;
            if e == StoreError::ReadOnly {
                r.rule = Rule::ReadOnly;
                r.headers.push(("Allow", HeaderValue::Static(ALLOW_READ)));
            }
            text_body(&mut r, false);
            // Only a removal is known to have no body left unread.
            if !matches!(planned.body, Body::Remove(_)) {
                r.close = true;
            }
        }
        (_, Ok(())) => return planned.clone(),
    }
    if r.close {
        r.http10_keep_alive = false;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::StorePath;
    use alloc::string::String;

    fn planned(body: Body, status: u16, close: bool) -> Reply {
        Reply {
            status,
            headers: vec![],
            body,
            rule: Rule::PutCreate,
            close,
            http10_keep_alive: !close,
        }
    }

    #[test]
    fn finish_turns_outcomes_into_statuses() {
        let path = StorePath::root().join("new file").unwrap();
        let up = |existed| {
            Body::Upload(UploadPlan {
                path: path.clone(),
                existed,
                send_continue: false,
            })
        };
        let t = Timestamp(5);

        let r = finish(&planned(up(false), 201, false), Ok(()), t);
        assert_eq!((r.status, r.rule, r.close), (201, Rule::PutCreate, false));
        assert_eq!(
            r.header("location"),
            Some(&HeaderValue::Owned(String::from("/new%20file")))
        );
        assert_eq!(r.header("content-length"), Some(&HeaderValue::Number(0)));

        let r = finish(&planned(up(true), 204, false), Ok(()), t);
        assert_eq!(
            (r.status, r.rule, &r.body),
            (204, Rule::PutReplace, &Body::Empty)
        );
        assert_eq!(r.header("content-length"), None);

        let r = finish(&planned(Body::Remove(path.clone()), 204, false), Ok(()), t);
        assert_eq!((r.status, r.rule), (204, Rule::Delete));

        let table = [
            (StoreError::NoSpace, 507),
            (StoreError::Io, 500),
            (StoreError::Conflict, 409),
            (StoreError::Forbidden, 403),
            (StoreError::NotFound, 404),
            (StoreError::ReadOnly, 405),
            (StoreError::Unavailable, 503),
            (StoreError::NameTooLong, 414),
        ];
        for (e, status) in table {
            let r = finish(&planned(up(false), 201, false), Err(e), t);
            assert_eq!(
                (r.status, r.close, r.http10_keep_alive),
                (status, true, false),
                "{e:?}"
            );
            assert!(matches!(r.body, Body::Bytes(_)));
            let r = finish(&planned(Body::Remove(path.clone()), 204, false), Err(e), t);
            assert_eq!((r.status, r.close), (status, false), "{e:?}");
        }
        let r = finish(
            &planned(up(false), 201, false),
            Err(StoreError::ReadOnly),
            t,
        );
        assert_eq!(r.header("allow"), Some(&HeaderValue::Static(ALLOW_READ)));

        let other = planned(Body::Empty, 200, false);
        assert_eq!(finish(&other, Ok(()), t), other);
    }

    #[test]
    fn finish_never_answers_a_failed_outcome_with_the_plan() {
        // A shell that moved the body plan out before the store failed must still get the
        // error, with its length: never the planned 201 or 204.
        let t = Timestamp(5);
        for e in [
            StoreError::NameTooLong,
            StoreError::Forbidden,
            StoreError::NoSpace,
        ] {
            let r = finish(&planned(Body::Empty, 201, false), Err(e), t);
            assert_eq!(
                (r.status, r.rule, r.close),
                (e.status(), Rule::StoreFailed, true)
            );
            let Body::Bytes(text) = &r.body else {
                panic!("{r:?}")
            };
            assert_eq!(
                r.header("content-length"),
                Some(&HeaderValue::Number(text.len() as u64))
            );
        }
    }
}
