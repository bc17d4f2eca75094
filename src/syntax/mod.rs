//! Rule-file text → AST (`lower`), with syntax diagnostics. pest stays behind this module.

mod fast;
mod lower;
mod parser;

pub use lower::{parse_atom, parse_module, MAX_NESTING};
