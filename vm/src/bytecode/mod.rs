//! Register bytecode compiled from the IR.

/// A compiled function prototype (one per IR function).
#[derive(Debug)]
pub struct Proto {
    pub name: Option<String>,
}
