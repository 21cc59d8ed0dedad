# Shortcuts for people; CI runs .ci/run, which uses the same commands.
.PHONY: help fmt lint test ci bench quickstart docs py

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

fmt: ## format every crate
	cargo fmt --all

lint: ## clippy on every target, warnings are errors
	cargo clippy --workspace --all-targets --all-features -- -D warnings

test: ## every test (the README's test command)
	python3 -m pip install -q "mcp>=1.9" && cargo test --workspace --all-features

ci: ## what CI runs
	bash .ci/run

bench: ## the engine benchmark table (docs/performance.md)
	cargo run --release -p benchcore-tests --bin bench-engine

quickstart: ## the README's first command
	cargo run --release -p benchcore-cli -- run examples/questions/arithmetic.jsonl --agent gold --agent null --eval numeric

docs: ## rustdoc for the workspace
	cargo doc --workspace --no-deps --all-features

py: ## build the Python package into the active virtual environment and run its tests
	maturin develop --release -m benchcore-py/Cargo.toml && cd benchcore-py && python -m pytest
