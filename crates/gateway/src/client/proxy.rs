//! An HTTP proxy for provider calls: HTTPS goes through a `CONNECT` tunnel (the proxy sees only
//! the host and port), plain HTTP is forwarded in absolute form. Loopback hosts and the hosts
//! named in the skip list are called directly.

use std::fmt;

use base64::Engine;
use http::HeaderValue;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Failure;

/// The most a proxy's answer to `CONNECT` may take.
const HEAD_MAX: usize = 8 * 1024;

pub struct Proxy {
    /// The URL without its credentials, for display.
    shown: String,
    host: String,
    pub(super) port: u16,
    /// `Proxy-Authorization` when the URL carries credentials.
    pub(super) auth: Option<HeaderValue>,
    /// Lower-case host names (and their subdomains) and addresses called directly; `*`: all.
    skip: Vec<String>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Proxy {
    /// `http://[user:password@]host[:port]` (port 80 by default), and a comma-separated list
    /// of hosts to call directly, as in `NO_PROXY` (`example.com` also covers its subdomains;
    /// a leading dot or `*.` is allowed; `*` alone skips the proxy for every host).
    pub fn parse(url: &str, skip: &str) -> Result<Proxy, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or("the proxy URL must start with http://")?;
        let rest = rest.trim_end_matches('/');
        if rest.contains('/') {
            return Err("the proxy URL must not have a path".into());
        }
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let authority: http::uri::Authority = hostport
            .parse()
            .map_err(|_| format!("`{hostport}` is not a host and port"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.is_empty() {
            return Err("the proxy URL has no host".into());
        }
        let port = match authority.port_u16() {
            Some(p) => p,
            None if authority.as_str() == authority.host() => 80,
            None => return Err(format!("`{hostport}` has a bad port")),
        };
        let auth = match userinfo {
            None => None,
            Some(u) => {
                let (user, password) = u.split_once(':').unwrap_or((u, ""));
                let pair = format!("{}:{}", unescape(user)?, unescape(password)?);
                let token = base64::engine::general_purpose::STANDARD.encode(pair);
                let mut value = HeaderValue::try_from(format!("Basic {token}"))
                    .map_err(|_| "the proxy credentials cannot be sent")?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        Ok(Proxy {
            shown: format!("http://{hostport}"),
            host: host.to_string(),
            port,
            auth,
            skip: skip
                .split(',')
                .map(|h| h.trim().trim_start_matches("*.").trim_start_matches('.'))
                .filter(|h| !h.is_empty())
                .map(str::to_ascii_lowercase)
                .collect(),
        })
    }

    /// The proxy's URL without credentials.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The hosts called directly besides loopback.
    pub fn skipped(&self) -> &[String] {
        &self.skip
    }

    /// Whether calls to `host` (a target's host, without brackets) go through the proxy.
    pub fn covers(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        // `host` is `name` or a subdomain of it, in any case.
        let within = |name: &str| {
            let n = host.len().saturating_sub(name.len());
            host.is_char_boundary(n)
                && host[n..].eq_ignore_ascii_case(name)
                && (n == 0 || host.as_bytes()[n - 1] == b'.')
        };
        let loopback = within("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        !loopback && !self.skip.iter().any(|s| s == "*" || within(s))
    }

    /// A TCP connection to the proxy.
    pub(super) async fn connect(&self) -> Result<TcpStream, Failure> {
        TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| Failure::Connect(format!("proxy {}: {e}", self.shown)))
    }

    /// Asks the proxy for a tunnel to `authority` (`host:port`) on `tcp`.
    pub(super) async fn tunnel(&self, tcp: &mut TcpStream, authority: &str) -> Result<(), Failure> {
        let fail = |why: String| Failure::Connect(format!("proxy {}: {why}", self.shown));
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some(auth) = &self.auth {
            let value = auth.to_str().map_err(|e| fail(e.to_string()))?;
            request.push_str(&format!("Proxy-Authorization: {value}\r\n"));
        }
        request.push_str("\r\n");
        tcp.write_all(request.as_bytes())
            .await
            .map_err(|e| fail(e.to_string()))?;
        let mut head = Vec::with_capacity(256);
        let mut chunk = [0u8; 512];
        let end = loop {
            if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            if head.len() > HEAD_MAX {
                return Err(fail("its answer to CONNECT is too long".into()));
            }
            match tcp.read(&mut chunk).await {
                Ok(0) => return Err(fail("closed the connection instead of a tunnel".into())),
                Ok(n) => head.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(fail(e.to_string())),
            }
        };
        let status_line = String::from_utf8_lossy(&head[..end]);
        let status_line = status_line.lines().next().unwrap_or_default();
        let status = status_line
            .strip_prefix("HTTP/1.")
            .and_then(|s| s.get(2..5))
            .and_then(|s| s.parse::<u16>().ok());
        match status {
            Some(200..=299) if head.len() == end => Ok(()),
            Some(200..=299) => Err(fail("sent data before the tunnel opened".into())),
            Some(407) => Err(fail(
                "wants credentials (407): put them in the proxy URL".into(),
            )),
            _ => Err(fail(format!("refused the tunnel: {status_line}"))),
        }
    }
}

/// Undoes percent-encoding in a URL's user name or password.
fn unescape(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("a bad %-escape in the proxy credentials")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the proxy credentials are not UTF-8".into())
}
