//! Templates: the model's built-ins plus operator files (trusted: only an administrator can
//! write the templates dir). A node's kind, defaults and — for `linux` nodes — the program
//! profile come from its template, never from the client.

use nova_lab_model::{NodeKind, Template, TemplateSet};
use serde_json::{Value, json};

use crate::error::{EngineError, Result};

/// The template `key` (of `kind`, when given).
pub fn resolve<'a>(
    set: &'a TemplateSet,
    key: &str,
    kind: Option<&NodeKind>,
) -> Result<&'a Template> {
    let found = match kind {
        Some(k) => set.get(k, key),
        None => set.find(key),
    };
    found.ok_or_else(|| match kind {
        Some(k) => EngineError::invalid(format!("no {k} template {key:?}")),
        None => EngineError::invalid(format!("no template {key:?}")),
    })
}

/// Templates of one kind ("" = all) as a JSON array.
pub fn list_json(set: &TemplateSet, kind: &str) -> Result<String> {
    let items: Vec<Value> = set
        .iter()
        .filter(|t| kind.is_empty() || t.kind.to_string() == kind)
        .map(template_json)
        .collect();
    if items.is_empty() && !kind.is_empty() && !set.iter().any(|t| t.kind.to_string() == kind) {
        return Err(EngineError::invalid(format!(
            "no templates of kind {kind:?}"
        )));
    }
    Ok(Value::Array(items).to_string())
}

fn template_json(t: &Template) -> Value {
    let caps = t.capabilities();
    json!({
        "key": t.key, "type": t.kind.to_string(), "name": t.display_name(),
        "description": t.description, "icon_type": t.icon_type(), "cpu": t.cpu(), "ram": t.ram(),
        "ethernet": t.ethernet(), "console_type": t.console(), "profile": t.profile,
        "capabilities": {"hotplug": caps.hotplug, "max_nics": caps.max_nics},
        "extras": t.extras,
        "startable": t.kind == NodeKind::Linux,
    })
}
