//! Records the target triple for `seam-edge --version`.

fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=SEAM_EDGE_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
