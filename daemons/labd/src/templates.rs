//! Templates: the model's built-ins plus operator files (trusted: only an administrator can
//! write the templates dir). A node's kind, defaults and — for `linux` nodes — the program
//! profile come from its template, never from the client.

use nova_api::{TemplateCapabilities, TemplateInfo};
use nova_lab_model::{NodeKind, Template, TemplateSet};

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

/// Templates of one kind ("" = all).
pub fn list(set: &TemplateSet, kind: &str) -> Result<Vec<TemplateInfo>> {
    let items: Vec<TemplateInfo> = set
        .iter()
        .filter(|t| kind.is_empty() || t.kind.to_string() == kind)
        .map(info)
        .collect();
    if items.is_empty() && !kind.is_empty() {
        return Err(EngineError::invalid(format!(
            "no templates of kind {kind:?}"
        )));
    }
    Ok(items)
}

fn info(t: &Template) -> TemplateInfo {
    let caps = t.capabilities();
    TemplateInfo {
        key: t.key.clone(),
        kind: t.kind.clone(),
        name: t.display_name().to_string(),
        description: t.description.clone(),
        icon_type: t.icon_type(),
        cpu: t.cpu(),
        ram: t.ram(),
        ethernet: t.ethernet(),
        console_type: t.console(),
        profile: t.profile,
        capabilities: TemplateCapabilities {
            hotplug: caps.hotplug,
            max_nics: caps.max_nics,
        },
        extras: t.extras.clone(),
        startable: t.kind == NodeKind::Linux,
    }
}
