//! Generates the C headers from the Rust sources with cbindgen, into OUT_DIR on every build. The
//! checked-in copies (include/qflow_auth.h, and the PHP package's bindings/php/resources/qflow_auth_ffi.h)
//! are written only on request, so that a test can tell when they are stale:
//!
//!     QFLOW_WRITE_HEADERS=1 cargo build

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=QFLOW_WRITE_HEADERS");

    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");

    let unchanged: fn(&str) -> String = str::to_string;
    // (checked-in folder, file name, configuration, post-processing)
    let headers = [
        ("include", "qflow_auth.h", c_header(config.clone()), unchanged),
        ("bindings/php/resources", "qflow_auth_ffi.h", ffi_header(config), strip_preprocessor as fn(&str) -> String),
    ];
    let write_checked_in = std::env::var("QFLOW_WRITE_HEADERS").is_ok_and(|v| v == "1");
    for (folder, name, config, post_process) in headers {
        let generated = out_dir.join(name);
        generate(&crate_dir, config, &generated);
        let text = std::fs::read_to_string(&generated).unwrap();
        std::fs::write(&generated, post_process(&text)).unwrap();
        if write_checked_in {
            std::fs::copy(&generated, crate_dir.join(folder).join(name)).expect("write the checked-in header");
        }
    }
}

/// The C/C++ header, with version macros so that code can check it against `qflow_version()`.
fn c_header(mut config: cbindgen::Config) -> cbindgen::Config {
    let part = |name: &str| std::env::var(name).unwrap().parse::<u32>().unwrap();
    let (major, minor, patch) =
        (part("CARGO_PKG_VERSION_MAJOR"), part("CARGO_PKG_VERSION_MINOR"), part("CARGO_PKG_VERSION_PATCH"));
    config.after_includes = Some(format!(
        "\n#define QFLOW_AUTH_VERSION \"{}\"\n\
         #define QFLOW_AUTH_VERSION_MAJOR {major}\n\
         #define QFLOW_AUTH_VERSION_MINOR {minor}\n\
         #define QFLOW_AUTH_VERSION_PATCH {patch}\n\
         /* major * 10000 + minor * 100 + patch, for #if comparisons */\n\
         #define QFLOW_AUTH_VERSION_NUMBER {}\n",
        std::env::var("CARGO_PKG_VERSION").unwrap(),
        major * 10000 + minor * 100 + patch
    ));
    config
}

/// The same declarations without comments, for loaders that parse C themselves and have no
/// preprocessor (PHP's FFI::cdef, which the PHP package feeds it to); see [`strip_preprocessor`] for
/// the rest.
fn ffi_header(mut config: cbindgen::Config) -> cbindgen::Config {
    config.header = None;
    config.autogen_warning = None;
    config.include_guard = None;
    config.cpp_compat = false;
    config.sys_includes = Vec::new();
    config.no_includes = true;
    config.documentation = false;
    config
}

fn generate(crate_dir: &Path, config: cbindgen::Config, target: &Path) {
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header")
        .write_to_file(target);
}

/// Resolves the conditionals cbindgen still emits (C23 enum underlying types) the way a C99 compiler
/// without C++ would, and drops every preprocessor line: `#ifndef X` is taken, `#ifdef X` and `#if ...`
/// are not, since nothing is defined for such loaders.
fn strip_preprocessor(header: &str) -> String {
    let mut taken: Vec<bool> = Vec::new();
    let mut out = String::new();
    for line in header.lines() {
        let directive = line.trim_start();
        if let Some(rest) = directive.strip_prefix('#') {
            let keyword = rest.split_whitespace().next().unwrap_or("");
            match keyword {
                "ifndef" => taken.push(true),
                "ifdef" | "if" => taken.push(false),
                "else" => {
                    let last = taken.last_mut().expect("#else without #if");
                    *last = !*last;
                }
                "endif" => {
                    taken.pop().expect("#endif without #if");
                }
                "define" | "include" | "pragma" => {}
                other => panic!("unexpected preprocessor directive #{other} in the generated header"),
            }
            continue;
        }
        if taken.iter().all(|&t| t) && !line.trim().is_empty() {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(taken.is_empty(), "unbalanced #if in the generated header");
    out
}
