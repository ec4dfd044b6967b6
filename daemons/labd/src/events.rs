//! Where the engine publishes its events. The event types are the API contract's
//! ([`nova_api::LabEvent`], docs/events.md); the D-Bus layer sends each as
//! `org.novave.Lab1.Manager.Event` and updates its objects from them.

use nova_api::LabEvent;
use tokio::sync::mpsc;

/// One event of one lab.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Lab id.
    pub lab_id: String,
    /// Per-lab sequence number.
    pub seq: u64,
    /// What happened.
    pub event: LabEvent,
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
