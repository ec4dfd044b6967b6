//! Property tests: any lab survives write → read unchanged, including fields
//! this version does not know, at every level of the document.

use nova_lab_model::*;
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// JSON without floats (float text round trips are not exact in general).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9 /_.-]{0,10}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("[a-z_]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn non_null_value() -> impl Strategy<Value = Value> {
    json_value().prop_filter("Option<Value> reads null as None", |v| !v.is_null())
}

fn opt_value() -> impl Strategy<Value = Option<Value>> {
    option::of(non_null_value())
}

/// Unknown fields: `x_`-prefixed so they never collide with known ones.
fn extra() -> impl Strategy<Value = Map<String, Value>> {
    btree_map("x_[a-z]{1,6}", json_value(), 0..3).prop_map(|m| m.into_iter().collect())
}

fn map_of_values() -> impl Strategy<Value = Map<String, Value>> {
    btree_map("[a-z_]{1,8}", json_value(), 0..3).prop_map(|m| m.into_iter().collect())
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ./_-]{0,16}"
}

/// Exactly representable, short-printing floats.
fn float() -> impl Strategy<Value = f64> {
    (-4000i32..4000).prop_map(|i| f64::from(i) / 8.0)
}

fn loose_bool() -> impl Strategy<Value = LooseBool> {
    prop_oneof![
        any::<bool>().prop_map(LooseBool::Bool),
        (0i64..3).prop_map(LooseBool::Int)
    ]
}

fn node_kind() -> impl Strategy<Value = NodeKind> {
    prop_oneof![
        Just(NodeKind::Qemu),
        Just(NodeKind::Docker),
        Just(NodeKind::Iol),
        Just(NodeKind::Dynamips),
        Just(NodeKind::Linux),
        "[a-z]{3,8}".prop_map(|s| NodeKind::from(s.as_str())),
    ]
}

fn console() -> impl Strategy<Value = ConsoleType> {
    prop_oneof![
        Just(ConsoleType::Telnet),
        Just(ConsoleType::Vnc),
        Just(ConsoleType::Rdp),
        "[a-z]{3,6}".prop_map(|s| ConsoleType::from(s.as_str()))
    ]
}

fn port_position() -> impl Strategy<Value = PortPosition> {
    (
        prop_oneof![
            Just(Side::Top),
            Just(Side::Left),
            "[a-z]{2,5}".prop_map(|s| Side::from(s.as_str()))
        ],
        float(),
        extra(),
    )
        .prop_map(|(side, offset, extra)| PortPosition {
            side,
            offset,
            extra,
        })
}

fn interface() -> impl Strategy<Value = NodeInterface> {
    (
        0u32..16,
        text(),
        option::of(text()),
        option::of(port_position()),
        option::of(
            (any::<u64>(), extra()).prop_map(|(g, extra)| InterfaceRuntime {
                current_attach_generation: g,
                extra,
            }),
        ),
        option::of(map_of_values()),
        extra(),
    )
        .prop_map(
            |(index, name, planned_mac, port_position, runtime, extras, extra)| NodeInterface {
                index,
                name,
                planned_mac,
                port_position,
                runtime,
                extras,
                extra,
            },
        )
}

fn node(id: u32) -> impl Strategy<Value = Node> {
    let basics = (
        text(),
        node_kind(),
        text(),
        text(),
        console(),
        option::of(0u32..3),
        0u32..100,
        0u32..100,
    );
    let sizes = (
        any::<u32>(),
        any::<u32>(),
        opt_value(),
        option::of(text()),
        option::of(text()),
        -5000i64..5000,
        -5000i64..5000,
        text(),
    );
    let carry = (
        opt_value(),
        opt_value(),
        option::of(vec(json_value(), 0..3)),
        opt_value(),
        opt_value(),
    );
    let rest = (
        vec(interface(), 0..4),
        map_of_values(),
        option::of(text()),
        option::of(text()),
        extra(),
    );
    (basics, sizes, carry, rest).prop_map(move |(b, s, c, r)| Node {
        id,
        name: b.0,
        kind: b.1,
        template: b.2,
        image: b.3,
        console: b.4,
        status: b.5,
        delay: b.6,
        cpu: b.7,
        ram: s.0,
        ethernet: s.1,
        cpulimit: s.2,
        uuid: s.3,
        firstmac: s.4,
        left: s.5,
        top: s.6,
        icon: s.7,
        width: c.0,
        config: c.1,
        config_list: c.2,
        sat: c.3,
        computed_sat: c.4,
        interfaces: r.0,
        extras: r.1,
        interface_naming_scheme: r.2,
        machine_override: r.3,
        extra: r.4,
    })
}

fn network(id: u32) -> impl Strategy<Value = Network> {
    let kind = prop_oneof![
        Just(NetworkType::LinuxBridge),
        Just(NetworkType::NatCloud),
        Just(NetworkType::BridgeCloud),
        "[a-z0-9]{3,6}".prop_map(|s| NetworkType::from(s.as_str()))
    ];
    let looks = (
        text(),
        kind,
        -5000i64..5000,
        -5000i64..5000,
        option::of(text()),
        opt_value(),
        option::of(text()),
        option::of(text()),
    );
    let config = (
        option::of(text()),
        option::of(text()),
        option::of(any::<bool>()),
        option::of(text()),
        extra(),
    )
        .prop_map(|(cidr, gateway, dhcp, host_bridge, extra)| NetworkConfig {
            cidr,
            gateway,
            dhcp,
            host_bridge,
            extra,
            ..NetworkConfig::default()
        });
    let runtime = (
        option::of(text()),
        option::of(text()),
        option::of(vec(json_value(), 0..3)),
        option::of(any::<u32>()),
        extra(),
    )
        .prop_map(
            |(bridge_name, driver, used_ips, first_offset, extra)| NetworkRuntime {
                bridge_name,
                driver,
                used_ips,
                first_offset,
                extra,
                ..NetworkRuntime::default()
            },
        );
    let rest = (
        option::of(text()),
        option::of(text()),
        option::of(loose_bool()),
        opt_value(),
        any::<bool>(),
        config,
        option::of(runtime),
        extra(),
    );
    (looks, rest).prop_map(move |(l, r)| Network {
        id,
        name: l.0,
        kind: l.1,
        left: l.2,
        top: l.3,
        icon: l.4,
        width: l.5,
        style: l.6,
        linkstyle: l.7,
        color: r.0,
        label: r.1,
        visibility: r.2,
        smart: r.3,
        implicit: r.4,
        config: r.5,
        runtime: r.6,
        extra: r.7,
    })
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    prop_oneof![
        (0u32..20, 0u32..10, extra()).prop_map(|(node_id, interface_index, extra)| Endpoint::Node(
            NodeEndpoint {
                node_id,
                interface_index,
                extra
            }
        )),
        (0u32..20, extra()).prop_map(|(network_id, extra)| Endpoint::Network(NetworkEndpoint {
            network_id,
            extra
        })),
    ]
}

fn link() -> impl Strategy<Value = Link> {
    let style = option::of(prop_oneof![
        Just(LinkStyle::Bezier),
        Just(LinkStyle::Straight),
        "[a-z]{3,6}".prop_map(|s| LinkStyle::from(s.as_str()))
    ]);
    let metrics = (any::<u32>(), float(), any::<u64>(), any::<u32>(), extra()).prop_map(
        |(delay_ms, loss_pct, bandwidth_kbps, jitter_ms, extra)| LinkMetrics {
            delay_ms,
            loss_pct,
            bandwidth_kbps,
            jitter_ms,
            extra,
        },
    );
    let head = (
        "lnk_[0-9]{3}",
        endpoint(),
        endpoint(),
        style,
        option::of(map_of_values()),
    );
    let tail = (
        option::of(text()),
        option::of(text()),
        opt_value(),
        option::of(metrics),
        option::of((any::<u64>(), extra()).prop_map(|(g, extra)| LinkRuntime {
            attach_generation: g,
            extra,
        })),
        extra(),
    );
    (head, tail).prop_map(|(h, t)| Link {
        id: h.0,
        from: h.1,
        to: h.2,
        style_override: h.3,
        endpoint_positions: h.4,
        label: t.0,
        color: t.1,
        width: t.2,
        metrics: t.3,
        runtime: t.4,
        extra: t.5,
    })
}

fn meta() -> impl Strategy<Value = Meta> {
    let a = (
        text(),
        option::of(text()),
        option::of(text()),
        option::of(text()),
        option::of(text()),
        option::of(any::<u32>()),
    );
    let b = (
        option::of(any::<u32>()),
        option::of(text()),
        option::of(loose_bool()),
        option::of(loose_bool()),
        option::of(text()),
        extra(),
    );
    (a, b).prop_map(|(a, b)| Meta {
        name: a.0,
        author: a.1,
        description: a.2,
        body: a.3,
        version: a.4,
        scripttimeout: a.5,
        countdown: b.0,
        linkwidth: b.1,
        grid: b.2,
        lock: b.3,
        sat: b.4,
        extra: b.5,
    })
}

fn annotations()
-> impl Strategy<Value = (Vec<TextObject>, Vec<LineObject>, Vec<Picture>, Vec<Task>)> {
    let text_obj = (
        opt_value(),
        option::of(text()),
        option::of(text()),
        option::of(text()),
        extra(),
    )
        .prop_map(|(id, name, kind, data, extra)| TextObject {
            id,
            name,
            kind,
            data,
            extra,
        });
    let line = (opt_value(), option::of(text()), extra())
        .prop_map(|(id, name, extra)| LineObject { id, name, extra });
    let pic = (
        opt_value(),
        option::of(text()),
        option::of(text()),
        opt_value(),
        option::of(text()),
        extra(),
    )
        .prop_map(|(id, name, kind, width, map, extra)| Picture {
            id,
            name,
            kind,
            width,
            height: None,
            map,
            extra,
        });
    let task = (opt_value(), option::of(text()), extra()).prop_map(|(id, name, extra)| Task {
        id,
        name,
        extra,
    });
    (
        vec(text_obj, 0..2),
        vec(line, 0..2),
        vec(pic, 0..2),
        vec(task, 0..2),
    )
}

fn lab() -> impl Strategy<Value = Lab> {
    let ids = (
        proptest::sample::subsequence((1u32..40).collect::<Vec<_>>(), 0..5),
        proptest::sample::subsequence((1u32..40).collect::<Vec<_>>(), 0..4),
    );
    ids.prop_flat_map(|(node_ids, net_ids)| {
        let nodes: Vec<_> = node_ids.into_iter().map(node).collect();
        let nets: Vec<_> = net_ids.into_iter().map(network).collect();
        let viewport = (float(), float(), float(), extra())
            .prop_map(|(x, y, zoom, extra)| Viewport { x, y, zoom, extra });
        let defaults = (
            option::of(prop_oneof![
                Just(LinkStyle::Orthogonal),
                Just(LinkStyle::Bezier)
            ]),
            extra(),
        )
            .prop_map(|(link_style, extra)| Defaults { link_style, extra });
        let head = (
            "[a-z0-9-]{1,12}",
            option::of(Just(2u32)),
            meta(),
            viewport,
            nodes,
            nets,
        );
        let tail = (
            vec(link(), 0..5),
            defaults,
            annotations(),
            map_of_values(),
            extra(),
        );
        (head, tail).prop_map(|(h, t)| Lab {
            schema: 2,
            schema_version: h.1,
            id: h.0,
            meta: h.2,
            viewport: h.3,
            nodes: h.4.into_iter().map(|n| (n.id.to_string(), n)).collect(),
            networks: h.5.into_iter().map(|n| (n.id.to_string(), n)).collect(),
            links: t.0,
            defaults: t.1,
            textobjects: t.2.0,
            lineobjects: t.2.1,
            pictures: t.2.2,
            tasks: t.2.3,
            configsets: t.3,
            extra: t.4,
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// parse(serialize(lab)) == lab, unknown fields included.
    #[test]
    fn write_then_read_is_identity(lab in lab()) {
        let text = lab.to_json();
        let back = Lab::from_json(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &lab);
        // And the text is stable: writing the read-back lab gives the same bytes.
        prop_assert_eq!(back.to_json(), text);
    }

    /// Unknown keys added anywhere in a written lab's JSON survive a read and a write.
    #[test]
    fn unknown_fields_survive(lab in lab(), key in "zz_[a-z]{1,6}", value in json_value()) {
        let mut doc: Value = serde_json::from_str(&lab.to_json()).unwrap();
        let mut planted = Vec::new();
        plant(&mut doc, &key, &value, "", &mut planted);
        let back = Lab::from_json(&doc.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let written: Value = serde_json::from_str(&back.to_json()).unwrap();
        for pointer in &planted {
            prop_assert_eq!(written.pointer(pointer), Some(&value), "lost {}", pointer);
        }
    }
}

/// Adds `key: value` to every object that is a lab element (not free-form maps).
fn plant(v: &mut Value, key: &str, value: &Value, at: &str, planted: &mut Vec<String>) {
    const FREE_FORM: &[&str] = &["extras", "configsets", "endpoint_positions"];
    let Value::Object(map) = v else {
        if let Value::Array(items) = v
            && [
                "/links",
                "/textobjects",
                "/lineobjects",
                "/pictures",
                "/tasks",
            ]
            .iter()
            .any(|p| at.ends_with(p) || at.ends_with("/interfaces"))
        {
            for (i, item) in items.iter_mut().enumerate() {
                plant(item, key, value, &format!("{at}/{i}"), planted);
            }
        }
        return;
    };
    let is_id_map = at.ends_with("/nodes") || at.ends_with("/networks");
    if !is_id_map {
        map.insert(key.to_owned(), value.clone());
        planted.push(format!("{at}/{key}"));
    }
    for (k, child) in map.iter_mut() {
        if k.starts_with("x_")
            || k == key
            || FREE_FORM.contains(&k.as_str())
            || k == "used_ips"
            || k == "config_list"
        {
            continue;
        }
        if child.is_object() || child.is_array() {
            plant(child, key, value, &format!("{at}/{k}"), planted);
        }
    }
}

#[test]
fn plant_reaches_deep_elements() {
    let mut lab = Lab::new("x", "x");
    let mut node = Node::new(1, "n", NodeKind::Linux);
    node.interfaces.push(NodeInterface::new(0, "eth0"));
    lab.add_node(node).unwrap();
    lab.links.push(Link::new(
        "lnk_001",
        Endpoint::node(1, 0),
        Endpoint::network(1),
    ));
    let mut doc: Value = serde_json::from_str(&lab.to_json()).unwrap();
    let mut planted = Vec::new();
    plant(&mut doc, "zz_k", &Value::from(1), "", &mut planted);
    for p in [
        "/zz_k",
        "/meta/zz_k",
        "/nodes/1/zz_k",
        "/nodes/1/interfaces/0/zz_k",
        "/links/0/zz_k",
        "/links/0/from/zz_k",
        "/links/0/to/zz_k",
    ] {
        assert!(
            planted.iter().any(|x| x == p),
            "{p} not planted: {planted:?}"
        );
    }
}
