//! The settlement journal: every settled request is appended (one JSON line) to a segment file
//! before its answer is finished, so a crash or `kill -9` between settlement and the next flush
//! loses nothing. Each flush starts a new segment; once a flush has committed, the segments it
//! covered are deleted. At start, rows left in segments that are not in the request log yet are
//! written and charged.
//!
//! Lines are written in groups: the requests that settle on one thread while the first of them
//! lets the thread's other ready tasks run share one `write` call ([`append`]). Under load that
//! is several lines a call; with one client, one.

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use ops_db::Db;

use crate::GatewayError;
use crate::log::Row;

const PREFIX: &str = "gateway-journal.";

pub struct Journal {
    dir: PathBuf,
    segment: u64,
    file: Option<Arc<File>>,
}

/// Lines for one segment, written together by the first of their requests to come back to
/// them (or by the last handle dropped).
struct Group {
    segment: Arc<File>,
    lines: Vec<u8>,
    written: bool,
}

thread_local! {
    /// The group this thread's requests append to until it is written.
    static OPEN: RefCell<Option<Arc<Mutex<Group>>>> = const { RefCell::new(None) };
}

fn lock(g: &Mutex<Group>) -> std::sync::MutexGuard<'_, Group> {
    g.lock().unwrap_or_else(|p| p.into_inner())
}

/// Writes the group's lines unless done already; the lock is held across the `write`, so a
/// handle that finds the group written knows its line is on file. A failure is logged: the
/// rows are still flushed from memory.
fn write(g: &Mutex<Group>) {
    let mut g = lock(g);
    if g.written {
        return;
    }
    g.written = true;
    let lines = std::mem::take(&mut g.lines);
    if let Err(e) = (&*g.segment).write_all(&lines) {
        tracing::error!(error = %e, "gateway journal: write failed");
    }
}

/// Appends one settled row ([`Journal::line`]) to a segment ([`Journal::segment`]), outside the
/// journal's lock: the file is opened for appending, so each call's lines land whole at its
/// end. The line joins this thread's open group for the same segment, or starts one; the
/// returned handle resolves once the line is on file.
pub fn append(segment: Arc<File>, line: Vec<u8>) -> Appended {
    let group = OPEN.with_borrow_mut(|open| {
        if let Some(g) = open.as_ref() {
            let mut group = lock(g);
            if !group.written && Arc::ptr_eq(&group.segment, &segment) {
                group.lines.extend_from_slice(&line);
                drop(group);
                return g.clone();
            }
        }
        let g = Arc::new(Mutex::new(Group {
            segment,
            lines: line,
            written: false,
        }));
        *open = Some(g.clone());
        g
    });
    Appended {
        group: Some(group),
        yielded: false,
    }
}

/// A journal line on its way to the file: awaiting it first lets the thread's other ready
/// tasks run (and append to the same group), then writes the group if no one has. Dropping it
/// unawaited writes the group at once.
#[must_use = "a settled request's answer must wait for its journal line"]
pub struct Appended {
    group: Option<Arc<Mutex<Group>>>,
    yielded: bool,
}

impl Appended {
    /// For a request with nothing to journal (no journal is kept).
    pub fn none() -> Self {
        Appended {
            group: None,
            yielded: true,
        }
    }
}

impl Future for Appended {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(g) = self.group.take() else {
            return Poll::Ready(());
        };
        if !self.yielded && !lock(&g).written {
            self.yielded = true;
            self.group = Some(g);
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        write(&g);
        Poll::Ready(())
    }
}

impl Drop for Appended {
    fn drop(&mut self) {
        if let Some(g) = self.group.take() {
            write(&g);
        }
    }
}

fn segments(dir: &Path) -> Vec<(u64, PathBuf)> {
    let mut out: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name.strip_prefix(PREFIX)?.parse().ok()?;
            Some((n, e.path()))
        })
        .collect();
    out.sort();
    out
}

impl Journal {
    fn path(&self, n: u64) -> PathBuf {
        self.dir.join(format!("{PREFIX}{n}"))
    }

    /// A row as one journal line.
    pub fn line(row: &Row) -> Vec<u8> {
        // Sized for a typical row (~600 bytes) so that it is written without regrowing.
        let mut line = Vec::with_capacity(1024);
        if serde_json::to_writer(&mut line, row).is_err() {
            line.clear();
        }
        line.push(b'\n');
        line
    }

    /// The current segment, opened for appending on first use; `None` (logged) when it cannot
    /// be opened: rows are still flushed from memory.
    pub fn segment(&mut self) -> Option<Arc<File>> {
        if self.file.is_none() {
            let path = self.path(self.segment);
            match OpenOptions::new().create(true).append(true).open(&path) {
                Ok(f) => self.file = Some(Arc::new(f)),
                Err(e) => {
                    tracing::error!(error = %e, path = %path.display(), "gateway journal: cannot open");
                }
            }
        }
        self.file.clone()
    }

    /// Starts a new segment; returns the one just closed (to delete once its rows commit).
    pub fn rotate(&mut self) -> u64 {
        let closed = self.segment;
        self.segment += 1;
        self.file = None;
        closed
    }

    /// The folder of the segments.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Deletes the segments in `dir` up to and including `upto` (blocking file work: the flusher
/// runs it off the request workers, and outside the journal's lock).
pub fn remove_up_to(dir: &Path, upto: u64) {
    for (n, path) in segments(dir) {
        if n <= upto {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Opens the journal in `dir`, first writing and charging what an earlier run settled but did
/// not flush. Returns the journal and how many rows were recovered.
pub async fn open(db: &Db, dir: &Path) -> Result<(Journal, usize), GatewayError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| GatewayError::Internal(format!("journal dir {}: {e}", dir.display())))?;
    let found = segments(dir);
    let mut rows: Vec<Row> = Vec::new();
    for (_, path) in &found {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        rows.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok()));
    }
    let mut missing = Vec::new();
    for r in rows {
        let seen = sqlx::query("SELECT 1 AS one FROM llm_requests WHERE at = $1 AND id = $2")
            .bind(r.at)
            .bind(&r.id)
            .fetch_optional(db.pool())
            .await?;
        if seen.is_none() && !missing.iter().any(|m: &Row| m.id == r.id) {
            missing.push(r);
        }
    }
    if !missing.is_empty() {
        // The holds these rows were admitted against belonged to the run that stopped (they
        // expire): none of this run's holds are lowered.
        crate::log::write(db, "replay", &missing).await?;
        tracing::warn!(
            rows = missing.len(),
            "gateway: recovered settled requests from the journal"
        );
    }
    let next = found.last().map_or(0, |(n, _)| n + 1);
    let journal = Journal {
        dir: dir.to_path_buf(),
        segment: next,
        file: None,
    };
    remove_up_to(dir, next.saturating_sub(1));
    Ok((journal, missing.len()))
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;

    fn segment(name: &str) -> (PathBuf, Arc<File>) {
        let path = std::env::temp_dir().join(format!("ops-journal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let file = OpenOptions::new().create(true).append(true).open(&path);
        (path, Arc::new(file.expect("temp file")))
    }

    fn poll(a: &mut Appended) -> Poll<()> {
        Pin::new(a).poll(&mut Context::from_waker(Waker::noop()))
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }

    #[test]
    fn lines_appended_while_the_first_waits_are_written_together() {
        let (path, seg) = segment("group");
        let mut a = append(seg.clone(), b"a\n".to_vec());
        assert!(
            poll(&mut a).is_pending(),
            "the first lets other tasks append"
        );
        let mut b = append(seg.clone(), b"b\n".to_vec());
        assert!(poll(&mut b).is_pending());
        assert_eq!(read(&path), "");
        assert!(poll(&mut a).is_ready());
        assert_eq!(read(&path), "a\nb\n", "one write for both");
        assert!(poll(&mut b).is_ready());
        // Written: the next line starts a new group, and dropping its handle writes it.
        let mut c = append(seg.clone(), b"c\n".to_vec());
        assert!(poll(&mut c).is_pending());
        drop(c);
        assert_eq!(read(&path), "a\nb\nc\n");
        // A found-written group resolves without waiting.
        let mut d = append(seg.clone(), b"d\n".to_vec());
        let mut e = append(seg.clone(), b"e\n".to_vec());
        if let Some(g) = d.group.take() {
            write(&g);
        }
        assert!(poll(&mut e).is_ready());
        assert_eq!(read(&path), "a\nb\nc\nd\ne\n");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn each_segment_has_its_own_group() {
        let (first, one) = segment("one");
        let (second, two) = segment("two");
        let a = append(one.clone(), b"a\n".to_vec());
        let b = append(two, b"b\n".to_vec());
        let c = append(one, b"c\n".to_vec());
        drop(b);
        assert_eq!((read(&first), read(&second)), (String::new(), "b\n".into()));
        drop(a);
        assert_eq!(
            read(&first),
            "a\n",
            "`c` started a new group after the switch"
        );
        drop(c);
        assert_eq!(read(&first), "a\nc\n");
        assert!(poll(&mut Appended::none()).is_ready());
        let _ = std::fs::remove_file(&first);
        let _ = std::fs::remove_file(&second);
    }
}
