//! Calls through a scripted HTTP proxy: forwarded plain HTTP, `CONNECT` tunnels, refusals,
//! and which hosts skip the proxy.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use super::*;

/// A proxy in front of `backend` (whatever host a request names): it opens `CONNECT` tunnels
/// and passes forwarded requests on as they came. It records each connection's first head, and
/// answers 407 to requests without `Proxy-Authorization` when `auth` is set.
async fn proxy_server(backend: String, auth: Option<&'static str>) -> (u16, Server) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (accepted, heads) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(Mutex::new(Vec::new())),
    );
    let (a, h) = (accepted.clone(), heads.clone());
    tokio::spawn(async move {
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            a.fetch_add(1, Ordering::SeqCst);
            let (h, backend) = (h.clone(), backend.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let Some(head) = read_request(&mut client, &mut buf).await else {
                    return;
                };
                h.lock().unwrap().push(head.clone());
                if auth.is_some_and(|a| !head.contains(&format!("Proxy-Authorization: {a}\r\n"))) {
                    let refusal =
                        b"HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n";
                    client.write_all(refusal).await.unwrap();
                    return;
                }
                let mut upstream = tokio::net::TcpStream::connect(&backend).await.unwrap();
                if head.starts_with("CONNECT ") {
                    let opened = b"HTTP/1.1 200 Connection established\r\n\r\n";
                    client.write_all(opened).await.unwrap();
                } else {
                    upstream.write_all(head.as_bytes()).await.unwrap();
                }
                upstream.write_all(&buf).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    let server = Server {
        target: Target::parse("http://unused.test/").unwrap(),
        accepted,
        closed: Arc::new(AtomicUsize::new(0)),
        requests: heads,
    };
    (port, server)
}

/// `backend`'s target under the name `provider.test`, which only the proxy knows.
fn named(backend: &Server) -> Arc<Target> {
    let url = backend.target.url.replace("127.0.0.1", "provider.test");
    Target::parse(&url).unwrap()
}

#[tokio::test]
async fn plain_http_goes_through_the_proxy_as_a_whole_url_with_its_credentials() {
    let backend = server(Script::KeepAlive).await;
    let (port, proxy) = proxy_server(backend.target.tunnel_to.clone(), None).await;
    let client = Client::default();
    client.use_proxy(Proxy::parse(&format!("http://user:p%40ss@127.0.0.1:{port}"), "").unwrap());
    let target = named(&backend);
    for _ in 0..2 {
        send_ok(&client, &target).await;
    }
    assert_eq!(proxy.accepted.load(Ordering::SeqCst), 1, "kept alive");
    let requests = backend.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    let line = format!("POST {} HTTP/1.1\r\n", target.url);
    for r in requests {
        assert!(r.starts_with(&line), "{r}");
        // base64 of "user:p@ss"
        assert!(
            r.contains("proxy-authorization: Basic dXNlcjpwQHNz\r\n"),
            "{r}"
        );
    }
}

#[tokio::test]
async fn https_goes_through_a_connect_tunnel() {
    let backend = tls_server().await;
    let (port, proxy) =
        proxy_server(backend.target.tunnel_to.clone(), Some("Basic dXNlcjpwQHNz")).await;
    let client = trusting_client();
    client.use_proxy(Proxy::parse(&format!("http://user:p%40ss@127.0.0.1:{port}/"), "").unwrap());
    let target = named(&backend);
    for _ in 0..2 {
        send_ok(&client, &target).await;
    }
    let heads = proxy.requests.lock().unwrap().clone();
    assert_eq!(heads.len(), 1, "one tunnel, kept alive: {heads:?}");
    let authority = target.tunnel_to.clone();
    assert!(authority.starts_with("provider.test:"));
    assert!(
        heads[0].starts_with(&format!(
            "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
        )),
        "{}",
        heads[0]
    );
    assert_eq!(backend.accepted.load(Ordering::SeqCst), 1);
    let requests = backend.requests.lock().unwrap().clone();
    assert!(
        requests[1].starts_with("POST /v1/chat?x=1 HTTP/1.1"),
        "{}",
        requests[1]
    );
    assert!(
        !requests[1].to_lowercase().contains("proxy-authorization"),
        "the credentials stay with the proxy"
    );
}

#[tokio::test]
async fn a_proxy_that_refuses_the_tunnel_is_a_connect_failure() {
    let backend = tls_server().await;
    let (port, _proxy) = proxy_server(backend.target.tunnel_to.clone(), Some("Basic x")).await;
    let client = Client::default();
    client.use_proxy(Proxy::parse(&format!("http://127.0.0.1:{port}"), "").unwrap());
    match client.send(call(&named(&backend))).await {
        Err(Failure::Connect(why)) => assert!(why.contains("407"), "{why}"),
        other => panic!("expected a connect failure, got {:?}", other.err()),
    }
    assert_eq!(backend.accepted.load(Ordering::SeqCst), 0);
}

#[test]
fn loopback_and_skipped_hosts_are_called_directly() {
    let p = Proxy::parse(
        "http://u:secret@proxy.corp:3128",
        "example.com, .internal.net,*.dev.io, 10.1.2.3",
    )
    .unwrap();
    assert_eq!(p.shown(), "http://proxy.corp:3128");
    assert_eq!(format!("{p:?}"), "http://proxy.corp:3128");
    for through in [
        "api.openai.com",
        "notexample.com",
        "10.1.2.4",
        "example.com.evil.io",
    ] {
        assert!(p.covers(through), "{through}");
    }
    for direct in [
        "example.com",
        "API.Example.com",
        "x.internal.net",
        "internal.net",
        "a.dev.io",
        "10.1.2.3",
        "127.0.0.1",
        "127.3.4.5",
        "::1",
        "localhost",
    ] {
        assert!(!p.covers(direct), "{direct}");
    }
    assert!(
        !Proxy::parse("http://p:3128", "*")
            .unwrap()
            .covers("api.openai.com")
    );
    assert_eq!(Proxy::parse("http://p", "").unwrap().port, 80);
    for bad in [
        "https://p:3128",
        "p:3128",
        "http://p:3128/path",
        "http://",
        "http://u:%zz@p:3128",
        "http://p:99999",
    ] {
        assert!(Proxy::parse(bad, "").is_err(), "{bad}");
    }
}
