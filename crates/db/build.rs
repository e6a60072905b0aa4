//! `sqlx::migrate!` embeds the migration folders at compile time; a new file there must
//! rebuild this crate (cargo scans a watched folder's files recursively).
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
