//! host's single integration-test binary: conformance corpus, command-line
//! behaviour of the real `sxc` binary, and (with the server) end-to-end tests.

mod cli;
mod conformance;
mod e2e;
mod limits;
mod e2e_files;
mod browser;
mod tier_props;
mod jit_diff;
mod tiers_http;
mod serve_jit_eager;
mod soak;
mod procs;
mod bundles;
mod resume;
