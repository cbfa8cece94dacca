# The two front-door commands (see README.md):
#   make demo  - set up and run the example program
#   make test  - set up and pass every test
.PHONY: setup build demo test bench

setup:
	bash scripts/setup.sh

build: setup
	cargo build --release -p host

demo: build
	./target/release/sxc run examples/demo.sx

test: setup
	cargo test --workspace

bench: setup
	bash bench/run.sh
