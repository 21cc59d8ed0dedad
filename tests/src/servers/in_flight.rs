//! Counts the requests a test server is answering at once, and the most it ever answered at
//! once, so a test can prove a ceiling on concurrency was never crossed.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Requests being answered now, and the most at any moment.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    now: AtomicU64,
    most: AtomicU64,
}

impl InFlight {
    /// The most requests answered at once so far.
    pub(crate) fn most(&self) -> u64 {
        self.most.load(Ordering::SeqCst)
    }
}

/// Takes the request off the count when dropped: a request whose client went away counts too.
struct Counted<'a>(&'a InFlight);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The middleware: counts each request for as long as its handler runs.
pub(crate) async fn track(
    State(in_flight): State<Arc<InFlight>>,
    request: Request,
    next: Next,
) -> Response {
    let now = in_flight.now.fetch_add(1, Ordering::SeqCst) + 1;
    in_flight.most.fetch_max(now, Ordering::SeqCst);
    let _counted = Counted(&in_flight);
    next.run(request).await
}
