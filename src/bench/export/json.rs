//! One JSON object whose field names are a stable interface (documented in `--help` and
//! README), through the terminal room's JSON writer: sanitized as values on a terminal.

use super::Exporter;
use crate::bench::report::Report;
use crate::bench::sweep::SweepReport;
use crate::output;
use std::io::{self, Write};

pub struct Json {
    pub terminal: bool,
}

impl Exporter for Json {
    fn run(&self, report: &Report, mut out: &mut dyn Write) -> io::Result<()> {
        output::json::line(&mut out, report, self.terminal)?;
        out.flush()
    }

    fn sweep(&self, sweep: &SweepReport, mut out: &mut dyn Write) -> io::Result<()> {
        output::json::line(&mut out, sweep, self.terminal)?;
        out.flush()
    }
}
