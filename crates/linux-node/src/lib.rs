//! Namespace (`linux` kind) nodes. Work in progress.
