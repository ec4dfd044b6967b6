//! novactl: the nova-ve command-line client (work in progress).
fn main() {}
