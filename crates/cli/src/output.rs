//! stdout carries answers only, as JSON, one value per line; everything for people (progress,
//! warnings, summaries) goes to stderr, so `wecom … | jq` never sees anything else.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::CliError;

/// One JSON answer on stdout.
pub(crate) fn answer<T: Serialize>(value: &T) -> Result<(), CliError> {
    let mut out = Answers::new();
    out.line(value)?;
    out.finish()
}

/// JSON lines to stdout.
pub(crate) struct Answers {
    out: BufWriter<io::Stdout>,
    /// Flush after each line: for commands whose progress a reader follows (prune).
    flush_each: bool,
}

impl Answers {
    pub(crate) fn new() -> Answers {
        Answers { out: BufWriter::new(io::stdout()), flush_each: true }
    }

    /// Buffered: for long lists, flushed at the end.
    pub(crate) fn buffered() -> Answers {
        Answers { out: BufWriter::with_capacity(64 * 1024, io::stdout()), flush_each: false }
    }

    /// One value on one line.
    pub(crate) fn line<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CliError> {
        let written = serde_json::to_writer(&mut self.out, value)
            .map_err(io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"))
            .and_then(|()| if self.flush_each { self.out.flush() } else { Ok(()) });
        written.map_err(stdout_error)
    }

    /// One line of plain text (for `--plain` lists).
    pub(crate) fn text(&mut self, text: &str) -> Result<(), CliError> {
        let written = self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .and_then(|()| if self.flush_each { self.out.flush() } else { Ok(()) });
        written.map_err(stdout_error)
    }

    pub(crate) fn finish(mut self) -> Result<(), CliError> {
        self.out.flush().map_err(stdout_error)
    }
}

fn stdout_error(err: io::Error) -> CliError {
    if err.kind() == io::ErrorKind::BrokenPipe {
        CliError::StdoutClosed
    } else {
        CliError::Write { path: PathBuf::from("<stdout>"), source: err }
    }
}

/// A warning for the person at the terminal.
pub(crate) fn warn(message: impl std::fmt::Display) {
    eprintln!("warning: {message}");
}

/// A file written next to its final name and renamed into place when complete, so that a run
/// that fails half-way never leaves a partial file under the name asked for.
pub(crate) struct AtomicFile {
    path: PathBuf,
    partial: PathBuf,
    file: BufWriter<File>,
}

impl AtomicFile {
    pub(crate) fn create(path: &Path) -> Result<AtomicFile, CliError> {
        let mut name = path.file_name().map(|name| name.to_os_string()).unwrap_or_default();
        name.push(".partial");
        let partial = path.with_file_name(name);
        let file = File::create(&partial).map_err(|source| CliError::Write { path: partial.clone(), source })?;
        Ok(AtomicFile { path: path.to_path_buf(), partial, file: BufWriter::with_capacity(256 * 1024, file) })
    }

    pub(crate) fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.file
    }

    pub(crate) fn partial_path(&self) -> &Path {
        &self.partial
    }

    /// Flushes, syncs and renames the file into place.
    pub(crate) fn commit(self) -> Result<PathBuf, CliError> {
        let AtomicFile { path, partial, file } = self;
        let write_error = |source| CliError::Write { path: partial.clone(), source };
        let file = file.into_inner().map_err(|err| write_error(err.into_error()))?;
        file.sync_all().map_err(write_error)?;
        std::fs::rename(&partial, &path).map_err(|source| CliError::Write { path: path.clone(), source })?;
        Ok(path)
    }
}
