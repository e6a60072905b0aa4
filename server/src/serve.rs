//! Serving connections: one thread per core, each with a single-threaded runtime of its own.
//!
//! One acceptor, on the main runtime, hands each new connection to the serving thread with the
//! fewest open connections, and the connection stays there. A model request is answered on
//! that thread from start to end (see [`crate::http::front`]): its upstream call, timers and
//! stream. No task moves between cores and no idle worker is woken to steal one: on a two-core
//! machine that saved 2–7 % of a proxied request's CPU under load and a fifth with one client
//! (`bench/gateway/README.md`). Every other request is handed to the main runtime, where the
//! console's handlers, the database pool and the background jobs run, so a slow page never
//! holds up a model request.

use std::convert::Infallible;
use std::future::{Future, pending};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tower::Service;

/// Serves `listener` with `make` (the server's is [`crate::http::front::MakeFront`]) until
/// `shutdown` resolves, then lets the open requests finish. Dropped before that, the serving
/// threads stop the same way.
pub async fn serve<M, S>(
    mut listener: TcpListener,
    make: M,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    M: for<'a> Service<IncomingStream<'a, Handed>, Error = Infallible, Response = S>
        + Clone
        + Send
        + 'static,
    for<'a> <M as Service<IncomingStream<'a, Handed>>>::Future: Send,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    let addr = listener.local_addr()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Dropping the sender (this future dropped) stops the threads too.
    let (stop, stopped) = watch::channel(false);
    let mut threads = Vec::with_capacity(cores);
    for i in 0..cores {
        let (make, mut stopped) = (make.clone(), stopped.clone());
        threads.push(Thread::start(i, addr, move |listener| async move {
            axum::serve(listener, make)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await
        })?);
    }
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            (tcp, peer) = Listener::accept(&mut listener) => {
                // A thread that stopped (it cannot, short of a bug) is passed over.
                let to = threads
                    .iter()
                    .filter(|t| !t.hand.is_closed())
                    .min_by_key(|t| t.open.load(Ordering::Relaxed));
                match to {
                    Some(to) => to.hand(tcp, peer),
                    None => {
                        tracing::error!("every serving thread has stopped");
                        break;
                    }
                }
            }
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let mut result = Ok(());
    for t in threads {
        drop(t.hand);
        let done = t
            .done
            .await
            .unwrap_or_else(|_| Err(io::Error::other("a serving thread failed")));
        if result.is_ok() {
            result = done;
        }
    }
    result
}

/// A serving thread, seen from the acceptor.
struct Thread {
    hand: mpsc::UnboundedSender<(std::net::TcpStream, SocketAddr, Open)>,
    /// Its open connections.
    open: Arc<AtomicUsize>,
    done: oneshot::Receiver<io::Result<()>>,
}

impl Thread {
    /// Starts a thread that runs `serve` on the connections handed to it.
    fn start<F: Future<Output = io::Result<()>>>(
        i: usize,
        addr: SocketAddr,
        serve: impl FnOnce(Handed) -> F + Send + 'static,
    ) -> io::Result<Thread> {
        let (hand, handed) = mpsc::unbounded_channel();
        let (done_tx, done) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name(format!("ops-serve-{i}"))
            .spawn(move || {
                let served = runtime.block_on(serve(Handed { handed, addr }));
                let _ = done_tx.send(served);
            })?;
        Ok(Thread {
            hand,
            open: Arc::default(),
            done,
        })
    }

    /// Moves `tcp` to this thread (off the acceptor's runtime, onto this thread's).
    fn hand(&self, tcp: TcpStream, peer: SocketAddr) {
        // No Nagle delay: a streamed answer's chunks go out as they come.
        let _ = tcp.set_nodelay(true);
        match tcp.into_std() {
            Ok(std) => {
                let open = Open::new(&self.open);
                let _ = self.hand.send((std, peer, open));
            }
            Err(e) => tracing::warn!(error = %e, "could not hand a connection over"),
        }
    }
}

/// Counts a connection as open until dropped.
struct Open(Arc<AtomicUsize>);

impl Open {
    fn new(count: &Arc<AtomicUsize>) -> Open {
        count.fetch_add(1, Ordering::Relaxed);
        Open(count.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The connections handed to one serving thread, as a listener.
pub struct Handed {
    handed: mpsc::UnboundedReceiver<(std::net::TcpStream, SocketAddr, Open)>,
    addr: SocketAddr,
}

impl Listener for Handed {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Conn, SocketAddr) {
        loop {
            // The acceptor gone, only the shutdown signal ends serving.
            let Some((std, peer, open)) = self.handed.recv().await else {
                return pending().await;
            };
            match TcpStream::from_std(std) {
                Ok(tcp) => return (Conn { tcp, _open: open }, peer),
                Err(e) => tracing::warn!(error = %e, "could not take a connection over"),
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// A served connection: its socket, counted as open while it lives.
pub struct Conn {
    tcp: TcpStream,
    _open: Open,
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::Router;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Sends a request on `tcp` and returns the answer's body (the serving thread's name).
    async fn which_thread(tcp: &mut TcpStream) -> String {
        tcp.write_all(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            let n = tcp.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before answering");
            answer.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&answer);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap();
                if body.len() >= length {
                    return body[..length].to_string();
                }
            }
        }
    }

    #[tokio::test]
    async fn connections_are_spread_over_the_threads_and_shutdown_ends_serving() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route(
            "/",
            get(|| async { std::thread::current().name().unwrap_or("?").to_string() }),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(serve(listener, app, async {
            let _ = stopped.await;
        }));

        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut open = Vec::new();
        let mut per_thread = std::collections::BTreeMap::<String, usize>::new();
        for _ in 0..2 * cores {
            let mut tcp = TcpStream::connect(addr).await.unwrap();
            let name = which_thread(&mut tcp).await;
            assert!(name.starts_with("ops-serve-"), "{name}");
            *per_thread.entry(name).or_default() += 1;
            open.push(tcp);
        }
        // Each new connection went to the thread with the fewest open ones.
        assert_eq!(per_thread.len(), cores, "{per_thread:?}");
        assert!(per_thread.values().all(|n| *n == 2), "{per_thread:?}");
        // A connection keeps its thread.
        let first = which_thread(&mut open[0]).await;
        assert_eq!(first, which_thread(&mut open[0]).await);

        stop.send(()).unwrap();
        let done = tokio::time::timeout(Duration::from_secs(10), served).await;
        assert!(matches!(done, Ok(Ok(Ok(())))), "serving ended: {done:?}");
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "no longer listening"
        );
    }
}
