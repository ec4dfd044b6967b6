//! The D-Bus adaptor: `org.novave.Net1` and `org.novave.Nodes1` on `/org/novave/Net1`. Each
//! method checks polkit first, then parses its arguments into validated types, calls the engine
//! and maps the result. Errors become named D-Bus errors in exactly one place: [`to_dbus`].

use std::collections::HashMap;
use std::sync::Arc;

use zbus::message::Header;
use zbus::object_server::SignalEmitter;
use zbus::{Connection, OwnedVariant, interface};

use nova_dbus::errors::NetError;
use nova_dbus::net::{ACTION_CAPTURE, ACTION_MANAGE, ACTION_READ, BpfInstruction, InterfaceInfo};
use nova_dbus::nodes::{ACTION_NODE_MANAGE, NodeScopeInfo};

use crate::engine::{Caller, Event, NetEngine, Op};
use crate::error::{NetdError, Result};
use crate::nodes::NodeScopes;
use crate::polkit::Polkit;
use crate::validate::{BpfProgram, IfName, MacAddr, Mtu, Netem};

/// Largest `Apply` batch.
pub const MAX_BATCH: usize = 1024;

/// The single mapping from the core error to named D-Bus errors.
pub fn to_dbus(e: NetdError) -> NetError {
    match e {
        NetdError::AccessDenied(m) => NetError::AccessDenied(m),
        NetdError::InvalidArgs(m) => NetError::InvalidArgs(m),
        NetdError::NotOwned(m) => NetError::NotOwned(format!("{m} is not owned by nova-ve-netd")),
        NetdError::NotFound(m) => NetError::NotFound(m),
        NetdError::AlreadyExists(m) => NetError::AlreadyExists(m),
        NetdError::NotSupported(m) => NetError::NotSupported(m),
        NetdError::Failed(m) => NetError::Failed(m),
    }
}

/// Who decides whether a caller may do something.
#[derive(Debug, Clone)]
pub enum Gate {
    /// Ask polkit (production).
    Polkit(Polkit),
    /// Refuse everything (used where no polkit runs, e.g. the XML contract test).
    DenyAll,
}

impl Gate {
    async fn check(&self, header: &Header<'_>, action: &'static str) -> Result<Caller> {
        match self {
            Gate::Polkit(p) => {
                p.check(header, action).await?;
                Ok(Caller {
                    uid: p.caller_uid(header).await?,
                })
            }
            Gate::DenyAll => Err(NetdError::AccessDenied(format!(
                "{action}: no authority configured"
            ))),
        }
    }

    async fn caller_pid(&self, header: &Header<'_>) -> Result<u32> {
        match self {
            Gate::Polkit(p) => p.caller_pid(header).await,
            Gate::DenyAll => Err(NetdError::AccessDenied("no authority configured".into())),
        }
    }
}

/// `org.novave.Net1`.
#[derive(Debug)]
pub struct Net1 {
    engine: Arc<NetEngine>,
    gate: Gate,
}

impl Net1 {
    /// The interface object.
    pub fn new(engine: Arc<NetEngine>, gate: Gate) -> Self {
        Self { engine, gate }
    }

    async fn run(
        &self,
        header: &Header<'_>,
        parse: impl FnOnce() -> Result<Vec<Op>>,
    ) -> Result<u32> {
        let caller = self.gate.check(header, ACTION_MANAGE).await?;
        let ops = parse()?;
        let (n, _events) = self.engine.apply(ops, caller).await?;
        Ok(n)
    }

    async fn one(
        &self,
        header: &Header<'_>,
        parse: impl FnOnce() -> Result<Op>,
    ) -> Result<(), NetError> {
        self.run(header, || parse().map(|op| vec![op]))
            .await
            .map(|_| ())
            .map_err(to_dbus)
    }
}

/// Turns engine events into signals, in order, off the method-reply path.
async fn emit_events(
    emitter: SignalEmitter<'static>,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Event>,
) {
    while let Some(ev) = rx.recv().await {
        let r = match &ev {
            Event::Added { name, kind } => Net1::interface_added(&emitter, name, kind).await,
            Event::Changed { name } => Net1::interface_changed(&emitter, name).await,
            Event::Removed { name } => Net1::interface_removed(&emitter, name).await,
        };
        if let Err(e) = r {
            tracing::warn!("emitting {ev:?}: {e}");
        }
    }
}

#[interface(name = "org.novave.Net1")]
impl Net1 {
    #[zbus(property)]
    fn prefix(&self) -> String {
        nova_dbus::net::IFNAME_PREFIX.to_owned()
    }

    async fn create_bridge(
        &self,
        #[zbus(header)] header: Header<'_>,
        name: &str,
    ) -> Result<(), NetError> {
        self.one(&header, || Ok(Op::CreateBridge(IfName::parse_host(name)?)))
            .await
    }

    async fn create_tap(
        &self,
        #[zbus(header)] header: Header<'_>,
        name: &str,
        owner_uid: u32,
    ) -> Result<(), NetError> {
        self.one(&header, || parse_create_tap(name, owner_uid))
            .await
    }

    async fn create_veth(
        &self,
        #[zbus(header)] header: Header<'_>,
        name: &str,
        peer: &str,
        netns_pid: u32,
        peer_up: bool,
    ) -> Result<(), NetError> {
        self.one(&header, || Op::create_veth(name, peer, netns_pid, peer_up))
            .await
    }

    async fn delete_interface(
        &self,
        #[zbus(header)] header: Header<'_>,
        name: &str,
    ) -> Result<(), NetError> {
        self.one(&header, || Ok(Op::Delete(IfName::parse(name)?)))
            .await
    }

    #[zbus(out_args("deleted"))]
    async fn delete_interfaces(
        &self,
        #[zbus(header)] header: Header<'_>,
        names: Vec<String>,
    ) -> Result<Vec<String>, NetError> {
        let caller = self
            .gate
            .check(&header, ACTION_MANAGE)
            .await
            .map_err(to_dbus)?;
        let names = parse_names(&names).map_err(to_dbus)?;
        self.engine
            .delete_many(&names, caller)
            .await
            .map_err(to_dbus)
    }

    async fn attach_to_bridge(
        &self,
        #[zbus(header)] header: Header<'_>,
        name: &str,
        bridge: &str,
    ) -> Result<(), NetError> {
        self.one(&header, || {
            Ok(Op::Attach {
                name: IfName::parse(name)?,
                bridge: IfName::parse(bridge)?,
            })
        })
        .await
    }

    async fn detach_from_bridge(
        &self,
        #[zbus(header)] header: Header<'_>,
        name: &str,
    ) -> Result<(), NetError> {
        self.one(&header, || Ok(Op::Detach(IfName::parse(name)?)))
            .await
    }

    async fn set_up(
        &self,
        #[zbus(header)] header: Header<'_>,
        name: &str,
        up: bool,
    ) -> Result<(), NetError> {
        self.one(&header, || {
            Ok(Op::SetUp {
                name: IfName::parse(name)?,
                up,
            })
        })
        .await
    }

    async fn set_mtu(
        &self,
        #[zbus(header)] header: Header<'_>,
        name: &str,
        mtu: u32,
    ) -> Result<(), NetError> {
        self.one(&header, || {
            Ok(Op::SetMtu {
                name: IfName::parse(name)?,
                mtu: Mtu::new(mtu)?,
            })
        })
        .await
    }

    async fn set_mac(
        &self,
        #[zbus(header)] header: Header<'_>,
        name: &str,
        mac: &str,
    ) -> Result<(), NetError> {
        self.one(&header, || {
            Ok(Op::SetMac {
                name: IfName::parse(name)?,
                mac: MacAddr::parse(mac)?,
            })
        })
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn set_netem(
        &self,
        #[zbus(header)] header: Header<'_>,
        name: &str,
        delay_us: u32,
        jitter_us: u32,
        loss_percent: f64,
        rate_bytes_per_sec: u64,
    ) -> Result<(), NetError> {
        self.one(&header, || {
            Ok(Op::SetNetem {
                name: IfName::parse(name)?,
                netem: Netem::new(delay_us, jitter_us, loss_percent, rate_bytes_per_sec)?,
            })
        })
        .await
    }

    async fn clear_netem(
        &self,
        #[zbus(header)] header: Header<'_>,
        name: &str,
    ) -> Result<(), NetError> {
        self.one(&header, || Ok(Op::ClearNetem(IfName::parse(name)?)))
            .await
    }

    #[zbus(out_args("interfaces"))]
    async fn list_interfaces(
        &self,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<Vec<InterfaceInfo>, NetError> {
        self.gate
            .check(&header, ACTION_READ)
            .await
            .map_err(to_dbus)?;
        self.engine.list().await.map_err(to_dbus)
    }

    #[zbus(out_args("applied"))]
    async fn apply(
        &self,
        #[zbus(header)] header: Header<'_>,
        ops: Vec<(String, HashMap<String, OwnedVariant>)>,
    ) -> Result<u32, NetError> {
        self.run(&header, || parse_batch(&ops))
            .await
            .map_err(to_dbus)
    }

    #[zbus(out_args("pcap"))]
    async fn capture_start(
        &self,
        #[zbus(header)] header: Header<'_>,
        name: &str,
        filter: Vec<BpfInstruction>,
    ) -> Result<zbus::OwnedFd, NetError> {
        let caller = self
            .gate
            .check(&header, ACTION_CAPTURE)
            .await
            .map_err(to_dbus)?;
        let name = IfName::parse(name).map_err(to_dbus)?;
        let filter = BpfProgram::new(filter).map_err(to_dbus)?;
        let fd = self.engine.capture(&name, &filter).await.map_err(to_dbus)?;
        tracing::info!(IFNAME = %name, CALLER_UID = caller.uid, ACTION = "capture-start", "capture on {name}");
        Ok(zbus::OwnedFd::from(fd))
    }

    #[zbus(signal)]
    async fn interface_added(
        emitter: &SignalEmitter<'_>,
        name: &str,
        kind: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn interface_changed(emitter: &SignalEmitter<'_>, name: &str) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn interface_removed(emitter: &SignalEmitter<'_>, name: &str) -> zbus::Result<()>;
}

fn parse_create_tap(name: &str, owner_uid: u32) -> Result<Op> {
    // uid_t -1 means "no owner" to the kernel: refuse it rather than make an ownerless TAP.
    if owner_uid == u32::MAX {
        return Err(NetdError::invalid("owner_uid 4294967295 is not a user"));
    }
    Ok(Op::CreateTap {
        name: IfName::parse_host(name)?,
        owner_uid,
    })
}

/// Validates the names of a `DeleteInterfaces` call, all before anything runs.
pub fn parse_names(names: &[String]) -> Result<Vec<IfName>> {
    if names.len() > MAX_BATCH {
        return Err(NetdError::invalid(format!(
            "{} names exceed {MAX_BATCH}",
            names.len()
        )));
    }
    names.iter().map(|n| IfName::parse(n)).collect()
}

/// Typed access to one batch op's arguments; every key must be consumed.
struct Args<'a> {
    op: &'a str,
    map: &'a HashMap<String, OwnedVariant>,
    used: Vec<&'static str>,
}

impl<'a> Args<'a> {
    fn get<T: TryFrom<zbus::Variant<'static>>>(
        &mut self,
        key: &'static str,
        ty: &str,
    ) -> Result<T> {
        self.used.push(key);
        let v = self
            .map
            .get(key)
            .ok_or_else(|| NetdError::invalid(format!("{}: missing argument {key}", self.op)))?;
        let bad =
            || NetdError::invalid(format!("{}: argument {key} must be of type {ty}", self.op));
        let owned = v.try_clone().map_err(|_| bad())?;
        T::try_from(zbus::Variant::from(owned)).map_err(|_| bad())
    }

    fn name(&mut self, key: &'static str) -> Result<String> {
        self.get::<String>(key, "s")
    }

    fn finish(self) -> Result<()> {
        if let Some(k) = self.map.keys().find(|k| !self.used.contains(&k.as_str())) {
            return Err(NetdError::invalid(format!(
                "{}: unknown argument {k:?}",
                self.op
            )));
        }
        Ok(())
    }
}

/// Parses and validates a whole batch before anything runs.
pub fn parse_batch(ops: &[(String, HashMap<String, OwnedVariant>)]) -> Result<Vec<Op>> {
    if ops.len() > MAX_BATCH {
        return Err(NetdError::invalid(format!(
            "batch of {} ops exceeds {MAX_BATCH}",
            ops.len()
        )));
    }
    ops.iter()
        .enumerate()
        .map(|(i, (op, map))| {
            parse_op(op, map).map_err(|e| match e {
                NetdError::InvalidArgs(m) => NetdError::InvalidArgs(format!("op {i}: {m}")),
                other => other,
            })
        })
        .collect()
}

fn parse_op(op: &str, map: &HashMap<String, OwnedVariant>) -> Result<Op> {
    let mut a = Args {
        op,
        map,
        used: Vec::new(),
    };
    let parsed = match op {
        "CreateBridge" => Op::CreateBridge(IfName::parse_host(&a.name("name")?)?),
        "CreateTap" => {
            let name = a.name("name")?;
            parse_create_tap(&name, a.get("owner_uid", "u")?)?
        }
        "CreateVeth" => {
            let (name, peer) = (a.name("name")?, a.name("peer")?);
            let pid: u32 = a.get("netns_pid", "u")?;
            let up: bool = a.get("peer_up", "b")?;
            Op::create_veth(&name, &peer, pid, up)?
        }
        "DeleteInterface" => Op::Delete(IfName::parse(&a.name("name")?)?),
        "AttachToBridge" => Op::Attach {
            name: IfName::parse(&a.name("name")?)?,
            bridge: IfName::parse(&a.name("bridge")?)?,
        },
        "DetachFromBridge" => Op::Detach(IfName::parse(&a.name("name")?)?),
        "SetUp" => Op::SetUp {
            name: IfName::parse(&a.name("name")?)?,
            up: a.get("up", "b")?,
        },
        "SetMtu" => Op::SetMtu {
            name: IfName::parse(&a.name("name")?)?,
            mtu: Mtu::new(a.get("mtu", "u")?)?,
        },
        "SetMac" => Op::SetMac {
            name: IfName::parse(&a.name("name")?)?,
            mac: MacAddr::parse(&a.name("mac")?)?,
        },
        "SetNetem" => Op::SetNetem {
            name: IfName::parse(&a.name("name")?)?,
            netem: Netem::new(
                a.get("delay_us", "u")?,
                a.get("jitter_us", "u")?,
                a.get("loss_percent", "d")?,
                a.get("rate_bytes_per_sec", "t")?,
            )?,
        },
        "ClearNetem" => Op::ClearNetem(IfName::parse(&a.name("name")?)?),
        other => return Err(NetdError::invalid(format!("unknown op {other:?}"))),
    };
    a.finish()?;
    Ok(parsed)
}

/// `org.novave.Nodes1`.
#[derive(Debug)]
pub struct Nodes1 {
    scopes: Option<NodeScopes>,
    gate: Gate,
}

impl Nodes1 {
    /// The interface object; `scopes` None when systemd is not reachable (methods then say
    /// NotSupported).
    pub fn new(scopes: Option<NodeScopes>, gate: Gate) -> Self {
        Self { scopes, gate }
    }

    fn scopes(&self) -> Result<&NodeScopes> {
        self.scopes
            .as_ref()
            .ok_or_else(|| NetdError::NotSupported("systemd is not reachable".into()))
    }
}

#[interface(name = "org.novave.Nodes1")]
impl Nodes1 {
    #[zbus(out_args("unit"))]
    async fn start_node_scope(
        &self,
        #[zbus(header)] header: Header<'_>,
        lab: &str,
        node: &str,
        pid: u32,
        properties: HashMap<String, OwnedVariant>,
    ) -> Result<String, NetError> {
        let r: Result<String> = async {
            let caller = self.gate.check(&header, ACTION_NODE_MANAGE).await?;
            let caller_pid = self.gate.caller_pid(&header).await?;
            self.scopes()?
                .start(lab, node, pid, &properties, caller.uid, caller_pid)
                .await
        }
        .await;
        r.map_err(to_dbus)
    }

    async fn stop_node_scope(
        &self,
        #[zbus(header)] header: Header<'_>,
        unit: &str,
    ) -> Result<(), NetError> {
        let r: Result<()> = async {
            let caller = self.gate.check(&header, ACTION_NODE_MANAGE).await?;
            self.scopes()?.stop(unit, caller.uid).await
        }
        .await;
        r.map_err(to_dbus)
    }

    #[zbus(out_args("units"))]
    async fn list_node_scopes(
        &self,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<Vec<NodeScopeInfo>, NetError> {
        let r: Result<Vec<NodeScopeInfo>> = async {
            self.gate.check(&header, ACTION_NODE_MANAGE).await?;
            self.scopes()?.list().await
        }
        .await;
        r.map_err(to_dbus)
    }
}

/// Serves both interfaces on `conn` at the netd object path.
pub async fn serve(
    conn: &Connection,
    engine: Arc<NetEngine>,
    gate: Gate,
    scopes: Option<NodeScopes>,
) -> zbus::Result<()> {
    let server = conn.object_server();
    let emitter = SignalEmitter::new(conn, nova_dbus::net::OBJECT_PATH)?.into_owned();
    tokio::spawn(emit_events(emitter, engine.subscribe()));
    server
        .at(nova_dbus::net::OBJECT_PATH, Net1::new(engine, gate.clone()))
        .await?;
    server
        .at(nova_dbus::net::OBJECT_PATH, Nodes1::new(scopes, gate))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zbus::Variant;

    fn op(
        name: &str,
        args: Vec<(&str, Variant<'static>)>,
    ) -> (String, HashMap<String, OwnedVariant>) {
        (
            name.to_owned(),
            args.into_iter()
                .map(|(k, v)| (k.to_owned(), v.try_into().unwrap()))
                .collect(),
        )
    }

    #[test]
    fn batch_parsing_validates_everything_first() {
        let good = vec![
            op("CreateBridge", vec![("name", Variant::from("nvbr0"))]),
            op(
                "CreateTap",
                vec![
                    ("name", Variant::from("nvtap0")),
                    ("owner_uid", Variant::from(1000u32)),
                ],
            ),
            op(
                "AttachToBridge",
                vec![
                    ("name", Variant::from("nvtap0")),
                    ("bridge", Variant::from("nvbr0")),
                ],
            ),
            op(
                "SetNetem",
                vec![
                    ("name", Variant::from("nvtap0")),
                    ("delay_us", Variant::from(1000u32)),
                    ("jitter_us", Variant::from(0u32)),
                    ("loss_percent", Variant::from(0.5f64)),
                    ("rate_bytes_per_sec", Variant::from(0u64)),
                ],
            ),
        ];
        assert_eq!(parse_batch(&good).unwrap().len(), 4);
        let bad_cases = vec![
            vec![op("Explode", vec![])],
            vec![op("CreateBridge", vec![])],
            vec![op("CreateBridge", vec![("name", Variant::from(5u32))])],
            vec![op("CreateBridge", vec![("name", Variant::from("eth0"))])],
            vec![op(
                "CreateBridge",
                vec![
                    ("name", Variant::from("nvbr0")),
                    ("extra", Variant::from(1u32)),
                ],
            )],
            vec![op(
                "CreateTap",
                vec![
                    ("name", Variant::from("nvtap0")),
                    ("owner_uid", Variant::from(u32::MAX)),
                ],
            )],
            vec![op(
                "SetMtu",
                vec![
                    ("name", Variant::from("nvtap0")),
                    ("mtu", Variant::from(10u32)),
                ],
            )],
        ];
        for ops in bad_cases {
            let mut all = good.clone();
            all.extend(ops);
            assert!(matches!(parse_batch(&all), Err(NetdError::InvalidArgs(_))));
        }
        let too_many =
            vec![op("CreateBridge", vec![("name", Variant::from("nvbr0"))]); MAX_BATCH + 1];
        assert!(parse_batch(&too_many).is_err());
    }

    #[test]
    fn every_core_error_has_a_named_dbus_error() {
        use zbus::DBusError;
        let cases = [
            (NetdError::AccessDenied("x".into()), "AccessDenied"),
            (NetdError::InvalidArgs("x".into()), "InvalidArgs"),
            (NetdError::NotOwned("eth0".into()), "NotOwned"),
            (NetdError::NotFound("x".into()), "NotFound"),
            (NetdError::AlreadyExists("x".into()), "AlreadyExists"),
            (NetdError::NotSupported("x".into()), "NotSupported"),
            (NetdError::Failed("x".into()), "Failed"),
        ];
        for (e, suffix) in cases {
            let d = to_dbus(e);
            assert_eq!(d.name().as_str(), format!("org.novave.Net1.Error.{suffix}"));
        }
    }
}
