//! TypeScript declarations of the contract for the web app, generated from the Rust types
//! (ts-rs) into one file, `frontend/src/lib/api/generated.ts`. The test `tests/typescript.rs`
//! fails when that file differs from [`declarations`]; `NOVA_UPDATE_GENERATED=1 cargo test -p
//! nova-api --test typescript` rewrites it.

use std::collections::BTreeMap;

use ts_rs::{Config, TS, TypeVisitor};

use crate::catalogue::TemplateInfo;
use crate::events::{EventMessage, EventPayload, LabEvent, StreamControl};
use crate::runtime::{LabRef, LabSnapshot, NodeFailure, NodeRuntime, NodeState};
use crate::specs::{
    LayoutSpec, LinkMetricsSpec, LinkSpec, NetworkPatch, NetworkSpec, NodePatch, NodeSpec,
};
use crate::web;

/// Path of the generated file, relative to the repository root.
pub const GENERATED_PATH: &str = "frontend/src/lib/api/generated.ts";

/// The ts-rs settings: 64-bit integers as `number` (ids, seq in µs since the epoch and PIDs all
/// stay below 2^53).
pub fn config() -> Config {
    Config::new().with_large_int("number")
}

struct Collect<'a> {
    cfg: &'a Config,
    decls: BTreeMap<String, String>,
}

impl TypeVisitor for Collect<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_none() {
            return;
        }
        let name = T::ident(self.cfg);
        if self.decls.contains_key(&name) {
            return;
        }
        let decl = T::decl(self.cfg);
        let doc = T::docs().unwrap_or_default();
        self.decls.insert(name, format!("{doc}export {decl}"));
        T::visit_dependencies(self);
    }
}

/// Every declaration the web app uses, sorted by name, as one TypeScript module.
pub fn declarations() -> String {
    let cfg = config();
    let mut c = Collect {
        cfg: &cfg,
        decls: BTreeMap::new(),
    };
    c.visit::<NodeSpec>();
    c.visit::<NodePatch>();
    c.visit::<NetworkSpec>();
    c.visit::<NetworkPatch>();
    c.visit::<LinkSpec>();
    c.visit::<LinkMetricsSpec>();
    c.visit::<LayoutSpec>();
    c.visit::<NodeState>();
    c.visit::<NodeRuntime>();
    c.visit::<NodeFailure>();
    c.visit::<LabRef>();
    c.visit::<LabSnapshot>();
    c.visit::<LabEvent>();
    c.visit::<EventPayload>();
    c.visit::<EventMessage>();
    c.visit::<StreamControl>();
    c.visit::<TemplateInfo>();
    c.visit::<web::SessionInfo>();
    c.visit::<web::LoginRequest>();
    c.visit::<web::NewUserRequest>();
    c.visit::<web::UserPatch>();
    c.visit::<web::PasswordChange>();
    c.visit::<web::TokenInfo>();
    c.visit::<web::NewTokenRequest>();
    c.visit::<web::CreatedToken>();
    c.visit::<web::LabListItem>();
    c.visit::<web::CreateLabRequest>();
    c.visit::<web::ImportLabRequest>();
    c.visit::<web::LabPatch>();
    c.visit::<web::FolderRequest>();
    c.visit::<web::FolderInfo>();
    c.visit::<web::ShareInfo>();
    c.visit::<web::ShareRequest>();
    c.visit::<web::BatchNodesRequest>();
    c.visit::<web::Created>();
    c.visit::<web::BatchResult>();
    c.visit::<web::AuditPage>();
    c.visit::<web::VersionInfo>();
    c.visit::<web::SystemStatus>();
    c.visit::<web::ConsoleControl>();
    c.visit::<web::UnlImportQuery>();
    c.visit::<web::UnlImported>();
    c.visit::<web::ImageUploaded>();
    let mut out = String::from(
        "// Generated from the Rust API contract (crates/api) by ts-rs. Do not edit:\n\
         // NOVA_UPDATE_GENERATED=1 cargo test -p nova-api --test typescript\n\
         /* eslint-disable */\n\n",
    );
    for decl in c.decls.values() {
        out.push_str(decl);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
