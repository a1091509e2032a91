//! Checks `Cross.toml`, which only `cross` (with Docker) reads, so that a typo there is
//! caught on machines without Docker too.

use std::path::Path;

/// The targets the crate is built and tested for, with and without Docker.
const TARGETS: [&str; 3] = [
    "aarch64-unknown-linux-gnu",
    "armv7-unknown-linux-gnueabihf",
    "aarch64-unknown-linux-musl",
];

fn cross_config() -> toml::Table {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cross.toml");
    let text = std::fs::read_to_string(&path).expect("Cross.toml is readable");
    text.parse::<toml::Table>()
        .expect("Cross.toml is valid TOML")
}

fn target_table<'a>(config: &'a toml::Table, target: &str) -> &'a toml::Table {
    config
        .get("target")
        .and_then(toml::Value::as_table)
        .and_then(|targets| targets.get(target))
        .and_then(toml::Value::as_table)
        .unwrap_or_else(|| panic!("Cross.toml has no [target.{target}] table"))
}

#[test]
fn cross_toml_lists_exactly_the_targets() {
    let config = cross_config();
    let targets = config["target"].as_table().expect("[target] is a table");
    let mut names: Vec<&str> = targets.keys().map(String::as_str).collect();
    names.sort_unstable();
    let mut expected = TARGETS.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected);
}

#[test]
fn cross_images_are_pinned_and_match_their_target() {
    let config = cross_config();
    for target in TARGETS {
        let image = target_table(&config, target)["image"]
            .as_str()
            .unwrap_or_else(|| panic!("[target.{target}] image is not a string"));
        let (name, tag) = image
            .rsplit_once(':')
            .unwrap_or_else(|| panic!("image {image:?} of {target} has no tag"));
        assert_eq!(
            name,
            format!("ghcr.io/cross-rs/{target}"),
            "image of {target}"
        );
        assert!(
            tag.chars().all(|c| c.is_ascii_digit() || c == '.'),
            "image {image:?} of {target} must name a release such as 0.2.5, not {tag:?}"
        );
    }
}

#[test]
fn cross_runs_skip_the_node_interop_tests() {
    let config = cross_config();
    for target in TARGETS {
        let passthrough = target_table(&config, target)
            .get("env")
            .and_then(|env| env.get("passthrough"))
            .and_then(toml::Value::as_array)
            .unwrap_or_else(|| panic!("[target.{target}.env] has no passthrough list"));
        let skips = passthrough
            .iter()
            .any(|entry| entry.as_str() == Some("SEAM_EDGE_SKIP_NODE_TESTS=1"));
        assert!(
            skips,
            "{target}: the images have no Node.js, so set SEAM_EDGE_SKIP_NODE_TESTS=1"
        );
    }
}
