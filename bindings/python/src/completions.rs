//! `Completions`: how async calls hand their outcomes to an asyncio event loop without
//! taking the GIL on their own threads. A finished call pushes its result onto a queue and
//! writes one byte to a socket pair; the event loop watches the other end
//! (`loop.add_reader`) and, on its own thread, drains the queue and settles the futures.
//! With a hundred calls finishing at once, only the loop's thread touches Python, so the
//! loop is never starved of the GIL. (Loops without `add_reader`, such as Windows'
//! Proactor, fall back to a callback taken with the GIL on the call's thread.)

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyList;

use doku::client::Response;

type Outcome = (u64, doku::Result<Response>);

/// The queue and the write end of the wake-up socket, shared with the calls' threads.
#[derive(Clone)]
pub(crate) struct Sender {
    queue: Arc<Mutex<VecDeque<Outcome>>>,
    wake: Arc<UnixStream>,
}

impl Sender {
    /// Queues the outcome of call `token` and wakes the loop. Never blocks: when the
    /// socket's buffer is full, the loop has wake-ups pending anyway.
    pub(crate) fn send(&self, token: u64, outcome: doku::Result<Response>) {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push_back((token, outcome));
        let _ = (&*self.wake).write(&[1]);
    }
}

#[pyclass(frozen, name = "Completions", module = "doku_direct._native")]
pub(crate) struct Completions {
    sender: Sender,
    reader: UnixStream,
}

impl Completions {
    pub(crate) fn sender(&self) -> Sender {
        self.sender.clone()
    }
}

#[pymethods]
impl Completions {
    #[new]
    fn new() -> PyResult<Self> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        Ok(Completions {
            sender: Sender {
                queue: Arc::new(Mutex::new(VecDeque::new())),
                wake: Arc::new(writer),
            },
            reader,
        })
    }

    /// The descriptor to watch for readability.
    fn fileno(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.reader.as_raw_fd()
    }

    /// Up to `limit` of the outcomes queued so far, oldest first, as `(token, ok, value)`:
    /// `value` is the response tuple, or the exception when `ok` is false. Consumes the
    /// wake-up bytes; a caller that got `limit` items calls again (after letting other
    /// tasks run) for the rest.
    fn drain<'py>(&self, py: Python<'py>, limit: usize) -> PyResult<Bound<'py, PyList>> {
        let mut sink = [0u8; 256];
        while matches!((&self.reader).read(&mut sink), Ok(n) if n > 0) {}
        let outcomes: Vec<Outcome> = {
            let mut queue = self
                .sender
                .queue
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let n = limit.min(queue.len());
            queue.drain(..n).collect()
        };
        let list = PyList::empty(py);
        for (token, outcome) in outcomes {
            let (ok, value) = super::client::outcome_to_py(py, &outcome)?;
            list.append((token, ok, value))?;
        }
        Ok(list)
    }
}
