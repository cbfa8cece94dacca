//! Conversions between HTTP and SX values: the request dict a handler
//! receives and the response a handler's result describes.
//!
//! Response rules (also in `docs/serve.md`):
//! - a string → 200, `text/html; charset=utf-8`;
//! - markup (an element) → 200, rendered as `render-html` does;
//! - a dict `{:status n :headers {...} :body b}` (every key optional; status
//!   defaults to 200) where `b` is a string, markup (rendered), nil (empty),
//!   or a list/dict (JSON-encoded as `json-encode` does, `application/json`);
//!   the content type defaults to `text/html; charset=utf-8` for text and
//!   markup unless the headers give one;
//! - anything else is a handler error (500).

use super::{Request, Response};
use vm::Value;

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

/// The request dict `{:method :path :query :headers :body}` handed to the
/// handler (`:query` and `:headers` are dicts with string keys).
pub(crate) fn request_value(req: &Request) -> Value {
    let pairs = |kv: &[(String, String)]| {
        Value::dict(kv.iter().map(|(k, v)| (vm::value::Text::new(k), Value::str(v))).collect())
    };
    Value::dict_from([
        ("method", Value::str(&req.method)),
        ("path", Value::str(&req.path)),
        ("query", pairs(&req.query)),
        ("headers", pairs(&req.headers)),
        ("body", Value::str(&req.body)),
    ])
}

/// Converts a handler's result to a response; `Err` is a message describing
/// why the result is not a valid response (reported as a handler error).
pub(crate) fn response(v: &Value) -> Result<Response, String> {
    match v {
        Value::Str(_) | Value::Element(_) => {
            let body = body_bytes(v)?;
            Ok(Response { status: 200, headers: vec![("content-type".into(), body.1.into())], body: body.0 })
        }
        Value::Dict(d) => {
            let status = match d.get("status") {
                None | Some(Value::Nil) => 200,
                Some(Value::Int(n)) if (100..=599).contains(&n) => n as u16,
                Some(other) => return Err(format!("response :status must be an integer 100-599, got {}", vm::print::repr(&other))),
            };
            let mut headers = Vec::new();
            match d.get("headers") {
                None | Some(Value::Nil) => {}
                Some(Value::Dict(h)) => {
                    for (k, val) in h.entries() {
                        let value = vm::print::display(&val);
                        if !valid_header(&k, &value) {
                            return Err(format!("invalid response header {:?}: {:?}", k, value));
                        }
                        headers.push((k.to_ascii_lowercase(), value));
                    }
                }
                Some(other) => return Err(format!("response :headers must be a dict, got {}", vm::print::repr(&other))),
            }
            let (body, content_type) = match d.get("body") {
                None | Some(Value::Nil) => (Vec::new(), None),
                Some(b) => {
                    let (bytes, ct) = body_bytes(&b)?;
                    (bytes, Some(ct))
                }
            };
            if let Some(ct) = content_type {
                if !headers.iter().any(|(k, _)| k == "content-type") {
                    headers.push(("content-type".into(), ct.into()));
                }
            }
            Ok(Response { status, headers, body })
        }
        other => Err(format!(
            "a handler must return a string, markup or a response dict, got {}",
            truncate(&vm::print::repr(other))
        )),
    }
}

/// A body value's bytes and default content type.
fn body_bytes(v: &Value) -> Result<(Vec<u8>, &'static str), String> {
    match v {
        Value::Str(s) => Ok((s.as_str().as_bytes().to_vec(), HTML)),
        Value::Element(_) => Ok((vm::html::render(v).into_bytes(), HTML)),
        Value::List(_) | Value::Dict(_) => match vm::json::encode(v) {
            Ok(text) => Ok((text.into_bytes(), JSON)),
            Err(e) => Err(vm::error::error_message(&e)),
        },
        other => Err(format!(
            "a response :body must be a string, markup, nil, a list or a dict, got {}",
            truncate(&vm::print::repr(other))
        )),
    }
}

fn valid_header(name: &str, value: &str) -> bool {
    hyper::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
        && hyper::header::HeaderValue::from_str(value).is_ok()
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 200 {
        let head: String = s.chars().take(200).collect();
        format!("{head}...")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_dict_shape() {
        let req = Request {
            method: "GET".into(),
            path: "/p/x".into(),
            query: vec![("q".into(), "v".into())],
            headers: vec![("host".into(), "h".into())],
            body: String::new(),
        };
        let v = request_value(&req);
        assert_eq!(vm::print::repr(&v), r#"{:method "GET" :path "/p/x" :query {:q "v"} :headers {:host "h"} :body ""}"#);
    }

    #[test]
    fn string_and_dict_responses() {
        let r = response(&Value::str("hi")).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"hi"[..]));
        assert_eq!(r.headers, vec![("content-type".to_string(), HTML.to_string())]);
        let d = Value::dict_from([
            ("status", Value::Int(404)),
            ("headers", Value::dict_from([("X-A", Value::Int(1))])),
            ("body", Value::str("nope")),
        ]);
        let r = response(&d).unwrap();
        assert_eq!(r.status, 404);
        assert_eq!(r.headers[0], ("x-a".to_string(), "1".to_string()));
        assert_eq!(r.body, b"nope");
        assert!(response(&Value::Int(3)).is_err());
        let bad = Value::dict_from([("status", Value::Int(42))]);
        assert!(response(&bad).is_err());
    }

    #[test]
    fn json_body() {
        let d = Value::dict_from([("body", Value::list(vec![Value::Int(1), Value::str("a")]))]);
        let r = response(&d).unwrap();
        assert_eq!(String::from_utf8(r.body).unwrap(), r#"[1,"a"]"#);
        assert_eq!(r.headers, vec![("content-type".to_string(), JSON.to_string())]);
    }
}
