//! A reference evaluator of IR modules, for differential tests: a program must
//! give the same result (value or raised value) before and after `optimise`.
//! Covers what the random program generator emits: integers, booleans, nil,
//! closures, cells, globals, calls, tail calls, `try_call`, `suspend` (the host
//! echoes the request back), `applyk`, `raise`, and a few primitives.

use ir::{Block, FuncId, InstData, Module, Terminator, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Clone, Debug)]
pub enum V {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<V>),
    Clo(FuncId, Rc<Vec<V>>),
    Cell(Rc<RefCell<V>>),
}

impl V {
    /// A stable rendering (closures are opaque: function ids change when dead
    /// functions are removed).
    pub fn show(&self) -> String {
        match self {
            V::Nil => "nil".into(),
            V::Bool(b) => b.to_string(),
            V::Int(i) => i.to_string(),
            V::Float(x) => format!("{x:?}"),
            V::Str(s) => format!("{s:?}"),
            V::List(xs) => format!("({})", xs.iter().map(V::show).collect::<Vec<_>>().join(" ")),
            V::Clo(..) => "#<closure>".into(),
            V::Cell(_) => "#<cell>".into(),
        }
    }
    fn truthy(&self) -> bool {
        !matches!(self, V::Nil | V::Bool(false))
    }
}

pub enum Stop {
    Raised(V),
    /// Out of fuel or too deep: the comparison is skipped.
    Exhausted,
}

fn err(s: &str) -> Stop {
    Stop::Raised(V::Str(s.to_string()))
}

pub struct Eval<'m> {
    m: &'m Module,
    globals: HashMap<String, V>,
    fuel: u64,
    depth: u32,
    /// Active frames or `call` instructions that promise not to suspend; a
    /// `suspend` while this is non-zero means the effect analysis was wrong.
    nonsusp: u32,
}

impl<'m> Eval<'m> {
    pub fn run(m: &'m Module, fuel: u64) -> Result<V, Stop> {
        let mut e = Eval { m, globals: HashMap::new(), fuel, depth: 0, nonsusp: 0 };
        e.call(&V::Clo(m.entry.unwrap(), Rc::new(Vec::new())), Vec::new(), None)
    }

    fn prim(&self, name: &str, args: Vec<V>) -> Result<V, Stop> {
        let ints = || -> Result<Vec<i64>, Stop> {
            args.iter().map(|a| if let V::Int(i) = a { Ok(*i) } else { Err(err("type")) }).collect()
        };
        match name {
            "+" | "*" => {
                let mut acc: i64 = if name == "+" { 0 } else { 1 };
                for i in ints()? {
                    acc = (if name == "+" { acc.checked_add(i) } else { acc.checked_mul(i) }).ok_or_else(|| err("integer overflow"))?;
                }
                Ok(V::Int(acc))
            }
            "-" => {
                let xs = ints()?;
                match xs.as_slice() {
                    [] => Err(err("arity")),
                    [x] => x.checked_neg().map(V::Int).ok_or_else(|| err("integer overflow")),
                    [x, rest @ ..] => rest.iter().try_fold(*x, |a, b| a.checked_sub(*b)).map(V::Int).ok_or_else(|| err("integer overflow")),
                }
            }
            "<" | ">" | "<=" | ">=" | "=" => {
                let xs = ints()?;
                Ok(V::Bool(xs.windows(2).all(|w| match name {
                    "<" => w[0] < w[1],
                    ">" => w[0] > w[1],
                    "<=" => w[0] <= w[1],
                    ">=" => w[0] >= w[1],
                    _ => w[0] == w[1],
                })))
            }
            "not" if args.len() == 1 => Ok(V::Bool(!args[0].truthy())),
            "list" | "%list" => Ok(V::List(args)),
            _ => Err(err("unknown prim")),
        }
    }

    /// Calls `callee` with `args`; `this` is unused (closures carry their captures).
    fn call(&mut self, callee: &V, args: Vec<V>, _this: Option<()>) -> Result<V, Stop> {
        let V::Clo(fid, caps) = callee else { return Err(err("not callable")) };
        let f = self.m.func(*fid);
        let mut args = args;
        if f.has_rest {
            if args.len() < f.arity as usize {
                return Err(err("arity"));
            }
            let rest = args.split_off(f.arity as usize);
            args.push(V::List(rest));
        } else if args.len() != f.arity as usize {
            return Err(err("arity"));
        }
        if self.depth > 150 {
            return Err(Stop::Exhausted);
        }
        self.depth += 1;
        let promise = f.effect < ir::Effect::MaySuspend;
        self.nonsusp += promise as u32;
        let r = self.body(*fid, caps.clone(), callee.clone(), args);
        self.nonsusp -= promise as u32;
        self.depth -= 1;
        if f.effect == ir::Effect::Pure {
            assert!(!matches!(r, Err(Stop::Raised(_))), "effect violation: pure {fid} raised");
        }
        r
    }

    fn body(&mut self, fid: FuncId, caps: Rc<Vec<V>>, me: V, args: Vec<V>) -> Result<V, Stop> {
        let f = self.m.func(fid);
        let mut env: Vec<Option<V>> = vec![None; f.values.len()];
        let mut b = Block(0);
        let mut incoming = args;
        loop {
            let bd = f.block(b);
            for (p, v) in bd.params.iter().zip(incoming.drain(..)) {
                env[p.index()] = Some(v);
            }
            let get = |env: &Vec<Option<V>>, v: Value| env[v.index()].clone().expect("use of undefined value");
            for &i in &bd.insts {
                if self.fuel == 0 {
                    return Err(Stop::Exhausted);
                }
                self.fuel -= 1;
                let node = f.inst(i);
                let vals = |xs: &[Value]| xs.iter().map(|x| get(&env, *x)).collect::<Vec<_>>();
                let r = match &node.data {
                    InstData::Const(c) => match c {
                        frontend::ast::Const::Nil => V::Nil,
                        frontend::ast::Const::Bool(b) => V::Bool(*b),
                        frontend::ast::Const::Int(i) => V::Int(*i),
                        frontend::ast::Const::Float(x) => V::Float(*x),
                        frontend::ast::Const::Str(s) => V::Str(s.clone()),
                        other => V::Str(format!("{other:?}")),
                    },
                    InstData::Capture(k) => caps[*k as usize].clone(),
                    InstData::SelfRef => me.clone(),
                    InstData::GlobalGet(n) => self.globals.get(n).cloned().ok_or_else(|| err("unbound"))?,
                    InstData::GlobalSet(n, v) => {
                        if !self.globals.contains_key(n) {
                            return Err(err("unbound"));
                        }
                        self.globals.insert(n.clone(), get(&env, *v));
                        V::Nil
                    }
                    InstData::GlobalDefine(n, v) => {
                        self.globals.insert(n.clone(), get(&env, *v));
                        V::Nil
                    }
                    InstData::MakeClosure(g, cs) => V::Clo(*g, Rc::new(vals(cs))),
                    InstData::CellNew(v) => V::Cell(Rc::new(RefCell::new(get(&env, *v)))),
                    InstData::CellGet(c) => match get(&env, *c) {
                        V::Cell(c) => c.borrow().clone(),
                        _ => panic!("cell_get of a non-cell"),
                    },
                    InstData::CellSet(c, v) => match get(&env, *c) {
                        V::Cell(c) => {
                            *c.borrow_mut() = get(&env, *v);
                            V::Nil
                        }
                        _ => panic!("cell_set of a non-cell"),
                    },
                    InstData::Prim(n, xs) => self.prim(n, vals(xs))?,
                    InstData::Call(c, xs) => {
                        let (c, xs) = (get(&env, *c), vals(xs));
                        self.nonsusp += 1;
                        let r = self.call(&c, xs, None);
                        self.nonsusp -= 1;
                        r?
                    }
                    other => panic!("evaluator: unsupported {other:?}"),
                };
                env[node.result.index()] = Some(r);
            }
            let vals = |xs: &[Value]| xs.iter().map(|x| get(&env, *x)).collect::<Vec<_>>();
            let (next, args) = match &bd.term {
                Terminator::Jump(bc) => (bc.block, vals(&bc.args)),
                Terminator::Branch { cond, then_dest, else_dest } => {
                    let d = if get(&env, *cond).truthy() { then_dest } else { else_dest };
                    (d.block, vals(&d.args))
                }
                Terminator::Return(v) => return Ok(get(&env, *v)),
                Terminator::Raise(v) => return Err(Stop::Raised(get(&env, *v))),
                Terminator::TailCall { callee, args } => {
                    let (c, xs) = (get(&env, *callee), vals(args));
                    return self.call(&c, xs, None);
                }
                Terminator::CallK { callee, args, cont } => {
                    let (c, xs) = (get(&env, *callee), vals(args));
                    (*cont, vec![self.call(&c, xs, None)?])
                }
                Terminator::Suspend { request, cont } => {
                    assert_eq!(self.nonsusp, 0, "effect violation: suspend inside a non-suspending frame or call");
                    (*cont, vec![get(&env, *request)])
                }
                Terminator::TryCall { thunk, ok, err: e } => {
                    let t = get(&env, *thunk);
                    match self.call(&t, Vec::new(), None) {
                        Ok(v) => (*ok, vec![v]),
                        Err(Stop::Raised(x)) => (*e, vec![x]),
                        Err(Stop::Exhausted) => return Err(Stop::Exhausted),
                    }
                }
                Terminator::ApplyK { callee, args, .. } | Terminator::TailApply { callee, args } => {
                    let c = get(&env, *callee);
                    let V::List(xs) = get(&env, *args) else { return Err(err("apply: not a list")) };
                    let r = self.call(&c, xs, None)?;
                    match &bd.term {
                        Terminator::ApplyK { cont, .. } => (*cont, vec![r]),
                        _ => return Ok(r),
                    }
                }
                Terminator::Unterminated => panic!("unterminated block"),
            };
            b = next;
            incoming = args;
        }
    }
}
