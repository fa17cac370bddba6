//! Upload commits off the event loop.
//!
//! Committing an upload makes it durable: `fdatasync` of the temporary, the missing
//! directories, the rename over the target, `fsync` of the directory. That takes
//! milliseconds (5–7 ms for 10 MiB here, far more on a busy disk); done by a worker it
//! would stall every other connection of that worker for as long. A few threads shared by
//! all workers do it instead, and hand each outcome back to the worker that asked, through
//! a channel and the worker's waker. The connection waits in the meantime, reading nothing.
//!
//! At shutdown the pool finishes the commits it was given before the process exits: an
//! upload whose body arrived is never dropped half-way.

use super::fs_store::FsUpload;
use mio::Waker;
use simplehttp_core::{StoreError, Upload};
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Threads committing at once: concurrent `fdatasync`s share the filesystem's journal
/// commits, so a few in parallel finish sooner than one after the other.
const THREADS: usize = 4;
/// They only wait on system calls.
const STACK: usize = 64 * 1024;

/// The outcome of one commit, for the worker that asked.
#[derive(Debug)]
pub struct Done {
    /// The connection's slot in the worker.
    pub slot: usize,
    /// The connection's serial number, so a slot reused meanwhile is not mistaken for it.
    pub serial: u64,
    /// What the store said.
    pub outcome: Result<(), StoreError>,
}

struct Job {
    upload: FsUpload,
    slot: usize,
    serial: u64,
    back: Sender<Done>,
    waker: Arc<Waker>,
}

/// The committing threads.
pub struct Pool {
    jobs: Option<Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts the threads.
    pub fn start() -> io::Result<Pool> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let mut threads = Vec::with_capacity(THREADS);
        for i in 0..THREADS {
            let queue = Arc::clone(&queue);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("commit-{i}"))
                    .stack_size(STACK)
                    .spawn(move || run(&queue))?,
            );
        }
        Ok(Pool {
            jobs: Some(jobs),
            threads,
        })
    }

    /// A handle for one worker: its commits come back on `back`, announced by `waker`.
    pub fn link(&self, back: Sender<Done>, waker: Arc<Waker>) -> Link {
        Link {
            jobs: self.jobs.clone(),
            back,
            waker,
        }
    }

    /// Waits for every commit handed over so far (the workers, which hold the other
    /// senders, must be gone), then stops the threads.
    pub fn finish(mut self) {
        self.jobs = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn run(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let Ok(queue) = queue.lock() else { return };
            match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        let Job {
            upload,
            slot,
            serial,
            back,
            waker,
        } = job;
        // A panic would leave the connection waiting forever: turn it into a failure.
        let outcome =
            catch_unwind(AssertUnwindSafe(|| upload.commit())).unwrap_or(Err(StoreError::Io));
        // The worker may be gone (shutdown grace over): the upload is committed anyway.
        if back
            .send(Done {
                slot,
                serial,
                outcome,
            })
            .is_ok()
        {
            let _ = waker.wake();
        }
    }
}

/// One worker's way to the pool.
pub struct Link {
    jobs: Option<Sender<Job>>,
    back: Sender<Done>,
    waker: Arc<Waker>,
}

impl Link {
    /// Hands `upload` over to be committed; the outcome comes back as a [`Done`] for
    /// `slot` and `serial`. Commits in place if the pool is gone.
    pub fn commit(&self, upload: FsUpload, slot: usize, serial: u64) {
        let job = Job {
            upload,
            slot,
            serial,
            back: self.back.clone(),
            waker: Arc::clone(&self.waker),
        };
        let job = match &self.jobs {
            Some(jobs) => match jobs.send(job) {
                Ok(()) => return,
                Err(mpsc::SendError(job)) => job,
            },
            None => job,
        };
        let outcome = job.upload.commit();
        let _ = self.back.send(Done {
            slot,
            serial,
            outcome,
        });
        let _ = self.waker.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::fs_store::FsStore;
    use mio::{Events, Poll, Token};
    use simplehttp_core::{resolve, FileStore, StorePath, TargetForm};
    use std::time::Duration;

    fn store_path(target: &str) -> StorePath {
        resolve(target, TargetForm::Origin).unwrap()
    }

    #[test]
    fn commits_on_another_thread_and_wakes_the_worker() {
        let root = std::env::temp_dir().join(format!("simplehttp-commit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let store = FsStore::new(&root, false).unwrap();
        let mut poll = Poll::new().unwrap();
        let waker = Arc::new(Waker::new(poll.registry(), Token(7)).unwrap());
        let (back, done) = mpsc::channel();
        let pool = Pool::start().unwrap();
        let link = pool.link(back, waker);

        let path = store_path("/dir/new.txt");
        let mut up = store.begin_upload(&path).unwrap();
        up.write(b"contents").unwrap();
        let caller = std::thread::current().id();
        link.commit(up, 3, 42);

        let mut events = Events::with_capacity(4);
        poll.poll(&mut events, Some(Duration::from_secs(10)))
            .unwrap();
        assert!(
            events.iter().any(|e| e.token() == Token(7)),
            "the waker fired"
        );
        let d = done.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!((d.slot, d.serial, d.outcome), (3, 42, Ok(())));
        assert_eq!(
            std::fs::read(root.join("dir/new.txt")).unwrap(),
            b"contents"
        );
        assert_eq!(std::thread::current().id(), caller);

        // Gone pool: committed in place, still reported.
        drop(link);
        pool.finish();
        let (back, done) = mpsc::channel();
        let other = Poll::new().unwrap();
        let waker = Arc::new(Waker::new(other.registry(), Token(8)).unwrap());
        let link = Link {
            jobs: None,
            back,
            waker,
        };
        let mut up = store.begin_upload(&path).unwrap();
        up.write(b"second").unwrap();
        link.commit(up, 5, 6);
        let d = done.try_recv().unwrap();
        assert_eq!((d.slot, d.serial, d.outcome), (5, 6, Ok(())));
        assert_eq!(std::fs::read(root.join("dir/new.txt")).unwrap(), b"second");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn finish_waits_for_the_commits_handed_over() {
        let root =
            std::env::temp_dir().join(format!("simplehttp-commit-fin-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let store = FsStore::new(&root, false).unwrap();
        let poll = Poll::new().unwrap();
        let waker = Arc::new(Waker::new(poll.registry(), Token(1)).unwrap());
        let (back, done) = mpsc::channel();
        let pool = Pool::start().unwrap();
        let link = pool.link(back, waker);
        for i in 0..20 {
            let path = store_path(&format!("/f{i}"));
            let mut up = store.begin_upload(&path).unwrap();
            up.write(&vec![b'x'; 100_000]).unwrap();
            link.commit(up, i, i as u64);
        }
        drop(link);
        pool.finish();
        let got: Vec<Done> = done.try_iter().collect();
        assert_eq!(got.len(), 20);
        assert!(got.iter().all(|d| d.outcome.is_ok()));
        for i in 0..20 {
            assert_eq!(
                std::fs::metadata(root.join(format!("f{i}"))).unwrap().len(),
                100_000
            );
        }
        let _ = std::fs::remove_dir_all(&root);
    }
}
