//! `demo`'s printer. The steps decide what to say; this decides how it looks: one style per
//! kind of line (step title, explanation, SQL, received notification, checked fact), colored
//! when `app` allowed color (a terminal) and plain otherwise, so tests and pipes read the same
//! words a person sees. Every line is flushed at once: the demo is watched live.

use super::sanitize;
use crate::error::{stdout_error, Result};
use colored::Colorize;
use std::io::Write;

/// Writes the narration to `out`; a closed stdout ends the demo quietly (exit 0).
pub struct Narrator<W: Write> {
    out: W,
}

impl<W: Write> Narrator<W> {
    /// A narrator writing to `out`.
    pub fn new(out: W) -> Self {
        Narrator { out }
    }

    /// The title line of the whole demo.
    pub fn title(&mut self, text: &str) -> Result<()> {
        self.line(&text.bold().to_string())
    }

    /// A numbered step's heading, after a blank line.
    pub fn step(&mut self, number: u32, title: &str) -> Result<()> {
        self.line("")?;
        self.line(&format!("{number}. {title}").bold().underline().to_string())
    }

    /// An unnumbered section heading (the summary), after a blank line.
    pub fn section(&mut self, title: &str) -> Result<()> {
        self.line("")?;
        self.line(&title.bold().underline().to_string())
    }

    /// Explanatory prose.
    pub fn say(&mut self, text: &str) -> Result<()> {
        self.line(&format!("   {text}"))
    }

    /// A statement the demo runs, shown as it is sent.
    pub fn sql(&mut self, text: &str) -> Result<()> {
        self.line(&format!("   {} {}", ">".dimmed(), text.cyan()))
    }

    /// A notification as it arrives. Channel and payload come from the server, so they are
    /// sanitized: a payload must not be able to drive the terminal.
    pub fn received(&mut self, channel: &str, payload: &str, pid: u32) -> Result<()> {
        let arrow = "<-".green();
        let channel = sanitize(channel).green();
        let payload = sanitize(payload);
        self.line(&format!("   {arrow} {channel} {payload}  (from pid {pid})"))
    }

    /// A fact the demo has just shown live, checked by its own counts.
    pub fn fact(&mut self, text: &str) -> Result<()> {
        self.line(&format!("   {} {text}", "ok:".green().bold()))
    }

    /// A command for the reader to try.
    pub fn command(&mut self, command: &str, what: &str) -> Result<()> {
        self.line(&format!("   {:<44} {what}", command.yellow()))
    }

    fn line(&mut self, text: &str) -> Result<()> {
        writeln!(self.out, "{text}")
            .and_then(|()| self.out.flush())
            .map_err(stdout_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_lines_are_one_line_each() {
        colored::control::set_override(false);
        let mut out = Vec::new();
        Narrator::new(&mut out)
            .received("chan0", "evil\nline\u{202e}", 42)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "   <- chan0 evil\\nline\\u{202e}  (from pid 42)\n"
        );
    }
}
