//! Output: `print`, `println` (stdout), `eprintln` (stderr). Several arguments
//! are separated by one space; each shows its display form (`nil` as `nil`).

use super::{def, PrimDef, PrimResult};
use crate::ctx::Ctx;
use crate::error::err;
use crate::print::write_display;
use crate::value::Value;
use std::io::Write;

/// The output primitives.
pub const DEFS: &[PrimDef] = &[
    def("print", 0, -1, false, print),
    def("println", 0, -1, false, println),
    def("eprintln", 0, -1, false, eprintln),
];

/// The text `print` writes for `args`: display forms separated by one space.
pub fn print_text(args: &[Value]) -> String {
    let mut s = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        write_display(a, &mut s);
    }
    s
}

fn emit(w: &mut dyn Write, text: &str) -> PrimResult {
    w.write_all(text.as_bytes()).map_err(|e| err(format!("output error: {e}")))?;
    Ok(Value::Nil)
}

fn print(ctx: &mut Ctx, a: &[Value]) -> PrimResult {
    emit(&mut ctx.stdout, &print_text(a))
}

fn println(ctx: &mut Ctx, a: &[Value]) -> PrimResult {
    let mut s = print_text(a);
    s.push('\n');
    emit(&mut ctx.stdout, &s)
}

fn eprintln(ctx: &mut Ctx, a: &[Value]) -> PrimResult {
    let mut s = print_text(a);
    s.push('\n');
    emit(&mut ctx.stderr, &s)
}

#[cfg(test)]
mod tests {
    use crate::ctx::Ctx;
    use crate::prims::call_named;
    use crate::value::Value;

    use crate::ctx::SharedBuf as Buf;

    #[test]
    fn output() {
        let (out, errb) = (Buf::default(), Buf::default());
        let mut c = Ctx::with_output(Box::new(out.clone()), Box::new(errb.clone()));
        call_named(&mut c, "println", &[Value::str("a"), Value::Int(1), Value::Nil, Value::list(vec![Value::str("x")])]).unwrap();
        call_named(&mut c, "print", &[Value::str("b")]).unwrap();
        call_named(&mut c, "println", &[]).unwrap();
        call_named(&mut c, "eprintln", &[Value::kw("k")]).unwrap();
        assert_eq!(String::from_utf8(out.0.borrow().clone()).unwrap(), "a 1 nil (\"x\")\nb\n");
        assert_eq!(String::from_utf8(errb.0.borrow().clone()).unwrap(), ":k\n");
    }
}
