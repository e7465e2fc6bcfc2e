//! Replays the fuzz corpus (fuzz/corpus/responses, hostile and odd server answers found by a
//! 10-minute cargo-fuzz run) through the same entry point as the fuzz target, so that every plain
//! `cargo test` checks that none of them makes a parser panic. A crash found by fuzzing is added to
//! the corpus and so becomes a regression test here.

#[test]
fn every_corpus_input_is_handled_without_panicking() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/responses");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| qflow_auth::fuzzing::interpret_response(&data));
        assert!(outcome.is_ok(), "{} made a parser panic", path.display());
        replayed += 1;
    }
    assert!(replayed > 100, "the corpus has only {replayed} inputs: is {} intact?", dir.display());
}
