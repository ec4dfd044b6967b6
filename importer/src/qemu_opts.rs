//! EVE-NG `qemu_options` strings mapped onto typed settings and an allow-list.
//!
//! nova-ve never passes QEMU arguments through verbatim (REFERENCE §10.1: free-form
//! options were a code-execution hole). Each flag is either mapped to a typed
//! setting, recognised as something nova-ve's runtime decides itself (serial
//! console, display, defaults, accelerator), or reported for review and dropped.

/// NIC models nova-ve accepts (REFERENCE §4.3 plus EVE-NG's `e1000-82545em`, which is
/// QEMU's `e1000` device).
pub const NIC_MODELS: &[&str] = &[
    "virtio-net-pci",
    "e1000",
    "e1000e",
    "rtl8139",
    "vmxnet3",
    "pcnet",
    "i82559er",
];

/// QEMU architectures nova-ve accepts.
pub const ARCHES: &[&str] = &["x86_64", "i386", "aarch64"];

/// VGA models accepted for `-vga`.
pub const VGA_MODELS: &[&str] = &["std", "cirrus", "vmware", "qxl", "virtio", "none"];

/// What was understood from a `qemu_options` string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QemuFlags {
    /// `pc` or `q35` (from `-machine type=…` / `-M …`)
    pub machine: Option<String>,
    /// `-cpu` model (`host`, `qemu64`, `Nehalem`, … without feature flags)
    pub cpu_model: Option<String>,
    /// CPU feature flags after the model (`+vmx,-x2apic`) — kept as a typed list
    pub cpu_features: Vec<String>,
    /// `-vga` model
    pub vga: Option<String>,
    /// `-rtc base=utc` (true) / `localtime` (false)
    pub rtc_utc: Option<bool>,
    /// `-usbdevice tablet` / `-device usb-tablet`
    pub usb_tablet: bool,
    /// `-boot order=…` / `-boot c|d|cd|dc`
    pub boot_order: Option<String>,
    /// `-smp` given in the options (count only; nova-ve's cpu field wins)
    pub smp: Option<u32>,
    /// flags nova-ve's runtime decides itself (listed for the record)
    pub managed: Vec<String>,
    /// flags not carried over; the operator should review them
    pub dropped: Vec<String>,
}

/// Flags nova-ve's runtime sets itself; dropping them loses nothing.
const MANAGED: &[&str] = &[
    "-serial",
    "-nographic",
    "-nodefaults",
    "-no-user-config",
    "-nodefconfig",
    "-display",
    "-monitor",
    "-enable-kvm",
    "-no-kvm",
    "-accel",
    "-realtime",
    "-daemonize",
];

/// Flags that take no argument.
const NO_ARG: &[&str] = &[
    "-nographic",
    "-nodefaults",
    "-no-user-config",
    "-nodefconfig",
    "-enable-kvm",
    "-no-kvm",
    "-daemonize",
    "-no-hpet",
    "-no-acpi",
    "-no-reboot",
];

/// Maps a machine value (`pc`, `pc-i440fx-2.12`, `q35`, `pc-q35-6.2`, `type=pc,accel=kvm`).
fn machine_of(value: &str) -> Option<String> {
    let ty = value
        .split(',')
        .find_map(|p| p.strip_prefix("type="))
        .or_else(|| value.split(',').next().filter(|p| !p.contains('=')))?;
    if ty == "q35" || ty.starts_with("pc-q35") {
        Some("q35".into())
    } else if ty == "pc" || ty.starts_with("pc-i440fx") || ty.starts_with("pc-") {
        Some("pc".into())
    } else {
        None
    }
}

/// Parses an EVE-NG `qemu_options` string.
pub fn parse(options: &str) -> QemuFlags {
    let mut f = QemuFlags::default();
    let tokens: Vec<&str> = options.split_whitespace().collect();
    let mut i = 0;
    while i < tokens.len() {
        let flag = tokens[i];
        let takes_arg = flag.starts_with('-') && !NO_ARG.contains(&flag);
        let arg = if takes_arg {
            tokens.get(i + 1).copied()
        } else {
            None
        };
        i += if arg.is_some() { 2 } else { 1 };
        let shown = arg.map_or_else(|| flag.to_owned(), |a| format!("{flag} {a}"));
        if !flag.starts_with('-') {
            f.dropped.push(shown);
            continue;
        }
        if !apply(&mut f, flag, arg) {
            if MANAGED.contains(&flag) {
                f.managed.push(shown);
            } else {
                f.dropped.push(shown);
            }
        }
    }
    f
}

/// Applies one mapped flag; false when the flag is not mapped.
fn apply(f: &mut QemuFlags, flag: &str, arg: Option<&str>) -> bool {
    let Some(arg) = arg else { return false };
    match flag {
        "-machine" | "-M" => match machine_of(arg) {
            Some(m) => {
                if arg.starts_with("pc-1.") || arg.contains("type=pc-1.") {
                    // Ancient machine versions are gone from modern QEMU: nova-ve uses `pc`.
                    f.dropped
                        .push(format!("{flag} {arg} (machine version replaced by `{m}`)"));
                }
                f.machine = Some(m);
                true
            }
            None => false,
        },
        "-cpu" => {
            let mut parts = arg.split(',');
            let model = parts.next().unwrap_or_default();
            let valid = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.+=".contains(c))
            };
            if !valid(model) || !parts.clone().all(valid) {
                return false;
            }
            f.cpu_model = Some(model.to_owned());
            f.cpu_features = parts.map(str::to_owned).collect();
            true
        }
        "-vga" if VGA_MODELS.contains(&arg) => {
            f.vga = Some(arg.to_owned());
            true
        }
        "-rtc" => match arg.split(',').find_map(|p| p.strip_prefix("base=")) {
            Some("utc") => {
                f.rtc_utc = Some(true);
                true
            }
            Some("localtime") => {
                f.rtc_utc = Some(false);
                true
            }
            _ => false,
        },
        "-usbdevice" if arg == "tablet" => {
            f.usb_tablet = true;
            true
        }
        "-device" if arg == "usb-tablet" => {
            f.usb_tablet = true;
            true
        }
        "-boot" => {
            let order = arg
                .split(',')
                .find_map(|p| p.strip_prefix("order="))
                .unwrap_or(arg);
            if !order.is_empty() && order.len() <= 4 && order.chars().all(|c| "acdn".contains(c)) {
                f.boot_order = Some(order.to_owned());
                true
            } else {
                false
            }
        }
        "-smp" => match arg
            .split(',')
            .next()
            .and_then(|n| n.trim_start_matches("cpus=").parse().ok())
        {
            Some(n) => {
                f.smp = Some(n);
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// Maps EVE-NG's `qemu_nic` to an allowed model; `None` when unknown.
pub fn nic_model(nic: &str) -> Option<&'static str> {
    let nic = nic.trim();
    if nic.starts_with("e1000-") {
        return Some("e1000");
    }
    NIC_MODELS.iter().copied().find(|m| *m == nic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_vios_options() {
        let f = parse(
            "-machine type=pc,accel=kvm -serial mon:stdio -nographic -no-user-config -nodefaults -rtc base=utc -cpu host",
        );
        assert_eq!(f.machine.as_deref(), Some("pc"));
        assert_eq!(f.cpu_model.as_deref(), Some("host"));
        assert_eq!(f.rtc_utc, Some(true));
        assert!(f.dropped.is_empty(), "{:?}", f.dropped);
        assert_eq!(f.managed.len(), 4);
    }

    #[test]
    fn drops_dangerous_and_unknown_flags() {
        let f = parse(
            "-M pc-q35-6.2 -netdev tap,script=/tmp/x -chardev socket,id=c -drive file=/etc/shadow -vga std -usbdevice tablet -boot order=dc -cpu Nehalem,+vmx",
        );
        assert_eq!(f.machine.as_deref(), Some("q35"));
        assert_eq!(f.vga.as_deref(), Some("std"));
        assert!(f.usb_tablet);
        assert_eq!(f.boot_order.as_deref(), Some("dc"));
        assert_eq!(f.cpu_features, vec!["+vmx"]);
        assert_eq!(f.dropped.len(), 3, "{:?}", f.dropped);
        assert!(f.dropped.iter().any(|d| d.contains("script=")));
    }

    #[test]
    fn nic_models() {
        assert_eq!(nic_model("e1000-82545em"), Some("e1000"));
        assert_eq!(nic_model("vmxnet3"), Some("vmxnet3"));
        assert_eq!(nic_model("ne2k_pci; rm -rf /"), None);
    }
}
