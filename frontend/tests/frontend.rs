//! Integration tests for the frontend crate (reader, printer, expander, resolver).
#![allow(clippy::result_large_err)]

#[path = "frontend/common.rs"]
mod common;
#[path = "frontend/reader.rs"]
mod reader;
#[path = "frontend/print.rs"]
mod print;
#[path = "frontend/expand.rs"]
mod expand;
#[path = "frontend/resolve.rs"]
mod resolve;
#[path = "frontend/props.rs"]
mod props;
#[path = "frontend/load.rs"]
mod load;
