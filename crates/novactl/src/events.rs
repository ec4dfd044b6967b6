//! `novactl events [LAB]`: streams labd's versioned Event signal (docs/events.md).

use std::io::Write as _;

use anyhow::Context as _;
use futures_util::StreamExt as _;
use serde_json::{Value, json};

use crate::cli::EventFormat;
use crate::error::{Access, Service, ZbusExt as _};
use crate::lab::Labd;
use crate::output::Report;

/// One received event, as printed.
#[derive(Debug, PartialEq)]
pub struct EventLine {
    pub lab_id: String,
    pub seq: u64,
    pub kind: String,
    pub body: Value,
}

impl EventLine {
    pub fn render(&self, format: EventFormat) -> String {
        match format {
            EventFormat::Json => json!({
                "lab_id": self.lab_id, "seq": self.seq, "type": self.kind, "event": self.body
            })
            .to_string(),
            EventFormat::Line => {
                format!("{} #{} {} {}", self.lab_id, self.seq, self.kind, self.body)
            }
        }
    }
}

pub async fn stream(
    d: &Labd<'_>,
    lab: Option<&str>,
    format: EventFormat,
) -> anyhow::Result<Report> {
    let lab_id = match lab {
        Some(l) => Some(d.find_lab(l).await?.id),
        None => None,
    };
    let mut events = d
        .manager()
        .receive_event()
        .await
        .ctx(Service::Lab, Access::View)?;
    // Said once the match rule is in place, so a script (or a test) knows from here on no
    // event is missed; on stderr, so stdout stays one event per line.
    eprintln!("novactl: listening for events (Ctrl-C stops)");
    let mut out = std::io::stdout().lock();
    loop {
        let ev = tokio::select! {
            ev = events.next() => ev,
            _ = tokio::signal::ctrl_c() => None,
        };
        let Some(ev) = ev else { break };
        let args = ev.args().context("malformed Event signal")?;
        if lab_id.as_deref().is_some_and(|id| id != args.lab_id) {
            continue;
        }
        let line = EventLine {
            lab_id: args.lab_id.to_string(),
            seq: args.seq,
            kind: args.r#type.to_string(),
            body: serde_json::from_str(args.json).unwrap_or_else(|_| json!(args.json)),
        };
        if writeln!(out, "{}", line.render(format)).is_err() {
            break; // reader went away (`| head`)
        }
        let _ = out.flush();
    }
    Ok(Report::Nothing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_lines() {
        let e = EventLine {
            lab_id: "l1".into(),
            seq: 7,
            kind: "node.state".into(),
            body: json!({"v": 1, "state": "running"}),
        };
        assert_eq!(
            e.render(EventFormat::Line),
            r#"l1 #7 node.state {"v":1,"state":"running"}"#
        );
        let j: Value = serde_json::from_str(&e.render(EventFormat::Json)).unwrap();
        assert_eq!(j["seq"], 7);
        assert_eq!(j["event"]["state"], "running");
    }
}
