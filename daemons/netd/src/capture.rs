//! Live packet capture: an AF_PACKET socket bound to one interface, an optional classic BPF
//! filter, and a pcap stream written into a pipe whose read end goes to the caller.
//!
//! Filters come pre-compiled (classic BPF, as `tcpdump -ddd` prints), so netd needs no libpcap
//! and parses no filter language as root; the kernel verifies the program on attach.

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{NetdError, Result};
use crate::validate::BpfProgram;

/// pcap magic for microsecond timestamps.
pub const PCAP_MAGIC: u32 = 0xa1b2_c3d4;
/// LINKTYPE_ETHERNET.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// Snapshot length.
pub const SNAPLEN: u32 = 65535;

/// The 24-byte pcap global header (native byte order, as libpcap writes it).
pub fn pcap_global_header() -> [u8; 24] {
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&PCAP_MAGIC.to_ne_bytes());
    h[4..6].copy_from_slice(&2u16.to_ne_bytes());
    h[6..8].copy_from_slice(&4u16.to_ne_bytes());
    // thiszone (4) and sigfigs (4) stay 0.
    h[16..20].copy_from_slice(&SNAPLEN.to_ne_bytes());
    h[20..24].copy_from_slice(&LINKTYPE_ETHERNET.to_ne_bytes());
    h
}

/// One pcap record: 16-byte header then the (possibly truncated) packet.
pub fn pcap_record(ts: std::time::Duration, packet: &[u8], orig_len: usize) -> Vec<u8> {
    let incl = packet.len().min(SNAPLEN as usize);
    let mut r = Vec::with_capacity(16 + incl);
    r.extend_from_slice(&(ts.as_secs() as u32).to_ne_bytes());
    r.extend_from_slice(&ts.subsec_micros().to_ne_bytes());
    r.extend_from_slice(&(incl as u32).to_ne_bytes());
    r.extend_from_slice(&(orig_len as u32).to_ne_bytes());
    r.extend_from_slice(&packet[..incl]);
    r
}

fn last_errno(what: &str) -> NetdError {
    NetdError::Failed(format!("{what}: {}", std::io::Error::last_os_error()))
}

/// Opens an AF_PACKET socket on `ifindex` (in the calling thread's network namespace) with the
/// filter attached *before* binding, so no unfiltered packet is ever queued.
fn open_packet_socket(ifindex: u32, filter: &BpfProgram) -> Result<OwnedFd> {
    // SAFETY: plain socket(2); protocol 0 receives nothing until bound with a protocol.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(last_errno("socket(AF_PACKET)"));
    }
    // SAFETY: fd was just returned by socket(2) and is owned here.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    if !filter.0.is_empty() {
        let insns: Vec<libc::sock_filter> = filter
            .0
            .iter()
            .map(|i| libc::sock_filter {
                code: i.code,
                jt: i.jt,
                jf: i.jf,
                k: i.k,
            })
            .collect();
        let prog = libc::sock_fprog {
            len: insns.len() as u16,
            filter: insns.as_ptr() as *mut libc::sock_filter,
        };
        // SAFETY: prog points at insns, alive for the call; the kernel copies it.
        let rc = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_ATTACH_FILTER,
                &prog as *const _ as *const libc::c_void,
                std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(NetdError::invalid(format!(
                "BPF filter rejected by the kernel: {}",
                std::io::Error::last_os_error()
            )));
        }
    }
    // Wake up every 200 ms to notice a reader that went away while no packet arrives.
    let tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 200_000,
    };
    // SAFETY: valid timeval for SO_RCVTIMEO.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            &tv as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(last_errno("SO_RCVTIMEO"));
    }
    // SAFETY: zeroed sockaddr_ll is a valid starting value.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
    sll.sll_ifindex = ifindex as i32;
    // SAFETY: sll is a valid sockaddr_ll of the given size.
    let rc = unsafe {
        libc::bind(
            sock.as_raw_fd(),
            &sll as *const _ as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(last_errno("bind(AF_PACKET)"));
    }
    Ok(sock)
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: fds has room for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(last_errno("pipe2"));
    }
    // SAFETY: pipe2 returned two new descriptors we now own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// True when the read end of the pipe has been closed (POLLERR on the write end).
fn reader_gone(w: RawFd) -> bool {
    let mut p = libc::pollfd {
        fd: w,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd, zero timeout.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    n > 0 && (p.revents & (libc::POLLERR | libc::POLLHUP)) != 0
}

/// Starts a capture on `ifindex`; returns the read end of the pcap stream. A thread copies
/// packets until the reader closes its end (EPIPE / POLLERR) or a write fails.
pub fn start(ifindex: u32, ifname: String, filter: &BpfProgram) -> Result<OwnedFd> {
    let sock = open_packet_socket(ifindex, filter)?;
    let (reader, writer) = pipe()?;
    let mut out = File::from(writer);
    out.write_all(&pcap_global_header())
        .map_err(|e| NetdError::Failed(format!("write pcap header: {e}")))?;
    std::thread::Builder::new()
        .name(format!("capture-{ifname}"))
        .spawn(move || copy_packets(sock, out, &ifname))
        .map_err(|e| NetdError::Failed(format!("spawn capture thread: {e}")))?;
    Ok(reader)
}

fn copy_packets(sock: OwnedFd, mut out: File, ifname: &str) {
    let mut buf = vec![0u8; SNAPLEN as usize + 64];
    let mut packets: u64 = 0;
    loop {
        // MSG_TRUNC makes recv return the real length even when the packet is longer.
        // SAFETY: buf is valid for buf.len() bytes.
        let n = unsafe {
            libc::recv(
                sock.as_raw_fd(),
                buf.as_mut_ptr() as *mut libc::c_void,
                buf.len(),
                libc::MSG_TRUNC,
            )
        };
        if n < 0 {
            let err = std::io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EAGAIN) | Some(libc::EINTR) => {
                    if reader_gone(out.as_raw_fd()) {
                        break;
                    }
                    continue;
                }
                _ => {
                    tracing::warn!(IFNAME = ifname, "capture recv failed: {err}");
                    break;
                }
            }
        }
        let orig = n as usize;
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let rec = pcap_record(ts, &buf[..orig.min(buf.len())], orig);
        if out.write_all(&rec).is_err() {
            break; // EPIPE: the reader closed its end (SIGPIPE is ignored by Rust's runtime).
        }
        packets += 1;
    }
    tracing::info!(
        IFNAME = ifname,
        ACTION = "capture-stop",
        packets,
        "capture ended"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_header_encoding() {
        let h = pcap_global_header();
        assert_eq!(u32::from_ne_bytes(h[0..4].try_into().unwrap()), 0xa1b2c3d4);
        assert_eq!(u16::from_ne_bytes(h[4..6].try_into().unwrap()), 2);
        assert_eq!(u16::from_ne_bytes(h[6..8].try_into().unwrap()), 4);
        assert_eq!(&h[8..16], &[0; 8]);
        assert_eq!(u32::from_ne_bytes(h[16..20].try_into().unwrap()), 65535);
        assert_eq!(u32::from_ne_bytes(h[20..24].try_into().unwrap()), 1);
    }

    #[test]
    fn record_encoding_and_truncation() {
        let ts = std::time::Duration::new(1_700_000_000, 123_456_789);
        let r = pcap_record(ts, &[1, 2, 3], 3);
        assert_eq!(r.len(), 19);
        assert_eq!(
            u32::from_ne_bytes(r[0..4].try_into().unwrap()),
            1_700_000_000
        );
        assert_eq!(u32::from_ne_bytes(r[4..8].try_into().unwrap()), 123_456);
        assert_eq!(u32::from_ne_bytes(r[8..12].try_into().unwrap()), 3);
        assert_eq!(&r[16..], &[1, 2, 3]);
        let big = vec![0u8; 70_000];
        let r = pcap_record(ts, &big, 80_000);
        assert_eq!(u32::from_ne_bytes(r[8..12].try_into().unwrap()), 65535);
        assert_eq!(u32::from_ne_bytes(r[12..16].try_into().unwrap()), 80_000);
        assert_eq!(r.len(), 16 + 65535);
    }
}
