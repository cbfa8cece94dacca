//! The disassembler: `impl Display for Proto` (the `sxc inspect --stage bytecode` format).

use super::{Op, Proto, Reg};
use crate::interp::rt;
use std::fmt::{self, Write};

impl Proto {
    fn global_name(&self, slot: u32) -> &str {
        self.global_names.iter().find(|(s, _)| *s == slot).map(|(_, n)| &**n).unwrap_or("?")
    }

    fn regs(&self, args: u32, n: u16) -> String {
        let mut s = String::new();
        for (i, r) in self.args(args, n).iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            let _ = write!(s, "r{r}");
        }
        s
    }

    /// Writes this proto only (not its children).
    pub fn fmt_one(&self, f: &mut dyn Write) -> fmt::Result {
        writeln!(
            f,
            "proto {} (arity {}{}, captures {}, regs {}):",
            self.display_name(),
            self.arity,
            if self.has_rest { " +rest" } else { "" },
            self.ncaptures,
            self.nregs
        )?;
        for (pc, op) in self.code.iter().enumerate() {
            write!(f, "  {pc:4}  ")?;
            self.fmt_op(op, f)?;
            writeln!(f)?;
        }
        if !self.consts.is_empty() {
            writeln!(f, "  consts:")?;
            for (i, c) in self.consts.iter().enumerate() {
                writeln!(f, "    k{i} = {}", rt::repr(c))?;
            }
        }
        Ok(())
    }

    fn fmt_op(&self, op: &Op, f: &mut dyn Write) -> fmt::Result {
        let pn = |p: u16| -> String {
            if p == u16::MAX {
                "?".into()
            } else {
                rt::prim_name(p)
            }
        };
        let r = |r: Reg| format!("r{r}");
        match *op {
            Op::Move { dst, src } => write!(f, "move      {} <- {}", r(dst), r(src)),
            Op::Take { dst, src } => write!(f, "take      {} <- {}", r(dst), r(src)),
            Op::LoadConst { dst, idx } => write!(f, "const     {} <- k{idx}", r(dst)),
            Op::LoadInt { dst, val } => write!(f, "int       {} <- {val}", r(dst)),
            Op::LoadNil { dst } => write!(f, "nil       {}", r(dst)),
            Op::LoadBool { dst, val } => write!(f, "bool      {} <- {val}", r(dst)),
            Op::Capture { dst, idx } => write!(f, "capture   {} <- cap{idx}", r(dst)),
            Op::SelfRef { dst } => write!(f, "self      {}", r(dst)),
            Op::GlobalGet { dst, slot } => write!(f, "gget      {} <- g{slot} ({})", r(dst), self.global_name(slot)),
            Op::GlobalSet { dst, src, slot } => write!(f, "gset      g{slot} ({}) <- {}  ; {}", self.global_name(slot), r(src), r(dst)),
            Op::GlobalDefine { dst, src, slot } => {
                write!(f, "gdefine   g{slot} ({}) <- {}  ; {}", self.global_name(slot), r(src), r(dst))
            }
            Op::MakeClosure { dst, proto, args, n } => {
                let name = self.children()[proto as usize].get().map(|c| c.display_name().to_string()).unwrap_or_default();
                write!(f, "closure   {} <- proto{proto} ({name}) [{}]", r(dst), self.regs(args, n))
            }
            Op::CellNew { dst, src } => write!(f, "cell.new  {} <- {}", r(dst), r(src)),
            Op::CellGet { dst, cell } => write!(f, "cell.get  {} <- {}", r(dst), r(cell)),
            Op::CellSet { dst, cell, src } => write!(f, "cell.set  {} <- {}  ; {}", r(cell), r(src), r(dst)),
            Op::Prim { dst, prim, args, n } | Op::PrimArityError { dst, prim, args, n } => write!(f, "prim      {} <- {} ({})", r(dst), pn(prim), self.regs(args, n)),
            Op::PrimOwned { dst, prim, args, n } => write!(f, "prim.own  {} <- {} ({})", r(dst), pn(prim), self.regs(args, n)),
            Op::First { dst, a, prim } | Op::IsEmpty { dst, a, prim } => {
                write!(f, "prim      {} <- {} ({})", r(dst), pn(prim), r(a))
            }
            Op::Nth { dst, a, b, prim } | Op::Append { dst, a, b, prim } => {
                write!(f, "prim      {} <- {} ({} {})", r(dst), pn(prim), r(a), r(b))
            }
            Op::Add { dst, a, b, .. } => write!(f, "add       {} <- {} {}", r(dst), r(a), r(b)),
            Op::Div { dst, a, b, .. } => write!(f, "div       {} <- {} {}", r(dst), r(a), r(b)),
            Op::Math { dst, a, prim, .. } => write!(f, "math      {} <- {} {}", r(dst), pn(prim), r(a)),
            Op::Sub { dst, a, b, .. } => write!(f, "sub       {} <- {} {}", r(dst), r(a), r(b)),
            Op::Mul { dst, a, b, .. } => write!(f, "mul       {} <- {} {}", r(dst), r(a), r(b)),
            Op::AddImm { dst, a, imm, .. } => write!(f, "add       {} <- {} #{imm}", r(dst), r(a)),
            Op::SubImm { dst, a, imm, .. } => write!(f, "sub       {} <- {} #{imm}", r(dst), r(a)),
            Op::BrCmpImm { cmp, a, imm, target, .. } => write!(f, "br.not {:<2} {} #{imm} -> @{target}", cmp.prim_name(), r(a)),
            Op::Compare { cmp, dst, a, b, .. } => write!(f, "cmp {:<5} {} <- {} {}", cmp.prim_name(), r(dst), r(a), r(b)),
            Op::BrCmp { cmp, a, b, target, .. } => write!(f, "br.not {:<2} {} {} -> @{target}", cmp.prim_name(), r(a), r(b)),
            Op::BrIfCmp { cmp, a, b, target, .. } => write!(f, "br.if  {:<2} {} {} -> @{target}", cmp.prim_name(), r(a), r(b)),
            Op::RetCmp { cmp, neg, a, b, src } => {
                write!(f, "ret.{} {:<2} {} {} => {}", if neg { "not" } else { "if " }, cmp.prim_name(), r(a), r(b), r(src))
            }
            Op::RetCmpImm { cmp, neg, a, imm, src } => {
                write!(f, "ret.{} {:<2} {} #{imm} => {}", if neg { "not" } else { "if " }, cmp.prim_name(), r(a), r(src))
            }
            Op::Not { dst, src } => write!(f, "not       {} <- {}", r(dst), r(src)),
            Op::JumpIfTrue { cond, target } => write!(f, "jump.t    {} -> @{target}", r(cond)),
            Op::Jump { target } => write!(f, "jump      @{target}"),
            Op::Loop { target, counter } => write!(f, "loop      @{target}  ; backedge {counter}"),
            Op::JumpIfFalse { cond, target } => write!(f, "jump.f    {} -> @{target}", r(cond)),
            Op::Guard { src, ty, target } => write!(f, "guard     {} is {ty:?} else @{target}", r(src)),
            Op::Call { dst, callee, args, n } => write!(f, "call      {} <- {} ({})", r(dst), r(callee), self.regs(args, n)),
            Op::CallGlobal { dst, slot, args, n } => {
                write!(f, "call.g    {} <- g{slot} ({}) ({})", r(dst), self.global_name(slot), self.regs(args as u32, n as u16))
            }
            Op::TailCallGlobal { slot, args, n, .. } => {
                write!(f, "tailcall.g g{slot} ({}) ({})", self.global_name(slot), self.regs(args as u32, n as u16))
            }
            Op::TailCall { callee, args, n, .. } => write!(f, "tailcall  {} ({})", r(callee), self.regs(args, n)),
            Op::Apply { dst, callee, list } => write!(f, "apply     {} <- {} {}", r(dst), r(callee), r(list)),
            Op::TailApply { callee, list } => write!(f, "tailapply {} {}", r(callee), r(list)),
            Op::TryCall { dst, thunk, err_dst, err_pc } => {
                write!(f, "try       {} <- {} () ; raise -> {} @{err_pc}", r(dst), r(thunk), r(err_dst))
            }
            Op::Suspend { dst, req } => write!(f, "suspend   {} <- perform {}", r(dst), r(req)),
            Op::Raise { src } => write!(f, "raise     {}", r(src)),
            Op::Return { src } => write!(f, "return    {}", r(src)),
        }
    }

    /// Renders this proto and all nested ones; with `filter`, only protos whose
    /// name equals it.
    pub fn disassemble(self: &std::rc::Rc<Proto>, filter: Option<&str>) -> String {
        let mut out = String::new();
        self.walk(&mut |p| {
            if filter.is_none_or(|n| p.name.as_deref() == Some(n)) {
                let _ = p.fmt_one(&mut out);
                out.push('\n');
            }
        });
        out
    }
}

impl fmt::Display for Proto {
    /// This proto only (use [`Proto::disassemble`] for the nested ones too).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.fmt_one(&mut s)?;
        f.write_str(&s)
    }
}
