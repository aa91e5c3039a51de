//! Pictures in the terminal, for where a person would rather look than read: horizontal bars
//! on a log scale (latencies span microseconds to seconds), in plain Unicode block characters
//! that need no color and survive a copy into an issue. Every line fits the terminal, and
//! never more than 80 columns.

/// The widest a chart gets, whatever the terminal.
pub const MAX_WIDTH: usize = 80;

/// Narrower than this and the bars would say nothing; charts are drawn this wide anyway.
const MIN_WIDTH: usize = 40;

/// The width to draw at: the terminal's (stdout's) up to [`MAX_WIDTH`]; `MAX_WIDTH` when stdout
/// is not a terminal.
pub fn width() -> usize {
    terminal_columns().map_or(MAX_WIDTH, |columns| columns.clamp(MIN_WIDTH, MAX_WIDTH))
}

/// Columns of the terminal on stdout, if it is one.
fn terminal_columns() -> Option<usize> {
    // SAFETY: TIOCGWINSZ fills a winsize; a failure (not a terminal) leaves it unread.
    unsafe {
        let mut size: libc::winsize = std::mem::zeroed();
        (libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) == 0 && size.ws_col > 0)
            .then_some(usize::from(size.ws_col))
    }
}

/// One bar per row, up to its value: `title`, then `label │████`, then the scale.
pub fn bars(
    title: &str,
    rows: &[(String, u64)],
    width: usize,
    unit: fn(u64) -> String,
) -> Vec<String> {
    let ranges: Vec<(String, u64, u64)> = rows
        .iter()
        .map(|(label, value)| (label.clone(), *value, *value))
        .collect();
    spans(title, &ranges, width, unit)
}

/// One bar per row, solid up to its first value and shaded on to its second (e.g. p50, then
/// p99): `title`, then `label │████░░`, then the scale.
pub fn spans(
    title: &str,
    rows: &[(String, u64, u64)],
    width: usize,
    unit: fn(u64) -> String,
) -> Vec<String> {
    let label_width = rows
        .iter()
        .map(|(label, ..)| label.chars().count())
        .max()
        .unwrap_or(0);
    let bar_width = width.saturating_sub(label_width + 2).max(10);
    let low = rows.iter().map(|r| r.1.min(r.2)).min().unwrap_or(1).max(1);
    let high = rows
        .iter()
        .map(|r| r.1.max(r.2))
        .max()
        .unwrap_or(1)
        .max(low);
    let cells = |value: u64| scale(value, low, high, bar_width);
    let mut lines = vec![title.to_string()];
    for (label, first, second) in rows {
        let solid = cells(*first);
        let shaded = cells(*second).saturating_sub(solid);
        lines.push(format!(
            "{label:>label_width$} │{}{}",
            "█".repeat(solid),
            "░".repeat(shaded)
        ));
    }
    let (low, high) = (unit(low), unit(high));
    let gap = bar_width.saturating_sub(low.chars().count() + high.chars().count());
    lines.push(format!(
        "{:label_width$} └{low}{}{high}",
        "",
        " ".repeat(gap)
    ));
    lines
}

/// Cells for `value` on a log scale from `low` (1 cell) to `high` (`cells` cells).
fn scale(value: u64, low: u64, high: u64, cells: usize) -> usize {
    if high <= low {
        return cells;
    }
    let at = ((value.max(low) as f64).ln() - (low as f64).ln())
        / ((high as f64).ln() - (low as f64).ln());
    1 + (at * (cells - 1) as f64).round() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(us: u64) -> String {
        format!("{us} µs")
    }

    #[test]
    fn bars_grow_with_their_value_and_fit_the_width() {
        let rows = [
            ("p50 90 µs".to_string(), 90),
            ("p99 1200 µs".to_string(), 1200),
            ("max 2000000 µs".to_string(), 2_000_000),
        ];
        for width in [40, 80] {
            let lines = bars("title", &rows, width, plain);
            assert_eq!(lines.len(), 5, "{lines:#?}");
            for line in &lines {
                assert!(line.chars().count() <= width, "{line:?} wider than {width}");
            }
            let filled: Vec<usize> = lines[1..4].iter().map(|l| l.matches('█').count()).collect();
            assert!(filled[0] == 1 && filled[0] < filled[1] && filled[1] < filled[2]);
            assert_eq!(lines[3].chars().count(), width);
            assert!(lines[4].ends_with("2000000 µs"), "{lines:#?}");
        }
    }

    #[test]
    fn spans_shade_from_the_first_value_to_the_second() {
        let lines = spans("t", &[("a".to_string(), 10, 1000)], 60, plain);
        assert!(lines[1].contains("█░"), "{lines:#?}");
        let equal = spans("t", &[("a".to_string(), 5, 5)], 60, plain);
        assert!(!equal[1].contains('░'), "{equal:#?}");
    }
}
