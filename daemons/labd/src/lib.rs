//! nova-ve-labd: the lab engine.
