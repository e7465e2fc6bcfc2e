//! The checked-in headers must be what the current sources generate, and the version macros must match
//! Cargo.toml. To refresh the headers: QFLOW_WRITE_HEADERS=1 cargo build

use std::path::Path;

/// Where each generated header is checked in: the C header for C and C++, the PHP-ready variant in the
/// PHP package, which loads it with FFI::cdef.
const CHECKED_IN: [(&str, &str); 2] =
    [("qflow_auth.h", "include"), ("qflow_auth_ffi.h", "bindings/php/resources")];

fn checked_in(name: &str) -> String {
    let (_, folder) = CHECKED_IN.iter().find(|(n, _)| *n == name).expect("a known header");
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(folder).join(name)).unwrap()
}

fn generated(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("OUT_DIR")).join(name)).unwrap()
}

#[test]
fn checked_in_headers_are_current() {
    for (name, folder) in CHECKED_IN {
        assert!(
            checked_in(name) == generated(name),
            "{folder}/{name} is stale: regenerate it with `QFLOW_WRITE_HEADERS=1 cargo build` and commit it"
        );
    }
}

#[test]
fn version_macros_match_cargo_toml() {
    let header = checked_in("qflow_auth.h");
    let define = |name: &str| {
        let prefix = format!("#define {name} ");
        header.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no {name}")).trim().to_string()
    };
    let (major, minor, patch) = (
        env!("CARGO_PKG_VERSION_MAJOR").parse::<u32>().unwrap(),
        env!("CARGO_PKG_VERSION_MINOR").parse::<u32>().unwrap(),
        env!("CARGO_PKG_VERSION_PATCH").parse::<u32>().unwrap(),
    );
    assert_eq!(define("QFLOW_AUTH_VERSION"), format!("\"{}\"", env!("CARGO_PKG_VERSION")));
    assert_eq!(define("QFLOW_AUTH_VERSION_MAJOR"), major.to_string());
    assert_eq!(define("QFLOW_AUTH_VERSION_MINOR"), minor.to_string());
    assert_eq!(define("QFLOW_AUTH_VERSION_PATCH"), patch.to_string());
    assert_eq!(define("QFLOW_AUTH_VERSION_NUMBER"), (major * 10000 + minor * 100 + patch).to_string());
}

#[test]
fn ffi_header_has_no_preprocessor_lines_and_every_function() {
    let ffi = generated("qflow_auth_ffi.h");
    assert!(ffi.lines().all(|l| !l.trim_start().starts_with('#')), "PHP's FFI::cdef cannot parse # lines");
    // A declaration line: not a comment, and the word right before its first '(' is qflow_<name>.
    let functions = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !["//", "/*", "*"].iter().any(|c| l.trim_start().starts_with(c)))
            .filter_map(|l| l.split_once('('))
            .filter_map(|(before, _)| before.rsplit([' ', '*']).next())
            .filter(|name| name.starts_with("qflow_"))
            .map(str::to_string)
            .collect()
    };
    let all = functions(&checked_in("qflow_auth.h"));
    assert!(all.len() > 30, "found only {all:?}");
    assert_eq!(functions(&ffi), all);
}
