//! Code tasks end to end: the sandbox's guarantees on real processes (`sandbox`), hostile
//! answers through the engine and the evaluator (`hostile`), answers applied through the
//! patch fallback chain with artifacts and pass@k (`engine`), catalogs and HumanEval import
//! (`catalog`), and task dependencies (`deps`).

mod catalog;
mod deps;
mod engine;
mod hostile;
mod sandbox;
mod support;
