//! Turning what a person types (lab name or path, node name, `r1:eth0`) into the ids
//! labd's API takes. Pure functions over the lab list and the lab JSON, so they are
//! unit-tested without a bus.

use nova_dbus::lab::LabSummary;
use serde_json::{Value, json};

use crate::error::CtlError;

/// Finds a lab by id, by `folder/name`, or by name when that is unique.
pub fn lab<'a>(labs: &'a [LabSummary], wanted: &str) -> Result<&'a LabSummary, CtlError> {
    if let Some(l) = labs.iter().find(|l| l.id == wanted) {
        return Ok(l);
    }
    if let Some(l) = labs.iter().find(|l| lab_display_path(l) == wanted) {
        return Ok(l);
    }
    let by_name: Vec<&LabSummary> = labs.iter().filter(|l| l.name == wanted).collect();
    match by_name.as_slice() {
        [one] => Ok(one),
        [] => Err(CtlError::NotFound(format!(
            "no lab {wanted:?} (give its id, name or folder/name; see `novactl lab list`)"
        ))),
        many => Err(CtlError::Invalid(format!(
            "lab name {wanted:?} is ambiguous: {}; give the id or folder/name",
            many.iter()
                .map(|l| lab_display_path(l))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// `folder/name`, or `name` for labs at the top.
pub fn lab_display_path(l: &LabSummary) -> String {
    if l.folder.is_empty() {
        l.name.clone()
    } else {
        format!("{}/{}", l.folder, l.name)
    }
}

/// The nodes of a lab JSON, sorted by id.
pub fn nodes(lab: &Value) -> Vec<&Value> {
    members_by_id(lab, "nodes")
}

/// The networks of a lab JSON, sorted by id.
pub fn networks(lab: &Value) -> Vec<&Value> {
    members_by_id(lab, "networks")
}

/// The values of the id-keyed map `key` of a lab JSON, sorted by their id.
fn members_by_id<'a>(lab: &'a Value, key: &str) -> Vec<&'a Value> {
    let mut v: Vec<&Value> = lab
        .get(key)
        .and_then(Value::as_object)
        .map(|m| m.values().collect())
        .unwrap_or_default();
    v.sort_by_key(|n| id_of(n));
    v
}

pub fn links(lab: &Value) -> Vec<&Value> {
    lab.get("links")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

pub fn id_of(v: &Value) -> u32 {
    v.get("id")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

pub fn name_of(v: &Value) -> &str {
    v.get("name").and_then(Value::as_str).unwrap_or("")
}

/// Finds a node by id or name.
pub fn node<'a>(lab: &'a Value, wanted: &str) -> Result<&'a Value, CtlError> {
    let all = nodes(lab);
    let found = match wanted.parse::<u32>() {
        Ok(id) => all.iter().find(|n| id_of(n) == id),
        Err(_) => None,
    }
    .or_else(|| all.iter().find(|n| name_of(n) == wanted));
    found
        .copied()
        .ok_or_else(|| CtlError::NotFound(format!("no node {wanted:?} in this lab")))
}

/// Finds a network by id or name.
pub fn network<'a>(lab: &'a Value, wanted: &str) -> Result<&'a Value, CtlError> {
    let all = networks(lab);
    let found = match wanted.parse::<u32>() {
        Ok(id) => all.iter().find(|n| id_of(n) == id),
        Err(_) => None,
    }
    .or_else(|| all.iter().find(|n| name_of(n) == wanted));
    found
        .copied()
        .ok_or_else(|| CtlError::NotFound(format!("no network {wanted:?} in this lab")))
}

/// Finds an interface of a node by index or name.
pub fn interface_index(node: &Value, wanted: &str) -> Result<u32, CtlError> {
    let ifaces = node
        .get("interfaces")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let by_name = ifaces
        .iter()
        .find(|i| i.get("name").and_then(Value::as_str) == Some(wanted))
        .and_then(|i| i.get("index").and_then(Value::as_u64));
    if let Some(i) = by_name {
        return u32::try_from(i).map_err(|_| CtlError::Invalid("interface index too big".into()));
    }
    let idx: u32 = wanted.parse().map_err(|_| {
        CtlError::NotFound(format!(
            "node {:?} has no interface {wanted:?}",
            name_of(node)
        ))
    })?;
    let ethernet = node.get("ethernet").and_then(Value::as_u64).unwrap_or(0);
    if ifaces.is_empty() && u64::from(idx) >= ethernet {
        return Err(CtlError::NotFound(format!(
            "node {:?} has no interface {idx}",
            name_of(node)
        )));
    }
    Ok(idx)
}

/// Parses a link endpoint: `NODE:IFACE` or `net:NETWORK`, into labd's endpoint JSON.
pub fn endpoint(lab: &Value, text: &str) -> Result<Value, CtlError> {
    let Some((left, right)) = text.rsplit_once(':') else {
        return Err(CtlError::Invalid(format!(
            "endpoint {text:?}: expected NODE:IFACE or net:NETWORK"
        )));
    };
    if left == "net" {
        let net = network(lab, right)?;
        return Ok(json!({ "network_id": id_of(net) }));
    }
    let node = node(lab, left)?;
    let index = interface_index(node, right)?;
    Ok(json!({ "node_id": id_of(node), "interface_index": index }))
}

/// Human text for a stored link endpoint, with node and network names.
pub fn endpoint_text(lab: &Value, ep: &Value) -> String {
    if let Some(net) = ep.get("network_id").and_then(Value::as_u64) {
        let name = networks(lab)
            .into_iter()
            .find(|n| u64::from(id_of(n)) == net)
            .map(name_of)
            .unwrap_or("?");
        return format!("net:{name}");
    }
    let node_id = ep.get("node_id").and_then(Value::as_u64).unwrap_or(0);
    let index = ep
        .get("interface_index")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let node = nodes(lab)
        .into_iter()
        .find(|n| u64::from(id_of(n)) == node_id);
    let node_name = node.map(name_of).unwrap_or("?");
    let iface = node
        .and_then(|n| n.get("interfaces"))
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|i| i.get("index").and_then(Value::as_u64) == Some(index))
        })
        .and_then(|i| i.get("name").and_then(Value::as_str))
        .map(str::to_string)
        .unwrap_or_else(|| index.to_string());
    format!("{node_name}:{iface}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use zbus::OwnedObjectPath;

    fn summary(id: &str, name: &str, folder: &str) -> LabSummary {
        LabSummary {
            id: id.into(),
            name: name.into(),
            folder: folder.into(),
            path: OwnedObjectPath::try_from("/org/novave/Lab1/lab/x").unwrap(),
        }
    }

    fn lab_json() -> Value {
        json!({
            "nodes": {
                "1": {"id": 1, "name": "r1", "ethernet": 2,
                      "interfaces": [{"index": 0, "name": "eth0"}, {"index": 1, "name": "eth1"}]},
                "2": {"id": 2, "name": "h1", "ethernet": 1, "interfaces": []}
            },
            "networks": {"7": {"id": 7, "name": "lan"}},
            "links": []
        })
    }

    #[test]
    fn labs_by_id_path_or_unique_name() {
        let labs = vec![
            summary("a1", "ospf", "mine"),
            summary("b2", "ospf", "team"),
            summary("c3", "bgp", "team"),
        ];
        assert_eq!(lab(&labs, "b2").unwrap().id, "b2");
        assert_eq!(lab(&labs, "team/ospf").unwrap().id, "b2");
        assert_eq!(lab(&labs, "ospf").unwrap_err().exit_code(), 5);
        assert_eq!(lab(&labs, "bgp").unwrap().id, "c3");
        assert_eq!(lab(&labs, "nope").unwrap_err().exit_code(), 3);
    }

    #[test]
    fn endpoints_resolve_names() {
        let l = lab_json();
        assert_eq!(
            endpoint(&l, "r1:eth1").unwrap(),
            json!({"node_id": 1, "interface_index": 1})
        );
        assert_eq!(
            endpoint(&l, "2:0").unwrap(),
            json!({"node_id": 2, "interface_index": 0})
        );
        assert_eq!(endpoint(&l, "net:lan").unwrap(), json!({"network_id": 7}));
        assert!(endpoint(&l, "r1").is_err());
        assert!(endpoint(&l, "r9:eth0").is_err());
        assert!(endpoint(&l, "r1:eth7").is_err());
        assert!(endpoint(&l, "h1:3").is_err());
    }

    #[test]
    fn endpoint_text_uses_names() {
        let l = lab_json();
        assert_eq!(
            endpoint_text(&l, &json!({"node_id": 1, "interface_index": 1})),
            "r1:eth1"
        );
        assert_eq!(endpoint_text(&l, &json!({"network_id": 7})), "net:lan");
    }
}
