//! Hostile server answers through every parsing path: token responses, error bodies, Bearer challenges,
//! discovery documents, cached token files, and the C views of tokens.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    qflow_auth::fuzzing::interpret_response(data);
});
