//! bench's results in each output format: one exporter per format behind one trait, as
//! hyperfine's `export/` does. The measurement builds a `Report` (or a `SweepReport`) and never
//! decides how it looks; an exporter never measures.

mod csv;
mod json;
pub mod table;

use super::report::Report;
use super::sweep::SweepReport;
use std::io::{self, Write};

/// The output formats of `bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The human table and its charts (the default).
    Table,
    /// One JSON object with stable field names (`--json`).
    Json,
    /// A header and one row per percentile or per step (`--csv`).
    Csv,
}

/// Writes a run's or a sweep's results in one format.
pub trait Exporter {
    /// One run.
    fn run(&self, report: &Report, out: &mut dyn Write) -> io::Result<()>;
    /// A sweep: one row per step.
    fn sweep(&self, sweep: &SweepReport, out: &mut dyn Write) -> io::Result<()>;
}

/// The exporter for `format`; `terminal` when stdout is one (strings are then sanitized).
pub fn exporter(format: Format, terminal: bool) -> Box<dyn Exporter> {
    match format {
        Format::Table => Box::new(Table),
        Format::Json => Box::new(json::Json { terminal }),
        Format::Csv => Box::new(Csv),
    }
}

struct Table;

impl Exporter for Table {
    fn run(&self, report: &Report, mut out: &mut dyn Write) -> io::Result<()> {
        table::run(report, &mut out)
    }

    fn sweep(&self, sweep: &SweepReport, mut out: &mut dyn Write) -> io::Result<()> {
        table::sweep(sweep, &mut out)
    }
}

struct Csv;

impl Exporter for Csv {
    fn run(&self, report: &Report, mut out: &mut dyn Write) -> io::Result<()> {
        csv::run(report, &mut out)
    }

    fn sweep(&self, sweep: &SweepReport, mut out: &mut dyn Write) -> io::Result<()> {
        csv::sweep(sweep, &mut out)
    }
}
