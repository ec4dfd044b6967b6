//! Encoding of the netem qdisc options (TCA_OPTIONS). netlink-packet-route has no netem type,
//! and netem's TCA_OPTIONS is not a plain nest: it is `struct tc_netem_qopt` followed by
//! netlink attributes (`TCA_NETEM_*`), as `tc` sends it.

use crate::validate::Netem;

/// `TCA_OPTIONS` attribute type of a qdisc message.
pub const TCA_OPTIONS: u16 = 2;
const TCA_NETEM_RATE: u16 = 6;
const TCA_NETEM_RATE64: u16 = 8;
const TCA_NETEM_LATENCY64: u16 = 10;
const TCA_NETEM_JITTER64: u16 = 11;
/// netem's default queue limit in packets (as `tc` uses).
const NETEM_LIMIT: u32 = 1000;

/// Probability as netem expects it: 0..=u32::MAX for 0..=100 %.
pub fn percent_to_prob(percent: f64) -> u32 {
    let p = (percent / 100.0 * f64::from(u32::MAX)).round();
    // Validated to 0..=100 %, so this stays in range; clamp anyway.
    p.clamp(0.0, f64::from(u32::MAX)) as u32
}

/// Appends one netlink attribute (header, payload, padding to 4 bytes).
pub fn push_nla(buf: &mut Vec<u8>, kind: u16, payload: &[u8]) {
    let len = 4 + payload.len();
    buf.extend_from_slice(&(len as u16).to_ne_bytes());
    buf.extend_from_slice(&kind.to_ne_bytes());
    buf.extend_from_slice(payload);
    while !buf.len().is_multiple_of(4) {
        buf.push(0);
    }
}

/// The TCA_OPTIONS payload for `netem`.
pub fn encode_options(n: &Netem) -> Vec<u8> {
    let mut buf = Vec::with_capacity(64);
    // struct tc_netem_qopt { latency, limit, loss, gap, duplicate, jitter } (u32 each).
    // latency/jitter here are legacy psched ticks: send 0 and give the real values in ns below.
    for v in [0, NETEM_LIMIT, percent_to_prob(n.loss_percent), 0, 0, 0] {
        buf.extend_from_slice(&v.to_ne_bytes());
    }
    let ns = |us: u32| (i64::from(us) * 1000).to_ne_bytes();
    push_nla(&mut buf, TCA_NETEM_LATENCY64, &ns(n.delay_us));
    push_nla(&mut buf, TCA_NETEM_JITTER64, &ns(n.jitter_us));
    if n.rate_bytes_per_sec != 0 {
        // struct tc_netem_rate { u32 rate; s32 packet_overhead; u32 cell_size; s32 cell_overhead; }
        let rate32 = u32::try_from(n.rate_bytes_per_sec).unwrap_or(u32::MAX);
        let mut rate = Vec::with_capacity(16);
        for v in [rate32, 0, 0, 0] {
            rate.extend_from_slice(&v.to_ne_bytes());
        }
        push_nla(&mut buf, TCA_NETEM_RATE, &rate);
        if n.rate_bytes_per_sec > u64::from(u32::MAX) {
            push_nla(
                &mut buf,
                TCA_NETEM_RATE64,
                &n.rate_bytes_per_sec.to_ne_bytes(),
            );
        }
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_probability() {
        assert_eq!(percent_to_prob(0.0), 0);
        assert_eq!(percent_to_prob(100.0), u32::MAX);
        assert_eq!(percent_to_prob(50.0), 2_147_483_648);
    }

    #[test]
    fn options_layout() {
        let n = Netem::new(10_000, 1_000, 1.0, 125_000).unwrap();
        let b = encode_options(&n);
        // qopt (24) + latency64 (12) + jitter64 (12) + rate (20)
        assert_eq!(b.len(), 24 + 12 + 12 + 20);
        let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap());
        assert_eq!(u32_at(4), NETEM_LIMIT);
        assert_eq!(u32_at(8), percent_to_prob(1.0));
        assert_eq!(u16::from_ne_bytes([b[26], b[27]]), TCA_NETEM_LATENCY64);
        assert_eq!(
            i64::from_ne_bytes(b[28..36].try_into().unwrap()),
            10_000_000
        );
        assert_eq!(u16::from_ne_bytes([b[38], b[39]]), TCA_NETEM_JITTER64);
        assert_eq!(u16::from_ne_bytes([b[50], b[51]]), TCA_NETEM_RATE);
        assert_eq!(u32_at(52), 125_000);
        let big = Netem::new(0, 0, 0.0, 10_000_000_000).unwrap();
        let b = encode_options(&big);
        assert_eq!(b.len(), 24 + 12 + 12 + 20 + 12);
    }
}
