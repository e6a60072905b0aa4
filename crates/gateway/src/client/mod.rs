//! The HTTP/1.1 client the gateway calls providers with.
//!
//! Each call drives its own connection on the task that serves the request: there is no
//! connection task and no channel hop between tasks (with a pooled client every answer wakes
//! two tasks, often on both cores). A kept-alive connection goes back to its target's idle list
//! once its answer has been read to the end, and is reused only by the thread that opened it:
//! a socket's readiness is reported by the runtime it was opened on, so on another thread's
//! runtime each answer would cost a wake-up across threads. Before reuse a connection is polled
//! once, so one the provider closed meanwhile is dropped, and a call that still meets a closed
//! connection is sent again on a new one. Dropping an answer's [`Body`] early closes its
//! connection, which cancels the provider's work. TLS is rustls with the Web PKI roots. With a
//! [`Proxy`] set, calls go through it (a `CONNECT` tunnel for HTTPS).

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::thread::{self, ThreadId};
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use http::header::{CONTENT_TYPE, HOST, HeaderMap, HeaderValue, PROXY_AUTHORIZATION};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Method, Request, Uri};
use http_body_util::Full;
use hyper::body::{Body as _, Incoming};
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

mod io;
mod proxy;
use io::{Io, tls_connector};
pub use proxy::Proxy;

/// How long an idle connection is kept for reuse.
const IDLE_FOR: Duration = Duration::from_secs(90);
/// Idle connections kept per target at most.
const IDLE_MAX: usize = 256;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No connection (name lookup, TCP or TLS) within the connect timeout.
    Connect(String),
    /// No answer within the first-byte timeout.
    NoAnswer,
    /// The total timeout ran out while the answer was read.
    TimedOut,
    /// The connection broke.
    Broken(String),
    /// The request could not be written (a header value a header cannot carry).
    Invalid(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Connect(why) => write!(f, "could not connect: {why}"),
            Failure::NoAnswer => f.write_str("no answer in time"),
            Failure::TimedOut => f.write_str("timed out"),
            Failure::Broken(why) => write!(f, "the connection failed: {why}"),
            Failure::Invalid(why) => write!(f, "the request could not be sent: {why}"),
        }
    }
}

/// Where calls go: a URL parsed once, with the idle connections to its host.
pub struct Target {
    url: String,
    tls: bool,
    host: String,
    port: u16,
    authority: HeaderValue,
    /// `host:port`, for a proxy's `CONNECT`.
    tunnel_to: String,
    path: Uri,
    /// The whole URL, for a request a proxy forwards.
    absolute: Uri,
    /// Oldest first, with the thread that opened each.
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    conn: Conn,
    since: Instant,
    thread: ThreadId,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

impl Target {
    /// An `http` or `https` URL; `None` for anything else.
    pub fn parse(url: &str) -> Option<Arc<Target>> {
        let uri: Uri = url.parse().ok()?;
        let tls = match uri.scheme() {
            Some(s) if *s == Scheme::HTTPS => true,
            Some(s) if *s == Scheme::HTTP => false,
            _ => return None,
        };
        let authority: &Authority = uri.authority()?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.is_empty() {
            return None;
        }
        let path = uri.path_and_query().map_or("/", PathAndQuery::as_str);
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        Some(Arc::new(Target {
            url: url.to_string(),
            tls,
            host: host.to_string(),
            port,
            authority: HeaderValue::from_str(authority.as_str()).ok()?,
            tunnel_to: format!("{}:{port}", authority.host()),
            path: Uri::try_from(path).ok()?,
            absolute: uri.clone(),
            idle: Mutex::new(Vec::new()),
        }))
    }

    /// The most recently used idle connection this thread opened, if still within its idle
    /// time.
    fn take(&self) -> Option<Conn> {
        let me = thread::current().id();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let i = idle.iter().rposition(|c| c.thread == me)?;
        let c = idle.remove(i);
        (c.since.elapsed() < IDLE_FOR).then_some(c.conn)
    }

    fn put(&self, conn: Conn) {
        let now = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.first().is_some_and(|c| now - c.since >= IDLE_FOR) {
            idle.retain(|c| now - c.since < IDLE_FOR);
        }
        if idle.len() < IDLE_MAX {
            idle.push(Idle {
                conn,
                since: now,
                thread: thread::current().id(),
            });
        }
    }

    fn forget_idle(&self) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// One call.
pub struct Call<'a> {
    pub method: Method,
    pub target: &'a Arc<Target>,
    /// Headers besides `Host` and, for a body, `Content-Type: application/json`.
    pub headers: HeaderMap,
    /// A JSON body, or empty.
    pub body: Bytes,
    pub connect: Duration,
    /// Until the answer's head.
    pub first_byte: Duration,
    /// Until the answer's last byte.
    pub total: Duration,
}

/// An answer whose head has arrived.
pub struct Answer {
    pub status: u16,
    pub body: Body,
}

/// The gateway's client: only the TLS configuration (built on first use) and the proxy are
/// shared.
#[derive(Default)]
pub struct Client {
    tls: OnceLock<tokio_rustls::TlsConnector>,
    proxy: OnceLock<Proxy>,
}

impl Client {
    /// Sends calls through `proxy` from now on (set once, at start).
    pub fn use_proxy(&self, proxy: Proxy) {
        let _ = self.proxy.set(proxy);
    }

    pub fn proxy(&self) -> Option<&Proxy> {
        self.proxy.get()
    }

    /// The proxy calls to `target` go through, if any.
    fn via(&self, target: &Target) -> Option<&Proxy> {
        self.proxy.get().filter(|p| p.covers(&target.host))
    }

    /// Sends `call` and waits for the answer's head.
    pub async fn send(&self, call: Call<'_>) -> Result<Answer, Failure> {
        let start = Instant::now();
        let total = call.total;
        let target = call.target.clone();
        let mut timer = Box::pin(tokio::time::sleep(call.first_byte.min(total)));
        let mut head = pin!(self.head(call));
        let (res, conn) = poll_fn(|cx| {
            if let Poll::Ready(r) = head.as_mut().poll(cx) {
                return Poll::Ready(r);
            }
            match timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(Failure::NoAnswer)),
                Poll::Pending => Poll::Pending,
            }
        })
        .await?;
        timer.as_mut().reset(start + total);
        Ok(Answer {
            status: res.status().as_u16(),
            body: Body {
                incoming: res.into_body(),
                conn: Some(conn),
                target,
                timer,
            },
        })
    }

    /// Writes the request and reads the answer's head, on an idle connection when there is
    /// one; a connection the provider closed while idle is replaced once by a new one.
    async fn head(&self, call: Call<'_>) -> Result<(hyper::Response<Incoming>, Conn), Failure> {
        let Call {
            method,
            target,
            mut headers,
            body,
            connect,
            ..
        } = call;
        headers.insert(HOST, target.authority.clone());
        if !body.is_empty() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        // Plain HTTP through a proxy: the whole URL in the request line, the proxy's
        // credentials in a header. (HTTPS goes through a tunnel and looks direct.)
        let forward = if target.tls { None } else { self.via(target) };
        if let Some(auth) = forward.and_then(|p| p.auth.clone()) {
            headers.insert(PROXY_AUTHORIZATION, auth);
        }
        let uri = if forward.is_some() {
            &target.absolute
        } else {
            &target.path
        };
        let request = |headers: HeaderMap, body: Bytes| {
            let mut req = Request::new(Full::new(body));
            *req.method_mut() = method.clone();
            *req.uri_mut() = uri.clone();
            *req.headers_mut() = headers;
            req
        };
        if let Some(mut conn) = self.reusable(target).await {
            match conn.exchange(request(headers.clone(), body.clone())).await {
                Ok(res) => return Ok((res, conn)),
                Err(Exchange::Stale) => target.forget_idle(),
                Err(Exchange::Failed(f)) => return Err(f),
            }
        }
        let mut conn = tokio::time::timeout(connect, self.connect(target))
            .await
            .map_err(|_| {
                Failure::Connect(format!("no connection within {} ms", connect.as_millis()))
            })??;
        match conn.exchange(request(headers, body)).await {
            Ok(res) => Ok((res, conn)),
            Err(Exchange::Stale) => Err(Failure::Broken("closed before the answer".into())),
            Err(Exchange::Failed(f)) => Err(f),
        }
    }

    /// An idle connection that is still open and ready for a request.
    async fn reusable(&self, target: &Target) -> Option<Conn> {
        while let Some(mut c) = target.take() {
            let ready = poll_fn(|cx| {
                Poll::Ready(c.conn.poll_without_shutdown(cx).is_pending() && c.send.is_ready())
            })
            .await;
            if ready {
                return Some(c);
            }
        }
        None
    }

    async fn connect(&self, target: &Target) -> Result<Conn, Failure> {
        let tcp = match self.via(target) {
            None => TcpStream::connect((target.host.as_str(), target.port))
                .await
                .map_err(|e| Failure::Connect(e.to_string()))?,
            Some(proxy) => {
                let mut tcp = proxy.connect().await?;
                if target.tls {
                    proxy.tunnel(&mut tcp, &target.tunnel_to).await?;
                }
                tcp
            }
        };
        let _ = tcp.set_nodelay(true);
        let io = if target.tls {
            let name = rustls::pki_types::ServerName::try_from(target.host.clone())
                .map_err(|e| Failure::Connect(e.to_string()))?;
            let tls = self
                .tls
                .get_or_init(tls_connector)
                .connect(name, tcp)
                .await
                .map_err(|e| Failure::Connect(format!("TLS: {e}")))?;
            Io::Tls(Box::new(tls))
        } else {
            Io::Plain(tcp)
        };
        let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| Failure::Connect(e.to_string()))?;
        Ok(Conn { send, conn })
    }
}

/// One HTTP/1.1 connection: the sender and the state machine that does its I/O.
struct Conn {
    send: SendRequest<Full<Bytes>>,
    conn: Connection<TokioIo<Io>, Full<Bytes>>,
}

enum Exchange {
    /// The connection was closed before the request went out: send it on another.
    Stale,
    Failed(Failure),
}

impl Conn {
    /// Sends a request and drives the connection until the answer's head is in.
    async fn exchange(
        &mut self,
        req: Request<Full<Bytes>>,
    ) -> Result<hyper::Response<Incoming>, Exchange> {
        let mut answer = pin!(self.send.send_request(req));
        let conn = &mut self.conn;
        let mut open = true;
        let outcome = poll_fn(|cx| {
            if let Poll::Ready(r) = answer.as_mut().poll(cx) {
                return Poll::Ready(Some(r));
            }
            if open {
                open = conn.poll_without_shutdown(cx).is_pending();
                if let Poll::Ready(r) = answer.as_mut().poll(cx) {
                    return Poll::Ready(Some(r));
                }
            }
            if open {
                Poll::Pending
            } else {
                Poll::Ready(None)
            }
        })
        .await;
        match outcome {
            Some(Ok(res)) => Ok(res),
            Some(Err(e)) if e.is_canceled() || e.is_incomplete_message() => Err(Exchange::Stale),
            Some(Err(e)) if e.is_user() => Err(Exchange::Failed(Failure::Invalid(e.to_string()))),
            Some(Err(e)) => Err(Exchange::Failed(Failure::Broken(e.to_string()))),
            None => Err(Exchange::Stale),
        }
    }
}

/// An answer's body: polling it also drives its connection. Read to the end, the connection
/// goes back to its target for reuse; dropped before, the connection is closed.
pub struct Body {
    incoming: Incoming,
    conn: Option<Conn>,
    target: Arc<Target>,
    timer: Pin<Box<Sleep>>,
}

impl Body {
    /// The whole body.
    pub async fn bytes(mut self) -> Result<Bytes, Failure> {
        use futures::StreamExt;
        let Some(first) = self.next().await.transpose()? else {
            return Ok(Bytes::new());
        };
        let Some(second) = self.next().await.transpose()? else {
            return Ok(first);
        };
        let mut all = Vec::with_capacity(first.len() + second.len());
        all.extend_from_slice(&first);
        all.extend_from_slice(&second);
        while let Some(more) = self.next().await.transpose()? {
            all.extend_from_slice(&more);
        }
        Ok(Bytes::from(all))
    }
}

impl Stream for Body {
    type Item = Result<Bytes, Failure>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let mut drove = false;
        loop {
            match Pin::new(&mut this.incoming).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if !data.is_empty() => return Poll::Ready(Some(Ok(data))),
                    _ => continue,
                },
                Poll::Ready(Some(Err(e))) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(Failure::Broken(e.to_string()))));
                }
                Poll::Ready(None) => {
                    if let Some(c) = this.conn.take() {
                        this.target.put(c);
                    }
                    return Poll::Ready(None);
                }
                Poll::Pending => {}
            }
            let Some(c) = this.conn.as_mut().filter(|_| !drove) else {
                break;
            };
            drove = true;
            if c.conn.poll_without_shutdown(cx).is_ready() {
                // Done or broken: dropping it ends the body, with the error if there was one.
                this.conn = None;
                drove = false;
            }
        }
        if this.timer.as_mut().poll(cx).is_ready() {
            this.conn = None;
            return Poll::Ready(Some(Err(Failure::TimedOut)));
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests;
