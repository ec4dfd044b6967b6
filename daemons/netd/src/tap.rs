//! Persistent TAP devices through the TUN ioctls. rtnetlink cannot create a TAP (the kernel
//! refuses), so this is the one place netd uses ioctls for links.
//!
//! The ioctl arguments are passed exactly as the kernel reads them: `TUNSETIFF` takes a pointer
//! to `struct ifreq`; `TUNSETOWNER` and `TUNSETPERSIST` take their value *by value* in the
//! argument register (some crates pass a pointer there, which sets the owner to an address).

use std::fs::OpenOptions;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;

use crate::error::{NetdError, Result};
use crate::validate::IfName;

const TUNSETIFF: libc::c_ulong = 0x4004_54ca; // _IOW('T', 202, int)
const TUNSETPERSIST: libc::c_ulong = 0x4004_54cb; // _IOW('T', 203, int)
const TUNSETOWNER: libc::c_ulong = 0x4004_54cc; // _IOW('T', 204, int)
const IFF_TAP: libc::c_short = 0x0002;
const IFF_NO_PI: libc::c_short = 0x1000;
/// Fail with EBUSY if the device exists, instead of attaching to it.
const IFF_TUN_EXCL: libc::c_short = -0x8000; // 0x8000 as c_short

/// `struct ifreq` as TUNSETIFF reads it: name then flags in a 24-byte union.
#[repr(C)]
struct IfReq {
    name: [u8; libc::IFNAMSIZ],
    flags: libc::c_short,
    _pad: [u8; 22],
}

/// Path of the TUN clone device.
pub const TUN_PATH: &str = "/dev/net/tun";

/// Creates a persistent TAP `name` owned by `owner_uid` in the calling thread's network
/// namespace. Fails with AlreadyExists if any device of that name exists.
pub fn create_persistent_tap(name: &IfName, owner_uid: u32) -> Result<()> {
    let tun = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(TUN_PATH)
        .map_err(|e| NetdError::Failed(format!("open {TUN_PATH}: {e}")))?;
    let fd = tun.as_raw_fd();
    let mut req = IfReq {
        name: [0; libc::IFNAMSIZ],
        flags: IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL,
        _pad: [0; 22],
    };
    // IfName guarantees at most 15 ASCII bytes, so the NUL terminator fits.
    req.name[..name.as_str().len()].copy_from_slice(name.as_str().as_bytes());
    // SAFETY: fd is an open /dev/net/tun; req is a properly sized, initialized ifreq.
    let rc = unsafe { libc::ioctl(fd, TUNSETIFF, &mut req as *mut IfReq) };
    if rc < 0 {
        return Err(errno_error("TUNSETIFF", name));
    }
    // SAFETY: TUNSETOWNER reads its argument as a value (uid_t), not a pointer.
    let rc = unsafe { libc::ioctl(fd, TUNSETOWNER, libc::c_ulong::from(owner_uid)) };
    if rc < 0 {
        return Err(errno_error("TUNSETOWNER", name));
    }
    // SAFETY: TUNSETPERSIST reads its argument as a value (0/1).
    let rc = unsafe { libc::ioctl(fd, TUNSETPERSIST, 1 as libc::c_ulong) };
    if rc < 0 {
        return Err(errno_error("TUNSETPERSIST", name));
    }
    // Closing the fd leaves the persistent device behind.
    Ok(())
}

fn errno_error(what: &str, name: &IfName) -> NetdError {
    let errno = std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO);
    NetdError::from_errno(errno, &format!("{what} {name}"))
}
