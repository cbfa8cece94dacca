//! The request-to-handler conversion on arbitrary input: method, target,
//! headers and body as an HTTP front end may hand them over, converted as
//! `sxc serve` converts them (a `Request` or a 4xx response), then to the
//! SX request dict the handler gets. Never panics; a rejection is a 4xx.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Layout: method \n target \n (name: value \n)* \n body
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let (Some(method), Some(target), rest) = (parts.next(), parts.next(), parts.next()) else { return };
    let (head, body) = match rest.and_then(|r| r.windows(2).position(|w| w == b"\n\n").map(|i| (&r[..i], &r[i + 2..]))) {
        Some(x) => x,
        None => (rest.unwrap_or(b""), &b""[..]),
    };
    let headers: Vec<(&[u8], &[u8])> = head
        .split(|&b| b == b'\n')
        .filter_map(|l| l.iter().position(|&b| b == b':').map(|i| (&l[..i], &l[i + 1..])))
        .collect();
    let Ok(method) = std::str::from_utf8(method) else { return };
    match host::serve::request_from_http(method, target, &headers, body.to_vec()) {
        Ok(req) => {
            let v = host::serve::request_value(&req);
            let _ = vm::print::repr(&v);
        }
        Err(resp) => assert!((400..500).contains(&resp.status), "{}", resp.status),
    }
});
