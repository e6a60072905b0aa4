use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

/// What the test server does with each request on a connection.
#[derive(Clone, Copy)]
enum Script {
    /// Answers `ok` and keeps the connection open.
    KeepAlive,
    /// Answers `ok` as if keeping the connection, then closes it.
    AnswerThenClose,
    /// Sends the head and one chunk, then waits for the client to go.
    Stall,
    /// Reads the request and never answers.
    Silent,
    /// Answers a connection's first request; closes it on reading the second, unanswered
    /// (the provider's idle timeout striking as the request arrives).
    FirstOnly,
}

struct Server {
    target: Arc<Target>,
    /// Connections accepted, and seen closed by the client.
    accepted: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
    /// Every request's head and body as received.
    requests: Arc<Mutex<Vec<String>>>,
}

async fn server(script: Script) -> Server {
    listen(script, None).await
}

/// Serves plain HTTP, or HTTPS with `tls`.
async fn listen(script: Script, tls: Option<tokio_rustls::TlsAcceptor>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}/v1/chat?x=1", listener.local_addr().unwrap());
    let (accepted, closed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (a, c, r) = (accepted.clone(), closed.clone(), requests.clone());
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let (c, r) = (c.clone(), r.clone());
            match &tls {
                None => {
                    a.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(serve(socket, script, c, r));
                }
                Some(acceptor) => {
                    if let Ok(tls) = acceptor.accept(socket).await {
                        a.fetch_add(1, Ordering::SeqCst);
                        tokio::spawn(serve(tls, script, c, r));
                    }
                }
            }
        }
    });
    Server {
        target: Target::parse(&url).unwrap(),
        accepted,
        closed,
        requests,
    }
}

async fn serve(
    mut s: impl AsyncRead + AsyncWrite + Unpin,
    script: Script,
    closed: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
) {
    let mut buf = Vec::new();
    for n in 0.. {
        let Some(request) = read_request(&mut s, &mut buf).await else {
            closed.fetch_add(1, Ordering::SeqCst);
            return;
        };
        requests.lock().unwrap().push(request);
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        match script {
            Script::KeepAlive => s.write_all(ok).await.unwrap(),
            Script::AnswerThenClose => {
                s.write_all(ok).await.unwrap();
                return;
            }
            Script::Stall => {
                let head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n";
                s.write_all(head).await.unwrap();
            }
            Script::Silent => {}
            Script::FirstOnly if n == 0 => s.write_all(ok).await.unwrap(),
            Script::FirstOnly => return,
        }
    }
}

/// One request's head and body; `None` once the client has closed the connection.
async fn read_request(s: &mut (impl AsyncRead + Unpin), buf: &mut Vec<u8>) -> Option<String> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buf.len() >= end + 4 + length {
                let request = String::from_utf8_lossy(&buf[..end + 4 + length]).into_owned();
                buf.drain(..end + 4 + length);
                return Some(request);
            }
        }
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn call(target: &Arc<Target>) -> Call<'_> {
    let mut headers = HeaderMap::new();
    headers.insert("x-api-key", HeaderValue::from_static("k"));
    Call {
        method: Method::POST,
        target,
        headers,
        body: Bytes::from_static(b"{\"a\":1}"),
        connect: Duration::from_secs(1),
        first_byte: Duration::from_secs(5),
        total: Duration::from_secs(5),
    }
}

/// Sends one call and expects `ok`.
async fn send_ok(client: &Client, target: &Arc<Target>) {
    let answer = client.send(call(target)).await.unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body.bytes().await.unwrap(), "ok");
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never happened: {what}");
}

#[tokio::test]
async fn a_connection_is_reused_once_its_answer_is_read() {
    let s = server(Script::KeepAlive).await;
    let client = Client::default();
    for _ in 0..3 {
        send_ok(&client, &s.target).await;
    }
    assert_eq!(s.accepted.load(Ordering::SeqCst), 1);
    let requests = s.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 3);
    let host = format!("host: {}", s.target.authority.to_str().unwrap());
    for r in requests {
        assert!(r.starts_with("POST /v1/chat?x=1 HTTP/1.1\r\n"), "{r}");
        let lower = r.to_lowercase();
        assert!(lower.contains(&host), "{r}");
        assert!(lower.contains("content-type: application/json"), "{r}");
        assert!(lower.contains("content-length: 7"), "{r}");
        assert!(lower.contains("x-api-key: k"), "{r}");
        assert!(r.ends_with("\r\n\r\n{\"a\":1}"), "{r}");
    }
}

#[tokio::test]
async fn an_idle_connection_is_reused_only_by_the_thread_that_opened_it() {
    let s = server(Script::KeepAlive).await;
    let client = Arc::new(Client::default());
    send_ok(&client, &s.target).await;
    // Another thread, with its own runtime, as a serving thread has (awaited, not joined:
    // the test server runs on this thread's runtime).
    let (c, t) = (client.clone(), s.target.clone());
    let (done, finished) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            send_ok(&c, &t).await;
            send_ok(&c, &t).await;
        });
        done.send(()).unwrap();
    });
    finished.await.expect("the other thread's calls succeed");
    assert_eq!(
        s.accepted.load(Ordering::SeqCst),
        2,
        "one connection per thread"
    );
    send_ok(&client, &s.target).await;
    assert_eq!(
        s.accepted.load(Ordering::SeqCst),
        2,
        "this thread's own is reused"
    );
    assert_eq!(s.requests.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn a_connection_the_provider_closed_while_idle_is_replaced() {
    let s = server(Script::AnswerThenClose).await;
    let client = Client::default();
    for _ in 0..3 {
        send_ok(&client, &s.target).await;
        // The provider's close reaches the client before the next call.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(s.accepted.load(Ordering::SeqCst), 3);
    assert_eq!(s.requests.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_request_the_provider_closed_on_unanswered_goes_out_again_on_a_new_connection() {
    let s = server(Script::FirstOnly).await;
    let client = Client::default();
    for _ in 0..3 {
        send_ok(&client, &s.target).await;
    }
    // Calls 2 and 3 each met a reused connection that closed, and went out again.
    assert_eq!(s.accepted.load(Ordering::SeqCst), 3);
    assert_eq!(s.requests.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn dropping_a_body_early_closes_its_connection() {
    let s = server(Script::Stall).await;
    let client = Client::default();
    let mut answer = client.send(call(&s.target)).await.unwrap();
    assert_eq!(answer.body.next().await.unwrap().unwrap(), "hello");
    assert_eq!(s.closed.load(Ordering::SeqCst), 0);
    drop(answer);
    eventually("the provider saw the connection close", || {
        s.closed.load(Ordering::SeqCst) == 1
    })
    .await;
    assert!(
        s.target.take().is_none(),
        "a cut-off connection is not reused"
    );
}

#[tokio::test]
async fn no_head_within_the_first_byte_timeout_is_no_answer() {
    let s = server(Script::Silent).await;
    let client = Client::default();
    let mut c = call(&s.target);
    c.first_byte = Duration::from_millis(100);
    let started = Instant::now();
    assert_eq!(client.send(c).await.err(), Some(Failure::NoAnswer));
    assert!(started.elapsed() < Duration::from_secs(2));
    eventually("the connection was closed", || {
        s.closed.load(Ordering::SeqCst) == 1
    })
    .await;
}

#[tokio::test]
async fn the_total_timeout_ends_a_stalled_body() {
    let s = server(Script::Stall).await;
    let client = Client::default();
    let mut c = call(&s.target);
    c.total = Duration::from_millis(300);
    let mut answer = client.send(c).await.unwrap();
    assert_eq!(answer.body.next().await.unwrap().unwrap(), "hello");
    assert_eq!(answer.body.next().await.unwrap(), Err(Failure::TimedOut));
    eventually("the connection was closed", || {
        s.closed.load(Ordering::SeqCst) == 1
    })
    .await;
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_failure() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let target = Target::parse(&url).unwrap();
    match Client::default().send(call(&target)).await {
        Err(Failure::Connect(why)) => assert!(why.to_lowercase().contains("refused"), "{why}"),
        other => panic!("expected a connect failure, got {:?}", other.err()),
    }
}

#[test]
fn targets_are_http_or_https_urls() {
    let t = Target::parse("https://api.example.com/v1/chat/completions").unwrap();
    assert!(t.tls);
    assert_eq!((t.host.as_str(), t.port), ("api.example.com", 443));
    assert_eq!(t.path, "/v1/chat/completions");
    assert_eq!(t.authority, "api.example.com");
    let t = Target::parse("http://[::1]:8080").unwrap();
    assert!(!t.tls);
    assert_eq!((t.host.as_str(), t.port), ("::1", 8080));
    assert_eq!(t.path, "/");
    assert_eq!(t.authority, "[::1]:8080");
    let t = Target::parse("http://h/openai/deployments/d/chat?api-version=2024-10-21").unwrap();
    assert_eq!(t.path, "/openai/deployments/d/chat?api-version=2024-10-21");
    assert_eq!(t.port, 80);
    for bad in ["ftp://h/x", "h/x", "not a url", "http:///x"] {
        assert!(Target::parse(bad).is_none(), "{bad}");
    }
}

/// A self-signed certificate for 127.0.0.1 and its key, made for these tests only.
const CERT: &[u8] = include_bytes!("../test-cert.pem");
const KEY: &[u8] = include_bytes!("../test-key.pem");

fn cert() -> rustls::pki_types::CertificateDer<'static> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::from_pem_slice(CERT).unwrap()
}

/// An HTTPS server with [`CERT`] answering like [`Script::KeepAlive`].
async fn tls_server() -> Server {
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;
    let certs = vec![cert()];
    let key = PrivateKeyDer::from_pem_slice(KEY).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    listen(
        Script::KeepAlive,
        Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
    )
    .await
}

/// A client that trusts [`CERT`] (and nothing else).
fn trusting_client() -> Client {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert()).unwrap();
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = Client::default();
    let _ = client
        .tls
        .set(tokio_rustls::TlsConnector::from(Arc::new(config)));
    client
}

#[tokio::test]
async fn https_is_refused_for_a_certificate_outside_the_web_pki() {
    let s = tls_server().await;
    match Client::default().send(call(&s.target)).await {
        Err(Failure::Connect(why)) => assert!(why.contains("certificate"), "{why}"),
        other => panic!("expected a TLS failure, got {:?}", other.err()),
    }
    assert_eq!(s.accepted.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn https_answers_come_through_tls_on_a_reused_connection() {
    let s = tls_server().await;
    let client = trusting_client();
    for _ in 0..2 {
        send_ok(&client, &s.target).await;
    }
    assert_eq!(s.accepted.load(Ordering::SeqCst), 1);
    assert!(s.requests.lock().unwrap()[1].starts_with("POST /v1/chat?x=1 HTTP/1.1"));
}

mod proxy;
