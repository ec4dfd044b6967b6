//! `novactl events [LAB]`: streams labd's versioned Event signal (docs/events.md), each
//! parsed into `nova_api::EventPayload`.

use std::io::Write as _;

use anyhow::Context as _;
use futures_util::StreamExt as _;
use nova_api::EventPayload;
use serde::Serialize;
use serde_json::Value;

use crate::cli::EventFormat;
use crate::error::{Access, Service, ZbusExt as _};
use crate::lab::Labd;
use crate::output::Report;

/// The body of an event: the typed payload, or, for one this version cannot read (a newer
/// labd), the JSON as received, so nothing is dropped.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EventBody {
    Known(Box<EventPayload>),
    Unknown(Value),
}

impl EventBody {
    /// Parses the signal's `json` for its `type`; the error says why it is not understood.
    pub fn parse(kind: &str, json: &str) -> (EventBody, Option<String>) {
        match EventPayload::parse(kind, json) {
            Ok(p) => (EventBody::Known(Box::new(p)), None),
            Err(e) => {
                let raw = serde_json::from_str(json).unwrap_or_else(|_| Value::from(json));
                (EventBody::Unknown(raw), Some(e))
            }
        }
    }
}

/// One received event, as printed; `--format json` prints it as this object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventLine {
    pub lab_id: String,
    pub seq: u64,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "event")]
    pub body: EventBody,
}

impl EventLine {
    pub fn render(&self, format: EventFormat) -> String {
        match format {
            // Serializing these types cannot fail (string keys only).
            EventFormat::Json => serde_json::to_string(self).unwrap_or_default(),
            EventFormat::Line => {
                let body = serde_json::to_string(&self.body).unwrap_or_default();
                format!("{} #{} {} {body}", self.lab_id, self.seq, self.kind)
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
        let (body, problem) = EventBody::parse(args.r#type, args.json);
        if let Some(problem) = problem {
            eprintln!(
                "novactl: event #{} of lab {} not understood ({problem}); shown as received",
                args.seq, args.lab_id
            );
        }
        let line = EventLine {
            lab_id: args.lab_id.to_string(),
            seq: args.seq,
            kind: args.r#type.to_string(),
            body,
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
    use nova_api::{LabEvent, NodeRuntime, NodeState};
    use serde_json::json;

    fn node_state_event() -> LabEvent {
        LabEvent::NodeState(NodeRuntime {
            node_id: 2,
            state: NodeState::Running,
            unit: "nova-node-l1-2.scope".into(),
            pid: 42,
            ..Default::default()
        })
    }

    #[test]
    fn event_lines() {
        let ev = node_state_event();
        let (body, problem) = EventBody::parse("node_state", &ev.to_payload_json());
        assert_eq!(problem, None);
        let e = EventLine {
            lab_id: "l1".into(),
            seq: 7,
            kind: "node_state".into(),
            body,
        };
        assert_eq!(
            e.render(EventFormat::Line),
            format!("l1 #7 node_state {}", ev.to_payload_json())
        );
        let j: Value = serde_json::from_str(&e.render(EventFormat::Json)).unwrap();
        assert_eq!(j["lab_id"], "l1");
        assert_eq!(j["seq"], 7);
        assert_eq!(j["type"], "node_state");
        assert_eq!(j["event"]["v"], 1);
        assert_eq!(j["event"]["node_id"], 2);
        assert_eq!(j["event"]["state"], "running");
    }

    #[test]
    fn events_not_understood_are_shown_as_received() {
        let (body, problem) = EventBody::parse("node_teleported", r#"{"v":1,"to":"mars"}"#);
        assert!(problem.is_some());
        assert_eq!(body, EventBody::Unknown(json!({"v": 1, "to": "mars"})));
        // The payload's type must agree with the signal's.
        let json = node_state_event().to_payload_json();
        let (_, problem) = EventBody::parse("node_wiped", &json);
        assert!(problem.is_some_and(|p| p.contains("node_state")));
        let (body, _) = EventBody::parse("x", "not json");
        assert_eq!(body, EventBody::Unknown(json!("not json")));
    }
}
