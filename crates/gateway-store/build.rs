//! `sqlx::migrate!` embeds the migration files at build time but cannot tell cargo to rebuild
//! when they change (not on stable Rust); this does.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations/sqlite");
    println!("cargo:rerun-if-changed=../../migrations/postgres");
}
