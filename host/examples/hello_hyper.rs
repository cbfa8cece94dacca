//! A minimal hyper 1 + tokio hello-world HTTP/1.1 server: the baseline peer for
//! bench/http.sh (what the machine does with no application behind the socket).
//!
//! ```text
//! cargo run --release -p host --example hello_hyper -- --addr 127.0.0.1:8081
//! ```
//!
//! Prints `hello_hyper: listening on http://ADDR` to stderr once bound
//! (`--addr 127.0.0.1:0` picks a free port). Answers every request with
//! `200 text/plain "Hello, world!\n"`, keep-alive, one tokio task per connection.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::builder()
        .header("content-type", "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from_static(b"Hello, world!\n")))
        .unwrap())
}

fn parse_args() -> SocketAddr {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:8081".to_string();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().unwrap_or_else(|| usage("--addr needs HOST:PORT")),
            a if a.starts_with("--addr=") => addr = a["--addr=".len()..].to_string(),
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other:?}")),
        }
    }
    addr.parse().unwrap_or_else(|_| usage(&format!("bad address {addr:?}")))
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("hello_hyper: {problem}");
    }
    eprintln!("usage: hello_hyper [--addr HOST:PORT]");
    std::process::exit(if problem.is_empty() { 0 } else { 2 });
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = parse_args();
    let listener = TcpListener::bind(addr).await?;
    eprintln!("hello_hyper: listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // e.g. out of file descriptors: back off instead of spinning.
                eprintln!("hello_hyper: accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(hello))
                .await;
        });
    }
}
