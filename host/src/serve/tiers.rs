//! `GET /__sxc/tiers`: the LLVM tier's per-function report (`--jit-stats`)
//! for the whole server process, as JSON.
//!
//! Every worker has its own isolate, so its own copy of every function with
//! its own call counter (a `Cell`, readable only on the worker's thread).
//! The request is therefore answered by asking every worker: each worker's
//! server loop has a queue on the [`TierBoard`] and answers with the stats
//! of its current app's modules (`host::jit::collect`), between requests.
//! The answers are merged per function (the same source function on every
//! worker: the k-th function of a name in walk order, since every worker
//! compiled the same program): calls and deopts are summed, compile time
//! summed, code size the largest, the tier the most telling one (failed,
//! then compiled, queued, excluded, interpreted). A worker that does not
//! answer within [`ANSWER_TIMEOUT`] (a handler running a long computation
//! without yielding) is left out and counted in `"unanswered"`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use vm::jit::{FunctionStats, Tier};

/// How long the endpoint waits for each worker's answer.
pub(crate) const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);

/// A worker's answer: its functions' stats.
pub(crate) type Ask = oneshot::Sender<Vec<FunctionStats>>;

/// The workers' stats queues (one per worker, in start order).
#[derive(Default)]
pub(crate) struct TierBoard {
    workers: Mutex<Vec<mpsc::UnboundedSender<Ask>>>,
}

impl TierBoard {
    /// Registers a worker: the queue on which it is asked for its stats.
    pub fn join(&self) -> mpsc::UnboundedReceiver<Ask> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.workers.lock().unwrap_or_else(|e| e.into_inner()).push(tx);
        rx
    }

    /// Asks every worker and merges the answers into the endpoint's JSON
    /// body (see `docs/jit.md`, "Inspection").
    pub async fn json(&self) -> String {
        let asks: Vec<_> = {
            let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
            // A worker that ended (its queue closed) is forgotten.
            workers.retain(|w| !w.is_closed());
            workers
                .iter()
                .filter_map(|w| {
                    let (tx, rx) = oneshot::channel();
                    w.send(tx).ok().map(|_| rx)
                })
                .collect()
        };
        let asked = asks.len();
        let mut answers = Vec::new();
        for rx in asks {
            if let Ok(Ok(stats)) = tokio::time::timeout(ANSWER_TIMEOUT, rx).await {
                answers.push(stats);
            }
        }
        render(&merge(&answers), asked, answers.len())
    }
}

/// Order of precedence when workers disagree on a function's tier.
fn rank(t: Tier) -> u8 {
    match t {
        Tier::Failed => 4,
        Tier::Compiled => 3,
        Tier::Queued => 2,
        Tier::Excluded => 1,
        Tier::Interpreted => 0,
    }
}

/// One list for the process: the same function of every worker merged.
pub(crate) fn merge(answers: &[Vec<FunctionStats>]) -> Vec<FunctionStats> {
    let mut out: Vec<FunctionStats> = Vec::new();
    let mut index: HashMap<(String, usize), usize> = HashMap::new();
    for stats in answers {
        let mut occurrence: HashMap<&str, usize> = HashMap::new();
        for s in stats {
            let k = occurrence.entry(s.name.as_str()).or_default();
            let key = (s.name.clone(), *k);
            *k += 1;
            match index.get(&key) {
                Some(&i) => {
                    let m = &mut out[i];
                    m.calls += s.calls;
                    m.deopts += s.deopts;
                    m.resumes += s.resumes;
                    m.compile_us += s.compile_us;
                    m.code_size = m.code_size.max(s.code_size);
                    if rank(s.tier) > rank(m.tier) {
                        m.tier = s.tier;
                    }
                }
                None => {
                    index.insert(key, out.len());
                    out.push(s.clone());
                }
            }
        }
    }
    out
}

/// The JSON body: `{"workers", "answered", "functions": [{"name", "tier",
/// "calls", "compile_us", "code_size", "deopts", "resumes"}…], "summary": {"compiled",
/// "failed", "excluded", "deopts"}}` — the summary is the `--jit-stats`
/// last line's counts.
pub(crate) fn render(stats: &[FunctionStats], asked: usize, answered: usize) -> String {
    use vm::Value;
    let functions = stats
        .iter()
        .map(|s| {
            Value::dict_from([
                ("name", Value::str(&s.name)),
                ("tier", Value::str(s.tier.name())),
                ("calls", Value::Int(s.calls.min(i64::MAX as u64) as i64)),
                ("compile_us", Value::Int(s.compile_us.min(i64::MAX as u64) as i64)),
                ("code_size", Value::Int(s.code_size as i64)),
                ("deopts", Value::Int(s.deopts as i64)),
                ("resumes", Value::Int(s.resumes.min(i64::MAX as u64) as i64)),
            ])
        })
        .collect();
    let sum = crate::jit::Summary::of(stats);
    let body = Value::dict_from([
        ("mode", Value::str(crate::jit::mode_name())),
        ("workers", Value::Int(asked as i64)),
        ("answered", Value::Int(answered as i64)),
        ("unanswered", Value::Int((asked - answered) as i64)),
        ("functions", Value::list(functions)),
        (
            "summary",
            Value::dict_from([
                ("compiled", Value::Int(sum.compiled as i64)),
                ("failed", Value::Int(sum.failed as i64)),
                ("excluded", Value::Int(sum.excluded as i64)),
                ("deopts", Value::Int(sum.deopts as i64)),
            ]),
        ),
    ]);
    vm::json::encode(&body).unwrap_or_else(|_| "{}".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fs(name: &str, tier: Tier, calls: u64, deopts: u32, code: usize) -> FunctionStats {
        FunctionStats { name: name.into(), tier, calls, compile_us: 10, code_size: code, deopts, resumes: 1 }
    }

    #[test]
    fn workers_merge_per_function() {
        let w0 = vec![fs("main", Tier::Compiled, 1, 0, 100), fs("lambda", Tier::Compiled, 5, 1, 50), fs("lambda", Tier::Interpreted, 2, 0, 0)];
        let w1 = vec![fs("main", Tier::Interpreted, 1, 0, 0), fs("lambda", Tier::Compiled, 7, 2, 60), fs("lambda", Tier::Failed, 3, 0, 0)];
        let m = merge(&[w0, w1]);
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].tier, m[0].calls, m[0].code_size, m[0].compile_us), (Tier::Compiled, 2, 100, 20));
        assert_eq!((m[1].tier, m[1].calls, m[1].deopts, m[1].code_size), (Tier::Compiled, 12, 3, 60));
        assert_eq!((m[2].tier, m[2].calls), (Tier::Failed, 5));
        let json = render(&m, 3, 2);
        assert!(json.contains(r#""workers":3,"answered":2,"unanswered":1"#), "{json}");
        assert!(json.contains(r#""summary":{"compiled":2,"failed":1,"excluded":0,"deopts":3}"#), "{json}");
        assert!(json.contains(r#"{"name":"lambda","tier":"compiled","calls":12,"compile_us":20,"code_size":60,"deopts":3,"resumes":2}"#), "{json}");
    }
}
