//! A small Redis client for the counters replicas share (RESP2 over TCP): each command goes
//! out on an idle pooled connection, or a new one, and waits for its reply within a timeout. A
//! connection that fails or times out is dropped. URLs: `redis://[[user]:password@]host[:port][/db]`.

use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Idle connections kept at most.
const IDLE_MAX: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+OK` and other simple strings.
    Status(String),
    Int(i64),
    /// A bulk string; `None` for nil.
    Bulk(Option<Vec<u8>>),
    /// `None` for a nil array.
    Array(Option<Vec<Reply>>),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RedisError {
    #[error("invalid Redis URL: {0}")]
    Url(String),
    #[error("Redis is unreachable: {0}")]
    Io(String),
    #[error("Redis did not answer within {0} ms")]
    Timeout(u128),
    #[error("Redis refused: {0}")]
    Refused(String),
    #[error("Redis sent what is not RESP: {0}")]
    Protocol(String),
}

pub struct Redis {
    addr: String,
    /// `AUTH` arguments (user, password), `SELECT`ed database.
    auth: Option<(Option<String>, String)>,
    db: u32,
    timeout: Duration,
    idle: Mutex<Vec<Conn>>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redis({}/{})", self.addr, self.db)
    }
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Redis {
    /// Parses the URL; connects on first use. `timeout` bounds each command.
    pub fn new(url: &str, timeout: Duration) -> Result<Redis, RedisError> {
        let bad = |why: &str| RedisError::Url(why.to_string());
        let rest = url
            .strip_prefix("redis://")
            .ok_or_else(|| bad("must start with redis://"))?;
        let (userinfo, rest) = match rest.rsplit_once('@') {
            Some((u, r)) => (Some(u), r),
            None => (None, rest),
        };
        let (hostport, db) = match rest.split_once('/') {
            Some((h, "")) => (h, 0),
            Some((h, d)) => (
                h,
                d.parse()
                    .map_err(|_| bad("the database must be a number"))?,
            ),
            None => (rest, 0),
        };
        if hostport.is_empty() {
            return Err(bad("no host"));
        }
        let addr = if hostport
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
            && !hostport.ends_with(']')
        {
            hostport.to_string()
        } else {
            format!("{hostport}:6379")
        };
        let auth = userinfo.map(|u| match u.split_once(':') {
            Some(("", pass)) => (None, pass.to_string()),
            Some((user, pass)) => (Some(user.to_string()), pass.to_string()),
            None => (None, u.to_string()),
        });
        Ok(Redis {
            addr,
            auth,
            db,
            timeout,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// `redis://host:port/db`, without the credentials.
    pub fn shown(&self) -> String {
        format!("redis://{}/{}", self.addr, self.db)
    }

    /// Runs one command. An error reply is [`RedisError::Refused`].
    pub async fn call(&self, args: &[&[u8]]) -> Result<Reply, RedisError> {
        let ms = self.timeout.as_millis();
        tokio::time::timeout(self.timeout, self.run(args))
            .await
            .map_err(|_| RedisError::Timeout(ms))?
    }

    async fn run(&self, args: &[&[u8]]) -> Result<Reply, RedisError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match idle {
            Some(c) => c,
            None => self.connect().await?,
        };
        let reply = conn.call(args).await?;
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < IDLE_MAX {
            idle.push(conn);
        }
        drop(idle);
        match reply {
            Err(message) => Err(RedisError::Refused(message)),
            Ok(r) => Ok(r),
        }
    }

    async fn connect(&self) -> Result<Conn, RedisError> {
        let stream = TcpStream::connect(&self.addr)
            .await
            .map_err(|e| RedisError::Io(format!("{}: {e}", self.addr)))?;
        let _ = stream.set_nodelay(true);
        let mut conn = Conn {
            stream,
            buf: Vec::new(),
        };
        if let Some((user, pass)) = &self.auth {
            let reply = match user {
                Some(u) => conn.call(&[b"AUTH", u.as_bytes(), pass.as_bytes()]).await?,
                None => conn.call(&[b"AUTH", pass.as_bytes()]).await?,
            };
            reply.map_err(RedisError::Refused)?;
        }
        if self.db != 0 {
            let db = self.db.to_string();
            conn.call(&[b"SELECT", db.as_bytes()])
                .await?
                .map_err(RedisError::Refused)?;
        }
        Ok(conn)
    }
}

impl Conn {
    /// Sends a command and reads its reply; `Ok(Err(message))` for an error reply.
    async fn call(&mut self, args: &[&[u8]]) -> Result<Result<Reply, String>, RedisError> {
        let mut out = Vec::with_capacity(16 + args.iter().map(|a| a.len() + 16).sum::<usize>());
        out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        let io = |e: std::io::Error| RedisError::Io(e.to_string());
        self.stream.write_all(&out).await.map_err(io)?;
        loop {
            if let Some((reply, used)) = parse(&self.buf)? {
                self.buf.drain(..used);
                return Ok(reply);
            }
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await.map_err(io)?;
            if n == 0 {
                return Err(RedisError::Io("the connection closed".into()));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

type Parsed = Option<(Result<Reply, String>, usize)>;

/// One reply from the start of `buf`, and the bytes it took; `None` while incomplete.
fn parse(buf: &[u8]) -> Result<Parsed, RedisError> {
    let Some(end) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let bad = || RedisError::Protocol(String::from_utf8_lossy(&buf[..end]).into_owned());
    let line = std::str::from_utf8(&buf[1..end]).map_err(|_| bad())?;
    let after = end + 2;
    let number = || line.parse::<i64>().map_err(|_| bad());
    Ok(Some(match buf.first() {
        Some(b'+') => (Ok(Reply::Status(line.to_string())), after),
        Some(b'-') => (Err(line.to_string()), after),
        Some(b':') => (Ok(Reply::Int(number()?)), after),
        Some(b'$') => {
            let n = number()?;
            if n < 0 {
                return Ok(Some((Ok(Reply::Bulk(None)), after)));
            }
            let n = n as usize;
            if buf.len() < after + n + 2 {
                return Ok(None);
            }
            (
                Ok(Reply::Bulk(Some(buf[after..after + n].to_vec()))),
                after + n + 2,
            )
        }
        Some(b'*') => {
            let n = number()?;
            if n < 0 {
                return Ok(Some((Ok(Reply::Array(None)), after)));
            }
            let mut items = Vec::with_capacity(n as usize);
            let mut at = after;
            for _ in 0..n {
                let Some((item, used)) = parse(&buf[at..])? else {
                    return Ok(None);
                };
                items.push(item.map_err(|e| RedisError::Protocol(format!("error in array: {e}")))?);
                at += used;
            }
            (Ok(Reply::Array(Some(items))), at)
        }
        _ => return Err(bad()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_the_address_credentials_and_database() {
        let r = Redis::new("redis://127.0.0.1:6380/2", Duration::from_secs(1)).unwrap();
        assert_eq!(
            (r.addr.as_str(), r.db, r.auth.clone()),
            ("127.0.0.1:6380", 2, None)
        );
        let r = Redis::new("redis://:s3cret@cache", Duration::from_secs(1)).unwrap();
        assert_eq!(r.addr, "cache:6379");
        assert_eq!(r.auth, Some((None, "s3cret".into())));
        let r = Redis::new("redis://ops:pw@[::1]:7000/", Duration::from_secs(1)).unwrap();
        assert_eq!((r.addr.as_str(), r.db), ("[::1]:7000", 0));
        assert_eq!(r.auth, Some((Some("ops".into()), "pw".into())));
        assert!(!format!("{r:?}").contains("pw"));
        for bad in ["http://h", "redis://", "redis://h/x"] {
            assert!(Redis::new(bad, Duration::from_secs(1)).is_err(), "{bad}");
        }
    }

    #[test]
    fn replies_are_read_whole_or_not_at_all() {
        let all = b"*3\r\n:5\r\n$3\r\nabc\r\n$-1\r\n+OK\r\n";
        let (reply, used) = parse(all).unwrap().unwrap();
        assert_eq!(
            reply.unwrap(),
            Reply::Array(Some(vec![
                Reply::Int(5),
                Reply::Bulk(Some(b"abc".to_vec())),
                Reply::Bulk(None)
            ]))
        );
        assert_eq!(&all[used..], b"+OK\r\n");
        for cut in 0..used {
            assert_eq!(parse(&all[..cut]).unwrap(), None, "cut at {cut}");
        }
        let (err, _) = parse(b"-NOSCRIPT no script\r\n").unwrap().unwrap();
        assert_eq!(err, Err("NOSCRIPT no script".into()));
        assert!(parse(b"?what\r\n").is_err());
    }

    #[tokio::test]
    async fn commands_run_against_a_real_redis() {
        let r = Redis::new(&crate::testing::redis_url(), Duration::from_secs(2)).unwrap();
        let key = format!("ops-test:{}", crate::new_id());
        assert_eq!(
            r.call(&[b"INCRBY", key.as_bytes(), b"5"]).await,
            Ok(Reply::Int(5))
        );
        assert_eq!(
            r.call(&[b"INCRBY", key.as_bytes(), b"-2"]).await,
            Ok(Reply::Int(3))
        );
        assert_eq!(
            r.call(&[b"GET", key.as_bytes()]).await,
            Ok(Reply::Bulk(Some(b"3".to_vec())))
        );
        assert_eq!(r.call(&[b"DEL", key.as_bytes()]).await, Ok(Reply::Int(1)));
        assert!(matches!(
            r.call(&[b"NOSUCHCOMMAND"]).await,
            Err(RedisError::Refused(_))
        ));
        let down = Redis::new("redis://127.0.0.1:1", Duration::from_secs(2)).unwrap();
        assert!(matches!(
            down.call(&[b"PING"]).await,
            Err(RedisError::Io(_))
        ));
    }
}
