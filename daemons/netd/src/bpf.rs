//! The random-loss eBPF program of the netem fallback, hand-assembled, and its loading with
//! `bpf(BPF_PROG_LOAD)`. Kernels without `sch_netem` still have `cls_bpf` in direct-action
//! mode: a program on the clsact egress hook that drops a packet (TC_ACT_SHOT) when a random
//! u32 falls below a threshold gives netem's random loss.
//!
//! No libbpf and no ELF: the program is eight instructions, built here and unit-tested for
//! encoding; the kernel's verifier checks it on load.

use std::os::fd::{FromRawFd, OwnedFd};

/// Why a program could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum BpfError {
    /// The kernel refused the program or the syscall.
    #[error("bpf(BPF_PROG_LOAD) failed: {source}{}", log_suffix(.log))]
    Load {
        /// errno.
        source: std::io::Error,
        /// The verifier's log, if it gave one.
        log: String,
    },
}

fn log_suffix(log: &str) -> String {
    let log = log.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    if log.is_empty() {
        String::new()
    } else {
        format!(" (verifier: {log})")
    }
}

impl BpfError {
    /// The errno of the failure.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Self::Load { source, .. } => source.raw_os_error(),
        }
    }
}

/// `struct bpf_insn`: opcode, dst (low nibble) and src (high nibble) registers, offset, imm.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    code: u8,
    regs: u8,
    off: i16,
    imm: i32,
}

// Opcode pieces from linux/bpf_common.h and linux/bpf.h.
const BPF_LD: u8 = 0x00;
const BPF_JMP: u8 = 0x05;
const BPF_ALU64: u8 = 0x07;
const BPF_DW: u8 = 0x18;
const BPF_IMM: u8 = 0x00;
const BPF_K: u8 = 0x00;
const BPF_X: u8 = 0x08;
const BPF_MOV: u8 = 0xb0;
const BPF_JLT: u8 = 0xa0;
const BPF_CALL: u8 = 0x80;
const BPF_EXIT: u8 = 0x90;

/// Helper id of `bpf_get_prandom_u32`.
const FN_GET_PRANDOM_U32: i32 = 7;
/// tc verdicts in direct-action mode.
const TC_ACT_OK: i32 = 0;
const TC_ACT_SHOT: i32 = 2;

const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_TYPE_SCHED_CLS: u32 = 3;

impl Insn {
    const fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Self {
        Self {
            code,
            // `u8 dst_reg:4, src_reg:4` bit-fields: dst is the low nibble on little-endian
            // hosts, the high one on big-endian hosts.
            regs: if cfg!(target_endian = "little") {
                (src << 4) | (dst & 0x0f)
            } else {
                (dst << 4) | (src & 0x0f)
            },
            off,
            imm,
        }
    }

    /// The raw 8 bytes as the kernel reads them on this host.
    pub fn to_bytes(self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0] = self.code;
        b[1] = self.regs;
        b[2..4].copy_from_slice(&self.off.to_ne_bytes());
        b[4..8].copy_from_slice(&self.imm.to_ne_bytes());
        b
    }
}

/// The drop threshold for a loss percentage: a packet is dropped when a uniformly random u32
/// is below it, so 0 % → 0 (never) and 100 % → 2^32 (always; needs 64 bits).
pub fn loss_threshold(percent: f64) -> u64 {
    const SPAN: f64 = 4_294_967_296.0; // 2^32
    let t = (percent / 100.0 * SPAN).round();
    // Validated to 0..=100 %, so this stays in range; clamp anyway.
    t.clamp(0.0, SPAN) as u64
}

/// The loss program for `threshold` (see [`loss_threshold`]):
///
/// ```text
/// r0 = bpf_get_prandom_u32()
/// r1 = threshold            ; ld_imm64: 2^32 does not fit an imm32
/// if r0 < r1 goto drop      ; unsigned 64-bit compare (r0 is zero-extended)
/// r0 = TC_ACT_OK
/// exit
/// drop: r0 = TC_ACT_SHOT
/// exit
/// ```
pub fn loss_program(threshold: u64) -> [Insn; 8] {
    let lo = (threshold & 0xffff_ffff) as u32 as i32;
    let hi = (threshold >> 32) as u32 as i32;
    [
        Insn::new(BPF_JMP | BPF_CALL, 0, 0, 0, FN_GET_PRANDOM_U32),
        Insn::new(BPF_LD | BPF_DW | BPF_IMM, 1, 0, 0, lo),
        Insn::new(0, 0, 0, 0, hi),
        Insn::new(BPF_JMP | BPF_JLT | BPF_X, 0, 1, 2, 0),
        Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, TC_ACT_OK),
        Insn::new(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
        Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, TC_ACT_SHOT),
        Insn::new(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    ]
}

/// The leading fields of `union bpf_attr` for BPF_PROG_LOAD (the kernel accepts a shorter
/// attr and treats the rest as zero).
#[repr(C)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
    prog_ifindex: u32,
    expected_attach_type: u32,
}

/// Loads a `BPF_PROG_TYPE_SCHED_CLS` program and returns its fd. On failure, loads once more
/// with the verifier log on, so the error says why.
pub fn load_sched_cls(insns: &[Insn], name: &str) -> Result<OwnedFd, BpfError> {
    match prog_load(insns, name, None) {
        Ok(fd) => Ok(fd),
        Err(first) => {
            let mut log = vec![0u8; 16 * 1024];
            match prog_load(insns, name, Some(&mut log)) {
                Ok(fd) => Ok(fd),
                Err(source) => {
                    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
                    Err(BpfError::Load {
                        source: if source.raw_os_error().is_some() {
                            source
                        } else {
                            first
                        },
                        log: String::from_utf8_lossy(&log[..end]).into_owned(),
                    })
                }
            }
        }
    }
}

fn prog_load(insns: &[Insn], name: &str, log: Option<&mut [u8]>) -> std::io::Result<OwnedFd> {
    const LICENSE: &[u8] = b"GPL\0";
    let mut prog_name = [0u8; 16];
    // The kernel wants at most 15 bytes of [A-Za-z0-9_.] plus NUL.
    for (d, s) in prog_name[..15].iter_mut().zip(name.bytes()) {
        *d = if s.is_ascii_alphanumeric() || s == b'_' || s == b'.' {
            s
        } else {
            b'_'
        };
    }
    let (log_level, log_size, log_buf) = match log {
        Some(buf) => (1, buf.len() as u32, buf.as_mut_ptr() as u64),
        None => (0, 0, 0),
    };
    let attr = ProgLoadAttr {
        prog_type: BPF_PROG_TYPE_SCHED_CLS,
        insn_cnt: insns.len() as u32,
        insns: insns.as_ptr() as u64,
        license: LICENSE.as_ptr() as u64,
        log_level,
        log_size,
        log_buf,
        kern_version: 0,
        prog_flags: 0,
        prog_name,
        prog_ifindex: 0,
        expected_attach_type: 0,
    };
    // SAFETY: `attr` is a fully initialised #[repr(C)] prefix of `union bpf_attr` and its size
    // is passed along; the pointers in it (instructions, NUL-terminated license, optional log
    // buffer with its length) stay valid for the duration of the call, which only reads the
    // first two and writes at most `log_size` bytes into the last.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_LOAD,
            &attr as *const ProgLoadAttr,
            std::mem::size_of::<ProgLoadAttr>(),
        )
    };
    if ret < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let fd = i32::try_from(ret).map_err(|_| std::io::Error::other("bpf returned a bad fd"))?;
    // SAFETY: a successful BPF_PROG_LOAD returns a new file descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        assert_eq!(loss_threshold(0.0), 0);
        assert_eq!(loss_threshold(100.0), 1 << 32);
        assert_eq!(loss_threshold(50.0), 1 << 31);
        assert_eq!(loss_threshold(25.0), 1 << 30);
    }

    #[test]
    fn attr_layout_matches_the_kernel() {
        // offsetof(prog_name) = 48, offsetof(expected_attach_type) = 68 in union bpf_attr.
        assert_eq!(std::mem::size_of::<ProgLoadAttr>(), 72);
        assert_eq!(std::mem::size_of::<Insn>(), 8);
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn program_encoding() {
        let p = loss_program(1 << 32);
        let b: Vec<[u8; 8]> = p.iter().map(|i| i.to_bytes()).collect();
        assert_eq!(b[0], [0x85, 0, 0, 0, 7, 0, 0, 0]); // call 7
        assert_eq!(b[1][..2], [0x18, 0x01]); // ld_imm64 r1
        assert_eq!(i32::from_ne_bytes(b[1][4..].try_into().unwrap()), 0);
        assert_eq!(i32::from_ne_bytes(b[2][4..].try_into().unwrap()), 1);
        assert_eq!(b[3][..2], [0xad, 0x10]); // jlt r0, r1 (src r1 in the high nibble)
        assert_eq!(i16::from_ne_bytes([b[3][2], b[3][3]]), 2);
        assert_eq!(b[4], [0xb7, 0, 0, 0, 0, 0, 0, 0]); // r0 = 0
        assert_eq!(b[5][0], 0x95); // exit
        assert_eq!(b[6], [0xb7, 0, 0, 0, 2, 0, 0, 0]); // r0 = 2
        assert_eq!(b[7][0], 0x95);
        let p = loss_program(0xdead_beef);
        assert_eq!(p[1].imm, 0xdead_beef_u32 as i32);
        assert_eq!(p[2].imm, 0);
    }
}
