//! The nova-ve API contract: the typed values that cross between labd and its clients.
//!
//! labd's engine takes and returns these types; its D-Bus adaptor, novactl and the web gateway
//! parse and print them as JSON at their edges, and the web app gets them as TypeScript
//! ([`typescript::declarations`], written to `frontend/src/lib/api/generated.ts`; a test fails
//! when that file is stale).
//!
//! - [`specs`]: what a client may ask for — nodes, networks, links, link metrics, layout — with
//!   unknown fields refused and sizes bounded.
//! - [`runtime`]: node states, the runtime view of a node and its interfaces, lab summaries and
//!   snapshots.
//! - [`events`]: the lab event stream (docs/events.md) as one enum tagged by `type`.
//! - [`catalogue`]: templates as clients see them.
//! - [`web`]: the web gateway's own shapes (users, sessions, tokens, sharing, audit, system).
//! - [`limits`]: every limit, from `nova-lab-model` (one source) plus the request sizes.
//!
//! Architecture Invariant: this crate does no I/O and knows nothing of D-Bus or HTTP; the lab
//! document itself is `nova-lab-model`'s.

pub mod catalogue;
pub mod events;
mod int_keys;
pub mod limits;
pub mod runtime;
pub mod specs;
pub mod typescript;
pub mod web;

pub use catalogue::{TemplateCapabilities, TemplateInfo};
pub use events::{EVENT_SCHEMA_VERSION, EventMessage, EventPayload, LabEvent, StreamControl};
pub use runtime::{InterfaceStatus, LabRef, LabSnapshot, NodeFailure, NodeRuntime, NodeState};
pub use specs::{
    LayoutSpec, LinkMetricsSpec, LinkSpec, NetworkPatch, NetworkSpec, NodePatch, NodeSpec,
    Position, SpecError, ViewportSpec, parse_lab, parse_spec,
};

/// Re-exported so clients need one dependency for the whole contract.
pub use nova_lab_model as model;
