//! `ops-center`: parse the command line, run it.

use std::process::ExitCode;

/// jemalloc, not glibc's malloc: under gateway load glibc's allocator took about a fifth of
/// the process's CPU (arena locks, `malloc_consolidate`); with jemalloc the same load cost
/// 28 µs of CPU per request instead of 36–40, for a few MiB more resident memory
/// (bench/gateway/README.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    ops_center::cli::main()
}
