//! An in-memory [`Resolver`] for tests and tools: the kv ops of LANGUAGE.md,
//! `time/now` and `sleep`. Any other op raises `unknown io op "NAME"`.

use crate::data::Data;
use crate::interp::rt;
use crate::resolver::Resolver;
use crate::value::Value;
use std::collections::BTreeMap;

/// Splits a request `{:op "NAME" :args (...)}` into the op name and arguments
/// (`None` when it has no string/keyword `:op`; missing `:args` is empty).
pub fn request_op(request: &Value) -> Option<(String, Vec<Value>)> {
    let d = request.as_dict()?;
    let op = d.get("op")?;
    let name = match &op {
        Value::Str(s) => s.s.to_string(),
        Value::Keyword(k) | Value::Symbol(k) => k.name().to_string(),
        _ => return None,
    };
    let args = d.get("args").and_then(|a| rt::list_items(&a)).unwrap_or_default();
    Some((name, args))
}

/// An in-memory key-value store answering `perform` requests synchronously.
#[derive(Default, Debug, Clone)]
pub struct MemoryResolver {
    /// The stored values, by key (sorted).
    pub kv: BTreeMap<String, Data>,
    /// Number of requests served.
    pub requests: u64,
}

impl MemoryResolver {
    /// An empty store.
    pub fn new() -> MemoryResolver {
        MemoryResolver::default()
    }
}

fn key_arg(op: &str, args: &[Value], i: usize) -> Result<String, Value> {
    match args.get(i) {
        Some(Value::Str(s)) => Ok(s.s.to_string()),
        Some(Value::Keyword(k)) => Ok(k.name().to_string()),
        Some(other) => Err(rt::error(format!("{op}: expected string, got {}", rt::repr(other)))),
        None => Err(rt::error(format!("{op}: missing key"))),
    }
}

fn arity(op: &str, args: &[Value], min: usize, max: usize) -> Result<(), Value> {
    if args.len() < min || args.len() > max {
        let m = if min == max { Some(min) } else { Some(max) };
        return Err(rt::error(rt::arity_message(op, min, m, args.len())));
    }
    Ok(())
}

impl Resolver for MemoryResolver {
    fn resolve(&mut self, request: &Value) -> Result<Value, Value> {
        self.requests += 1;
        let Some((op, args)) = request_op(request) else {
            return Err(rt::error(format!("unknown io op \"{}\"", rt::repr(request))));
        };
        let arg = |i: usize| args.get(i).cloned().unwrap_or(Value::Nil);
        match op.as_str() {
            "kv/get" => {
                arity(&op, &args, 1, 2)?;
                let k = key_arg(&op, &args, 0)?;
                Ok(match self.kv.get(&k) {
                    Some(d) => d.to_value(),
                    None => arg(1),
                })
            }
            "kv/put" => {
                arity(&op, &args, 2, 2)?;
                let k = key_arg(&op, &args, 0)?;
                let d = Data::from_value(&args[1], "kv/put")?;
                self.kv.insert(k, d);
                Ok(args[1].clone())
            }
            "kv/delete" => {
                arity(&op, &args, 1, 1)?;
                let k = key_arg(&op, &args, 0)?;
                Ok(Value::Bool(self.kv.remove(&k).is_some()))
            }
            "kv/has?" => {
                arity(&op, &args, 1, 1)?;
                let k = key_arg(&op, &args, 0)?;
                Ok(Value::Bool(self.kv.contains_key(&k)))
            }
            "kv/keys" => {
                arity(&op, &args, 0, 1)?;
                let prefix = match args.first() {
                    None | Some(Value::Nil) => String::new(),
                    Some(_) => key_arg(&op, &args, 0)?,
                };
                Ok(rt::list(self.kv.keys().filter(|k| k.starts_with(&prefix)).map(|k| rt::string(k)).collect()))
            }
            "kv/cas" => {
                arity(&op, &args, 3, 3)?;
                let k = key_arg(&op, &args, 0)?;
                let actual = self.kv.get(&k).map(Data::to_value).unwrap_or(Value::Nil);
                if crate::equal::equal(&actual, &args[1]) {
                    let d = Data::from_value(&args[2], "kv/cas")?;
                    self.kv.insert(k, d);
                    Ok(args[2].clone())
                } else {
                    Ok(Value::dict_from([("conflict", Value::Bool(true)), ("expected", args[1].clone()), ("actual", actual)]))
                }
            }
            "time/now" => {
                let ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0);
                Ok(Value::Int(ms))
            }
            "sleep" => {
                if let Some(Value::Int(ms)) = args.first() {
                    if *ms > 0 {
                        std::thread::sleep(std::time::Duration::from_millis(*ms as u64));
                    }
                }
                Ok(Value::Nil)
            }
            _ => Err(rt::error(format!("unknown io op \"{op}\""))),
        }
    }
}
