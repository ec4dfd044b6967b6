//! What a command prints: every command returns a [`Report`] and `main` prints it as a
//! table/message for people or as JSON for scripts (`--json`), so the two never drift.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

/// The result of a command, printable both ways.
#[derive(Debug)]
pub enum Report {
    /// Rows for people, and the same data as JSON.
    Table(Table, Value),
    /// One line for people, and a JSON value.
    Message(String, Value),
    /// Raw text printed as is in both modes (e.g. an exported lab, already JSON).
    Raw(String),
    /// Nothing more to print (the command streamed its own output).
    Nothing,
}

impl Report {
    /// A message for people, and `value` (a typed reply) for `--json`.
    pub fn message(text: impl Into<String>, value: &impl Serialize) -> anyhow::Result<Report> {
        Ok(Report::Message(text.into(), serde_json::to_value(value)?))
    }

    /// A table for people, and `value` (the same rows, typed) for `--json`.
    pub fn table(table: Table, value: &impl Serialize) -> anyhow::Result<Report> {
        Ok(Report::Table(table, serde_json::to_value(value)?))
    }

    /// Renders the report for a terminal or, with `json`, as pretty JSON.
    pub fn render(&self, json: bool) -> Option<String> {
        match self {
            Report::Table(t, v) => Some(if json { pretty(v) } else { t.render() }),
            Report::Message(m, v) => Some(if json { pretty(v) } else { m.clone() }),
            Report::Raw(s) => Some(s.trim_end().to_string()),
            Report::Nothing => None,
        }
    }
}

/// What an action prints with `--json`: `{"ok": true, "message": …}`, plus `"seconds"` when
/// it waited.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Done {
    pub ok: bool,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

/// An action done: `msg` for people, [`Done`] for scripts.
pub fn done(msg: String) -> anyhow::Result<Report> {
    let reply = Done {
        ok: true,
        message: msg.clone(),
        seconds: None,
    };
    Report::message(msg, &reply)
}

/// Pretty JSON; serializing a `Value` cannot fail.
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// A plain text table: a header row and left-aligned columns two spaces apart.
#[derive(Debug, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<I, S>(headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if i < w.len() {
                    w[i] = w[i].max(cell.chars().count());
                }
            }
        }
        w
    }

    pub fn render(&self) -> String {
        let widths = self.widths();
        let mut out = String::new();
        for line in std::iter::once(&self.headers).chain(&self.rows) {
            let mut text = String::new();
            for (i, cell) in line.iter().enumerate() {
                let width = widths.get(i).copied().unwrap_or(0);
                if i + 1 == line.len() {
                    text.push_str(cell);
                } else {
                    let _ = write!(text, "{cell:<width$}  ");
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        if self.rows.is_empty() {
            out.push_str("(none)\n");
        }
        out.trim_end().to_string()
    }
}

/// A text as a table cell: empty as "-".
pub fn text_cell(s: &str) -> String {
    if s.is_empty() {
        "-".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_aligns_columns_and_marks_empty() {
        let mut t = Table::new(["ID", "NAME", "STATE"]);
        t.row(["1", "router-1", "running"]);
        t.row(["12", "h", "stopped"]);
        assert_eq!(
            t.render(),
            "ID  NAME      STATE\n1   router-1  running\n12  h         stopped"
        );
        assert_eq!(Table::new(["A"]).render(), "A\n(none)");
    }

    #[test]
    fn report_json_mode_prints_value() {
        let r = Report::Message("done".into(), json!({"ok": true}));
        assert_eq!(r.render(false).as_deref(), Some("done"));
        assert_eq!(r.render(true).as_deref(), Some("{\n  \"ok\": true\n}"));
    }

    #[test]
    fn done_prints_ok_and_message() {
        let r = done("deleted lab x".into()).unwrap();
        assert_eq!(r.render(false).as_deref(), Some("deleted lab x"));
        let Report::Message(_, v) = r else {
            panic!("a message")
        };
        assert_eq!(v, json!({"ok": true, "message": "deleted lab x"}));
    }

    #[test]
    fn empty_cells_show_a_dash() {
        assert_eq!(text_cell(""), "-");
        assert_eq!(text_cell("nova-node-x-1.scope"), "nova-node-x-1.scope");
    }
}
