//! Where a scenario's results go: a JSON report and the same figures as a
//! readable table, both in the output folder, stamped with the machine's
//! load so that a figure taken on a busy machine can be recognised as such.

use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;

/// The 1-minute load average; other work on the machine disturbs every figure.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}

/// A text table with right-aligned columns.
pub struct Table {
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(title: impl Into<String>, header: &[&str]) -> Table {
        Table {
            title: title.into(),
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(width) = widths.get_mut(i) {
                    *width = (*width).max(cell.chars().count());
                }
            }
        }
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:>width$}"))
                .collect();
            padded.join(" | ")
        };
        let mut out = format!("{}\n{}\n", self.title, line(&self.header));
        for row in &self.rows {
            let _ = writeln!(out, "{}", line(row));
        }
        out
    }
}

/// Milliseconds with two decimals, for table cells.
pub fn ms(value: f64) -> String {
    format!("{value:.2}")
}

/// Writes `<scenario>.json` and `<scenario>.txt` into `out`, and prints the tables.
pub fn write(out: &Path, scenario: &str, load_before: f64, mut data: Value, tables: &[Table]) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let load_after = load_average();
    if let Value::Object(map) = &mut data {
        map.insert("scenario".to_owned(), json!(scenario));
        map.insert(
            "load_average_1m".to_owned(),
            json!({"before": load_before, "after": load_after}),
        );
    }
    let mut text: String = tables.iter().map(|t| t.render() + "\n").collect();
    let _ = writeln!(
        text,
        "load average (1 min): {load_before:.2} before, {load_after:.2} after"
    );
    print_text(&text);
    let json_path = out.join(format!("{scenario}.json"));
    let pretty = serde_json::to_string_pretty(&data).map_err(|e| e.to_string())?;
    std::fs::write(&json_path, pretty).map_err(|e| format!("cannot write {}: {e}", json_path.display()))?;
    let text_path = out.join(format!("{scenario}.txt"));
    std::fs::write(&text_path, &text).map_err(|e| format!("cannot write {}: {e}", text_path.display()))?;
    eprintln!("report written to {} and {}", json_path.display(), text_path.display());
    Ok(())
}

#[expect(clippy::print_stdout, reason = "the tables are this program's output")]
fn print_text(text: &str) {
    println!("{text}");
}
