//! The event stream: every topology and runtime change of a lab, in the one versioned schema the
//! web gateway forwards over WebSocket (docs/events.md). The engine produces events; the D-Bus
//! layer sends each as `org.novave.Lab1.Manager.Event` and updates its objects from them.

use serde_json::{Value, json};
use tokio::sync::mpsc;

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Lab id.
    pub lab_id: String,
    /// Per-lab sequence number.
    pub seq: u64,
    /// Event type (`node_state`, `link_created`, …).
    pub kind: &'static str,
    /// Payload object; always has `"v": 1`.
    pub payload: Value,
}

impl Event {
    /// The payload as the JSON string sent on the bus.
    pub fn json(&self) -> String {
        self.payload.to_string()
    }
}

/// Where the engine sends events. Sending never blocks and never fails the operation.
#[derive(Debug, Clone)]
pub struct EventSink(Option<mpsc::UnboundedSender<Event>>);

impl EventSink {
    /// A sink and its receiving end.
    pub fn channel() -> (EventSink, mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (EventSink(Some(tx)), rx)
    }

    /// A sink that drops everything.
    pub fn discard() -> EventSink {
        EventSink(None)
    }

    /// Sends one event (dropped when nobody listens).
    pub fn send(&self, ev: Event) {
        if let Some(tx) = &self.0 {
            let _ = tx.send(ev);
        }
    }
}

/// Payload with the schema version added.
pub fn payload(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.insert("v".into(), json!(nova_dbus::lab::EVENT_SCHEMA_VERSION));
    }
    v
}
