# The two front-door commands (see README.md):
#   make demo  - set up and serve the blog example on http://127.0.0.1:8080 (data in ./data)
#   make test  - set up and pass every test
.PHONY: setup build demo test bench bench-http

setup:
	bash scripts/setup.sh

build: setup
	cargo build --release -p host

demo: build
	./target/release/sxc run examples/demo.sx
	./target/release/sxc serve examples/blog --addr 127.0.0.1:8080 --data ./data

test: setup
	cargo test --workspace

bench: setup
	bash bench/run.sh

bench-http: setup
	bash bench/http.sh
