//! The D-Bus adaptor (filled in below).
