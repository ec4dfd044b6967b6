//! Link impairments behind SetNetem/ClearNetem. The real thing is a root `netem` qdisc. Some
//! kernels (this project's CI VMs among them) lack `sch_netem`; there netd falls back to what
//! they do have:
//!
//! - rate: a root `tbf` qdisc (token bucket, burst sized from the rate and the MTU);
//! - random loss: a `clsact` qdisc with a direct-action `cls_bpf` program on egress that drops
//!   a packet when `bpf_get_prandom_u32()` is below the loss threshold (see `bpf`);
//! - delay/jitter: nothing can emulate them → NotSupported, nothing changed.
//!
//! Whether the kernel has netem is learned from the first SetNetem (the kernel answers ENOENT
//! for an unknown qdisc kind and changes nothing) and remembered for the process's life.

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU8, Ordering};

use futures_util::TryStreamExt;
use futures_util::stream::StreamExt;
use rtnetlink::Handle;
use rtnetlink::packet_core::{
    DefaultNla, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST, NetlinkMessage,
    NetlinkPayload,
};
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::packet_route::tc::{TcAttribute, TcHandle, TcMessage};

use crate::bpf;
use crate::error::{NetdError, Result};
use crate::netem;
use crate::validate::Netem;

/// What the fallback cannot do, said once for every caller.
pub const NO_DELAY_MSG: &str = "delay/jitter need the netem qdisc, which this kernel lacks \
    (CONFIG_NET_SCH_NETEM / sch_netem); rate (tbf) and random loss (cls_bpf) work without it";

// linux/pkt_sched.h: TCA_TBF_*.
const TCA_TBF_PARMS: u16 = 1;
const TCA_TBF_RATE64: u16 = 4;
const TCA_TBF_BURST: u16 = 6;
const TC_LINKLAYER_ETHERNET: u8 = 1;
// linux/pkt_cls.h: TCA_BPF_*.
const TCA_BPF_FD: u16 = 6;
const TCA_BPF_NAME: u16 = 7;
const TCA_BPF_FLAGS: u16 = 8;
const TCA_BPF_FLAG_ACT_DIRECT: u32 = 1;
/// The one filter netd puts on clsact egress: priority 1, handle 1, all protocols.
const FILTER_PRIO: u32 = 1;
const FILTER_HANDLE: TcHandle = TcHandle { major: 0, minor: 1 };
const ETH_P_ALL: u16 = 0x0003;
/// Name of the loss program (shows in `tc filter show` and `bpftool prog`).
const LOSS_PROG_NAME: &str = "nova_loss";
/// Queueing tbf allows beyond the burst, as `tc ... latency 50ms` would.
const TBF_LATENCY_MS: u64 = 50;

/// Whether the kernel has netem: unknown until the first SetNetem tells.
#[derive(Debug, Default)]
pub struct NetemSupport(AtomicU8);

impl NetemSupport {
    const UNKNOWN: u8 = 0;
    const YES: u8 = 1;
    const NO: u8 = 2;

    /// None while unknown.
    pub fn get(&self) -> Option<bool> {
        match self.0.load(Ordering::Relaxed) {
            Self::YES => Some(true),
            Self::NO => Some(false),
            _ => None,
        }
    }

    fn set(&self, yes: bool) {
        let v = if yes { Self::YES } else { Self::NO };
        if self.0.swap(v, Ordering::Relaxed) == Self::UNKNOWN {
            tracing::info!(
                "kernel netem qdisc: {}",
                if yes {
                    "available"
                } else {
                    "missing; rate via tbf, loss via cls_bpf, delay/jitter NotSupported"
                }
            );
        }
    }
}

/// The root qdisc kinds netd may have installed.
const ROOT_KINDS: [&str; 2] = ["netem", "tbf"];

/// Replaces the impairments of `ifindex` with `n` (netem where the kernel has it, else the
/// fallback). `mtu` sizes the tbf burst.
pub async fn set(
    handle: &Handle,
    support: &NetemSupport,
    ifindex: u32,
    mtu: u32,
    n: &Netem,
) -> Result<()> {
    if support.get() != Some(false) {
        match replace_root_netem(handle, ifindex, n).await {
            Ok(()) => {
                support.set(true);
                return Ok(());
            }
            // The kernel answers ENOENT for a qdisc kind it does not have; nothing changed.
            Err(NetdError::NotFound(_)) => support.set(false),
            Err(e) => return Err(e),
        }
    }
    set_fallback(handle, ifindex, mtu, n).await
}

async fn set_fallback(handle: &Handle, ifindex: u32, mtu: u32, n: &Netem) -> Result<()> {
    if n.delay_us > 0 || n.jitter_us > 0 {
        return Err(NetdError::NotSupported(NO_DELAY_MSG.into()));
    }
    let state = State::read(handle, ifindex).await?;
    // Loss first: loading the program is what most likely fails, before anything changed.
    if n.loss_percent > 0.0 {
        set_loss(handle, ifindex, n.loss_percent, state.clsact).await?;
    } else if state.clsact {
        del_clsact(handle, ifindex).await?;
    }
    let rate = if n.rate_bytes_per_sec > 0 {
        replace_root_tbf(handle, ifindex, n.rate_bytes_per_sec, mtu).await
    } else if let Some(kind) = state.root.filter(|k| ROOT_KINDS.contains(&k.as_str())) {
        del_root(handle, ifindex, &kind).await
    } else {
        Ok(())
    };
    if let Err(e) = rate {
        // Leave no half-applied set behind: the loss part goes too.
        if n.loss_percent > 0.0 {
            let _ = del_clsact(handle, ifindex).await;
        }
        return Err(e);
    }
    Ok(())
}

/// Removes whatever netd installed (root netem or tbf, clsact with the loss filter).
/// Ok(false) when there was nothing.
pub async fn clear(handle: &Handle, ifindex: u32) -> Result<bool> {
    let state = State::read(handle, ifindex).await?;
    let mut changed = false;
    if let Some(kind) = state.root.filter(|k| ROOT_KINDS.contains(&k.as_str())) {
        del_root(handle, ifindex, &kind).await?;
        changed = true;
    }
    if state.clsact {
        del_clsact(handle, ifindex).await?;
        changed = true;
    }
    Ok(changed)
}

/// The qdiscs of one interface that matter here.
#[derive(Debug, Default)]
struct State {
    /// Kind of the root qdisc, if one is configured.
    root: Option<String>,
    /// A clsact qdisc is present.
    clsact: bool,
}

impl State {
    async fn read(handle: &Handle, ifindex: u32) -> Result<Self> {
        let qdiscs: Vec<TcMessage> = handle
            .qdisc()
            .get()
            .index(ifindex as i32)
            .execute()
            .try_collect()
            .await?;
        let mut s = State::default();
        for q in qdiscs.iter().filter(|q| q.header.index == ifindex as i32) {
            let Some(kind) = q.attributes.iter().find_map(|a| match a {
                TcAttribute::Kind(k) => Some(k.clone()),
                _ => None,
            }) else {
                continue;
            };
            if q.header.parent == TcHandle::ROOT {
                s.root = Some(kind);
            } else if q.header.parent == TcHandle::CLSACT && kind == "clsact" {
                s.clsact = true;
            }
        }
        Ok(s)
    }
}

async fn replace_root_netem(handle: &Handle, ifindex: u32, n: &Netem) -> Result<()> {
    let mut tc = TcMessage::with_index(ifindex as i32);
    tc.header.parent = TcHandle::ROOT;
    tc.attributes.push(TcAttribute::Kind("netem".to_owned()));
    tc.attributes.push(TcAttribute::Other(DefaultNla::new(
        netem::TCA_OPTIONS,
        netem::encode_options(n),
    )));
    request_ack(
        handle,
        RouteNetlinkMessage::NewQueueDiscipline(tc),
        NLM_F_CREATE | NLM_F_REPLACE,
        "set netem",
    )
    .await
}

/// Token bucket sizes for a rate: the burst holds 10 ms of traffic but at least two full
/// frames (a smaller bucket would never pass a full-size frame); the queue holds the burst plus
/// 50 ms more.
pub fn tbf_sizes(rate: u64, mtu: u32) -> (u32, u32) {
    let frame = u64::from(mtu) + 14;
    let burst = (rate / 100).max(2 * frame);
    let limit = burst.saturating_add(rate.saturating_mul(TBF_LATENCY_MS) / 1000);
    let cap = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    (cap(burst), cap(limit))
}

/// The TCA_OPTIONS payload (a nest) for `tbf` at `rate` bytes/s.
pub fn encode_tbf(rate: u64, mtu: u32) -> Vec<u8> {
    let (burst, limit) = tbf_sizes(rate, mtu);
    let rate32 = u32::try_from(rate).unwrap_or(u32::MAX);
    // struct tc_tbf_qopt { tc_ratespec rate, peakrate; u32 limit, buffer, mtu; } with
    // struct tc_ratespec { u8 cell_log, linklayer; u16 overhead; s16 cell_align; u16 mpu;
    // u32 rate; }. buffer is ignored when TCA_TBF_BURST is given; no peak rate.
    let mut parms = Vec::with_capacity(36);
    parms.extend_from_slice(&[0, TC_LINKLAYER_ETHERNET]);
    parms.extend_from_slice(&[0; 6]);
    parms.extend_from_slice(&rate32.to_ne_bytes());
    parms.extend_from_slice(&[0; 12]);
    for v in [limit, 0, 0] {
        parms.extend_from_slice(&v.to_ne_bytes());
    }
    let mut buf = Vec::with_capacity(64);
    netem::push_nla(&mut buf, TCA_TBF_PARMS, &parms);
    if rate > u64::from(u32::MAX) {
        netem::push_nla(&mut buf, TCA_TBF_RATE64, &rate.to_ne_bytes());
    }
    netem::push_nla(&mut buf, TCA_TBF_BURST, &burst.to_ne_bytes());
    buf
}

async fn replace_root_tbf(handle: &Handle, ifindex: u32, rate: u64, mtu: u32) -> Result<()> {
    let mut tc = TcMessage::with_index(ifindex as i32);
    tc.header.parent = TcHandle::ROOT;
    tc.attributes.push(TcAttribute::Kind("tbf".to_owned()));
    tc.attributes.push(TcAttribute::Other(DefaultNla::new(
        netem::TCA_OPTIONS,
        encode_tbf(rate, mtu),
    )));
    request_ack(
        handle,
        RouteNetlinkMessage::NewQueueDiscipline(tc),
        NLM_F_CREATE | NLM_F_REPLACE,
        "set rate (tbf)",
    )
    .await
}

/// Loads the loss program and puts it on clsact egress (replacing netd's earlier one).
async fn set_loss(handle: &Handle, ifindex: u32, percent: f64, has_clsact: bool) -> Result<()> {
    let prog = bpf::loss_program(bpf::loss_threshold(percent));
    let fd = bpf::load_sched_cls(&prog, LOSS_PROG_NAME).map_err(|e| match e.errno() {
        Some(libc::ENOSYS) => NetdError::NotSupported(format!("random loss needs eBPF: {e}")),
        Some(libc::EPERM) => NetdError::Failed(format!(
            "random loss: {e}; netd needs the bpf syscall (SystemCallFilter) and CAP_SYS_ADMIN or CAP_BPF"
        )),
        _ => NetdError::Failed(format!("random loss: {e}")),
    })?;
    if !has_clsact {
        let mut tc = TcMessage::with_index(ifindex as i32);
        tc.header.parent = TcHandle::CLSACT;
        tc.header.handle = TcHandle {
            major: 0xffff,
            minor: 0,
        };
        tc.attributes.push(TcAttribute::Kind("clsact".to_owned()));
        match request_ack(
            handle,
            RouteNetlinkMessage::NewQueueDiscipline(tc),
            NLM_F_CREATE | NLM_F_EXCL,
            "add clsact",
        )
        .await
        {
            Ok(()) | Err(NetdError::AlreadyExists(_)) => {}
            Err(NetdError::NotFound(m)) => {
                return Err(NetdError::NotSupported(format!(
                    "random loss needs the clsact qdisc (CONFIG_NET_SCH_INGRESS): {m}"
                )));
            }
            Err(e) => return Err(e),
        }
    }
    let mut tc = TcMessage::with_index(ifindex as i32);
    tc.header.parent = TcHandle {
        major: 0xffff,
        minor: TcHandle::MIN_EGRESS,
    };
    tc.header.handle = FILTER_HANDLE;
    // tcm_info = TC_H_MAKE(prio << 16, htons(protocol)).
    tc.header.info = (FILTER_PRIO << 16) | u32::from(ETH_P_ALL.to_be());
    tc.attributes.push(TcAttribute::Kind("bpf".to_owned()));
    let mut opts = Vec::with_capacity(32);
    let raw_fd = u32::try_from(fd.as_raw_fd())
        .map_err(|_| NetdError::Failed("bad bpf program fd".into()))?;
    netem::push_nla(&mut opts, TCA_BPF_FD, &raw_fd.to_ne_bytes());
    netem::push_nla(
        &mut opts,
        TCA_BPF_NAME,
        format!("{LOSS_PROG_NAME}\0").as_bytes(),
    );
    netem::push_nla(
        &mut opts,
        TCA_BPF_FLAGS,
        &TCA_BPF_FLAG_ACT_DIRECT.to_ne_bytes(),
    );
    tc.attributes.push(TcAttribute::Other(DefaultNla::new(
        netem::TCA_OPTIONS,
        opts,
    )));
    let r = request_ack(
        handle,
        RouteNetlinkMessage::NewTrafficFilter(tc),
        NLM_F_CREATE | NLM_F_REPLACE,
        "add loss filter (cls_bpf)",
    )
    .await;
    // The filter holds its own reference to the program; ours can go.
    drop(fd);
    if let Err(e) = r {
        if !has_clsact {
            let _ = del_clsact(handle, ifindex).await;
        }
        return Err(match e {
            NetdError::NotFound(m) => NetdError::NotSupported(format!(
                "random loss needs the bpf classifier (CONFIG_NET_CLS_BPF): {m}"
            )),
            e => e,
        });
    }
    Ok(())
}

async fn del_clsact(handle: &Handle, ifindex: u32) -> Result<()> {
    let mut tc = TcMessage::with_index(ifindex as i32);
    tc.header.parent = TcHandle::CLSACT;
    tc.attributes.push(TcAttribute::Kind("clsact".to_owned()));
    request_ack(
        handle,
        RouteNetlinkMessage::DelQueueDiscipline(tc),
        0,
        "remove clsact",
    )
    .await
}

async fn del_root(handle: &Handle, ifindex: u32, kind: &str) -> Result<()> {
    let mut tc = TcMessage::with_index(ifindex as i32);
    tc.header.parent = TcHandle::ROOT;
    tc.attributes.push(TcAttribute::Kind(kind.to_owned()));
    request_ack(
        handle,
        RouteNetlinkMessage::DelQueueDiscipline(tc),
        0,
        &format!("remove {kind}"),
    )
    .await
}

/// Sends one request with `flags` (plus REQUEST|ACK) and maps a NACK to the engine's error.
async fn request_ack(
    handle: &Handle,
    msg: RouteNetlinkMessage,
    flags: u16,
    what: &str,
) -> Result<()> {
    let mut req = NetlinkMessage::from(msg);
    req.header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    let mut handle = handle.clone();
    let mut resp = handle
        .request(req)
        .map_err(|e| NetdError::Failed(format!("{what}: {e}")))?;
    while let Some(msg) = resp.next().await {
        if let NetlinkPayload::Error(e) = msg.payload
            && let Some(code) = e.code
        {
            return Err(NetdError::from_errno(-code.get(), what));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tbf_burst_and_limit() {
        // 1 Mbit/s on a 1500 MTU link: 10 ms is 1250 B, below two frames.
        assert_eq!(tbf_sizes(125_000, 1500), (3028, 3028 + 6250));
        // 1 Gbit/s: 10 ms worth.
        assert_eq!(
            tbf_sizes(125_000_000, 1500),
            (1_250_000, 1_250_000 + 6_250_000)
        );
        // Huge rates saturate instead of wrapping.
        assert_eq!(tbf_sizes(u64::MAX, 1500), (u32::MAX, u32::MAX));
    }

    #[test]
    fn tbf_options_layout() {
        let b = encode_tbf(125_000, 1500);
        // PARMS (4 + 36) + BURST (4 + 4).
        assert_eq!(b.len(), 40 + 8);
        assert_eq!(u16::from_ne_bytes([b[0], b[1]]), 40);
        assert_eq!(u16::from_ne_bytes([b[2], b[3]]), TCA_TBF_PARMS);
        let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap());
        assert_eq!(b[5], TC_LINKLAYER_ETHERNET);
        assert_eq!(u32_at(4 + 8), 125_000); // rate.rate
        assert_eq!(u32_at(4 + 24), 3028 + 6250); // limit
        assert_eq!(u16::from_ne_bytes([b[42], b[43]]), TCA_TBF_BURST);
        assert_eq!(u32_at(44), 3028);
        // Above 4 GB/s the rate goes in RATE64 and the 32-bit field saturates.
        let b = encode_tbf(10_000_000_000, 1500);
        assert_eq!(b.len(), 40 + 12 + 8);
        let r32 = u32::from_ne_bytes(b[12..16].try_into().unwrap());
        assert_eq!(r32, u32::MAX);
        assert_eq!(u16::from_ne_bytes([b[42], b[43]]), TCA_TBF_RATE64);
        assert_eq!(
            u64::from_ne_bytes(b[44..52].try_into().unwrap()),
            10_000_000_000
        );
    }

    #[test]
    fn support_is_remembered() {
        let s = NetemSupport::default();
        assert_eq!(s.get(), None);
        s.set(false);
        assert_eq!(s.get(), Some(false));
        s.set(true);
        assert_eq!(s.get(), Some(true));
    }
}
