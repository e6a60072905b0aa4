//! The settlement journal: every settled request is appended (one JSON line, one `write`
//! call) to a segment file before its answer is finished, so a crash or `kill -9` between
//! settlement and the next flush loses nothing. Each flush starts a new segment; once a flush
//! has committed, the segments it covered are deleted. At start, rows left in segments that are
//! not in the request log yet are written and charged.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ops_db::Db;

use crate::GatewayError;
use crate::log::Row;

const PREFIX: &str = "gateway-journal.";

pub struct Journal {
    dir: PathBuf,
    segment: u64,
    file: Option<Arc<File>>,
}

/// Appends one settled row ([`Journal::line`]) to a segment ([`Journal::segment`]), outside the
/// journal's lock: the file is opened for appending, so each line lands whole at its end. A
/// failure is logged: the row is still flushed from memory.
pub fn append(mut segment: &File, line: &[u8]) {
    if let Err(e) = segment.write_all(line) {
        tracing::error!(error = %e, "gateway journal: write failed");
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
