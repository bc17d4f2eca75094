//! What the generated-program targets (`engine_explain`, `sets`) share: a rule as structured
//! input, and the terms its bytes stand for.
use arbitrary::Arbitrary;

#[derive(Arbitrary, Debug)]
pub struct Rule {
    pub head: u8,
    pub head_args: (u8, u8),
    pub head_expr: bool,
    pub body: Vec<(u8, u8, u8)>,
    pub neg: Option<(u8, u8)>,
    pub cmp: Option<(u8, u8, u8, i8)>,
    pub cf: Option<i8>,
    pub or_alt: Option<(u8, u8, u8)>,
}

pub const V: [&str; 3] = ["X", "Y", "Z"];
pub const OPS: [&str; 6] = ["=", "!=", "<", "<=", ">", ">="];
pub const ARITH: [&str; 4] = ["+", "-", "*", "/"];

/// A variable (three in four) or a small integer.
pub fn term(t: u8) -> String {
    if t % 4 == 3 {
        (t / 4 % 4).to_string()
    } else {
        V[(t % 4) as usize].to_string()
    }
}
