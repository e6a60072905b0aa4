//! A real SMTP sink for the mail tests: PyPI `aiosmtpd` with its Maildir handler, one per test,
//! on a free loopback port, stopped when dropped. Under CI a missing sink fails the test.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Sink {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl Sink {
    /// `None` (with a note) when aiosmtpd is not installed outside CI.
    pub async fn start() -> Option<Sink> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("ops-smtp-{}", ops_db::new_id()));
        let spawned = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&dir) // not created here: the handler makes the Maildir itself
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(c) => c,
            Err(e) if std::env::var("CI").is_err() => {
                eprintln!("note: python3 -m aiosmtpd unavailable ({e}); mail test skipped");
                return None;
            }
            Err(e) => panic!("the SMTP sink (python3 -m aiosmtpd) is required under CI: {e}"),
        };
        let sink = Sink { port, dir, child };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(sink);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if std::env::var("CI").is_ok() {
            panic!("the SMTP sink did not start; run `make setup-test` (pip install aiosmtpd)");
        }
        eprintln!("note: aiosmtpd did not start; mail test skipped");
        None
    }

    /// The messages received so far, as raw text.
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("new")) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect()
    }

    /// Waits up to 10 s for a message to `to`; answers its raw text.
    pub async fn wait_for(&self, to: &str) -> String {
        for _ in 0..200 {
            if let Some(m) = self.messages().into_iter().find(|m| m.contains(to)) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no message to {to} arrived");
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
