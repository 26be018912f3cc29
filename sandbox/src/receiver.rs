//! A merchant-side notification endpoint for tests and the demo: an HTTP server on
//! 127.0.0.1 that verifies every notification with [`doku::verify_notification`] (over
//! the raw bytes received, with the configured path) and answers a scripted status.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use doku::clock::SystemClock;
use doku::error::{Error, Result};
use doku::notification::{verify_notification, Notification, VerifyOptions};
use doku::signature::{SigningKey, MAX_BODY_BYTES};

use super::serve::{self, Handler, HttpServer, Limits, Request, Response};
use super::sync::{lock, wait_until};

/// One notification as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The verified, parsed notification, or why verification failed.
    pub result: std::result::Result<Notification, Error>,
    /// The path the request was sent to.
    pub path: String,
    /// The HTTP status the receiver answered.
    pub answered: u16,
}

impl Received {
    pub fn notification(&self) -> Option<&Notification> {
        self.result.as_ref().ok()
    }
}

#[derive(Default)]
struct Inner {
    received: Mutex<Vec<Received>>,
    cv: Condvar,
    answers: Mutex<VecDeque<u16>>,
}

/// A running receiver; dropping it stops it.
pub struct NotificationReceiver {
    url: String,
    inner: Arc<Inner>,
    http: HttpServer,
}

impl NotificationReceiver {
    /// Listens on `127.0.0.1:0` for notifications to `path`, verified for `client_id` with
    /// `secret_key`. Verified notifications are answered 200, others 401.
    pub fn start(client_id: &str, secret_key: &str, path: &str) -> Result<NotificationReceiver> {
        NotificationReceiver::start_with_answers(client_id, secret_key, path, &[])
    }

    /// Like [`NotificationReceiver::start`], but the first verified notifications are
    /// answered with `answers` in order (e.g. `[500, 500]`), the rest with 200.
    pub fn start_with_answers(
        client_id: &str,
        secret_key: &str,
        path: &str,
        answers: &[u16],
    ) -> Result<NotificationReceiver> {
        let key = SigningKey::new(secret_key.as_bytes())?;
        if !path.starts_with('/') {
            return Err(Error::invalid_input("path", "path must start with '/'"));
        }
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Error::config("address", format!("cannot listen on 127.0.0.1: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::config("address", format!("no local address: {e}")))?;
        let inner = Arc::new(Inner {
            answers: Mutex::new(answers.iter().copied().collect()),
            ..Inner::default()
        });
        let handler: Handler = {
            let inner = inner.clone();
            let (client_id, path) = (client_id.to_string(), path.to_string());
            Arc::new(move |req| serve(req, &inner, &key, &client_id, &path))
        };
        let rt = serve::runtime("doku-receiver")
            .map_err(|e| Error::config("receiver", format!("cannot start serving: {e}")))?;
        let limits = Limits {
            max_connections: 64,
            max_body: MAX_BODY_BYTES,
            header_read_timeout: super::policy::DEFAULT_READ_TIMEOUT,
            body_read_timeout: super::policy::DEFAULT_READ_TIMEOUT,
        };
        let http = HttpServer::serve(rt, listener, handler, limits)
            .map_err(|e| Error::config("receiver", format!("cannot start serving: {e}")))?;
        Ok(NotificationReceiver {
            url: format!("http://{addr}{path}"),
            inner,
            http,
        })
    }

    /// The full URL to configure as the merchant's Notification URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.inner.received).clone()
    }

    /// Waits (at most `timeout`) until `done` holds; returns what was received by then.
    pub fn wait_for(&self, done: impl Fn(&[Received]) -> bool, timeout: Duration) -> Vec<Received> {
        wait_until(&self.inner.received, &self.inner.cv, timeout, |got| {
            done(got)
        })
        .clone()
    }

    /// Stops the receiver (also done on drop).
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        self.http.shutdown();
    }
}

impl Drop for NotificationReceiver {
    fn drop(&mut self) {
        self.stop_now();
    }
}

fn serve(req: Request, inner: &Inner, key: &SigningKey, client_id: &str, path: &str) -> Response {
    let got_path = req.path().to_string();
    let result = match &req.body {
        Err(e) => Err(Error::invalid_input(
            "body",
            format!("cannot read the body: {e:?}"),
        )),
        Ok(body) => {
            let opts = VerifyOptions {
                path,
                client_id,
                tolerance_secs: None,
            };
            verify_notification(
                req.headers.iter().map(|(k, v)| (k, v)),
                body,
                key,
                &opts,
                &SystemClock,
            )
        }
    };
    let answered = if result.is_ok() {
        lock(&inner.answers).pop_front().unwrap_or(200)
    } else {
        401
    };
    lock(&inner.received).push(Received {
        result,
        path: got_path,
        answered,
    });
    inner.cv.notify_all();
    Response::new(answered, Vec::new(), Vec::new())
}
