//! Batch lines read straight into a run of many fact sets (`ask::sets`).
//!
//! A batch line is usually an object of plain answers: each key a question, each value one
//! of its allowed symbols, a boolean or an integer in its range, or a list of them. Read
//! through the facts-file reader, each answer became an entry, then a checked [`InputFact`]
//! (its predicate's name, a vector of constants, an origin), then was looked up by name
//! and interned in the run: 30% of a W7 fact set's instructions. Here such a line is read
//! once, each answer found in a table made when the batch's knowledge base was rewritten,
//! into the predicate and value the run stores.
//!
//! Anything else, or anything wrong, is the facts-file reader's ([`Answers::read`] says
//! `None`): a key that is no question, a question of another kind (strings, decimals,
//! symbols without a list of allowed ones, any question numbered 128 or more, one whose
//! predicate no rule reads), a key that comes twice, a value of another type, not allowed,
//! out of range, repeated in a list or unknown to the program, a list for a single-valued
//! question, an empty list or one of more than 16 values, escapes, certainties, decimals,
//! strings, whitespace JSON does not allow. Where it gives facts they are those the reader
//! gives, in its order (`tests::direct_reading_agrees_with_the_facts_file_reader`). A run
//! of many sets that gives way runs each set alone, read again by the facts-file reader.
//!
//! [`InputFact`]: crate::engine::InputFact

use crate::ast::{Const, ValueType};
use crate::engine::facts::PredId;
use crate::engine::value::Val;
use crate::engine::KnowledgeBase;
use crate::facts_file::json::Scan;

/// Integers this large or smaller are decimals exactly (the reader compares an answer
/// with its question's bounds as decimals).
const EXACT: i64 = 1 << 53;

/// The longest list of answers read here (see [`Answers::read`]).
const LIST_MAX: usize = 16;

/// How one question's answers are read.
#[derive(Debug)]
struct Question {
    /// Its predicate in the rewritten program (the set's number first).
    pred: PredId,
    many: bool,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// One of these symbols (by their text).
    Symbols(Names<Val>),
    Boolean,
    /// An integer from `min` to `max`.
    Integer {
        min: i64,
        max: i64,
    },
}

/// The questions whose answers a batch line may give directly, by name.
#[derive(Debug, Default)]
pub struct Answers {
    questions: Names<(usize, Question)>,
}

impl Answers {
    /// The table for the questions of `kb`, whose answers are facts of the rewritten
    /// program `sets` with the set's number first. A question whose answers this reader
    /// cannot check as the facts-file reader does is left out.
    pub fn of(kb: &KnowledgeBase, sets: &KnowledgeBase) -> Answers {
        let mut questions = Vec::new();
        for (n, q) in kb.questions().enumerate() {
            let name = q.name.node.as_str();
            // A bound the reader compares as a decimal: kept only where that is exact.
            let int_bound = |b: &Option<crate::span::Spanned<Const>>, none: i64| match b {
                None => Some(none),
                Some(c) => match c.node {
                    Const::Int(i) if i.unsigned_abs() <= EXACT.unsigned_abs() => Some(i),
                    _ => None,
                },
            };
            let kind = match q.ty {
                ValueType::Symbol if !q.allowed.is_empty() => {
                    let mut symbols = Vec::new();
                    for a in &q.allowed {
                        if let (Const::Sym(s), Some(v)) = (&a.node, sets.known_value(&a.node)) {
                            symbols.push((s.as_bytes().into(), v));
                        }
                    }
                    Some(Kind::Symbols(Names::new(symbols)))
                }
                ValueType::Boolean if q.allowed.is_empty() => Some(Kind::Boolean),
                ValueType::Integer if q.allowed.is_empty() => {
                    match (int_bound(&q.min, i64::MIN), int_bound(&q.max, i64::MAX)) {
                        (Some(min), Some(max)) => Some(Kind::Integer { min, max }),
                        _ => None,
                    }
                }
                _ => None,
            };
            // Its predicate, if the rewritten program knows it (else the run adds it).
            let pred = sets.known_pred(name, 2);
            if let (Some(kind), Some(pred)) = (kind, pred) {
                let q = Question {
                    pred,
                    many: q.many,
                    kind,
                };
                questions.push((name.as_bytes().into(), (n, q)));
            }
        }
        Answers {
            questions: Names::new(questions),
        }
    }

    /// The facts of the fact set `line` (a line of JSON), each its predicate and value, if
    /// it reads as plain answers this table checks; else `None` (see the module's
    /// documentation).
    pub fn read(&self, line: &str, out: &mut Vec<(PredId, Val)>) -> Option<()> {
        out.clear();
        let mut s = Scan::new(line);
        // The questions answered so far, by number (a few dozen: a bit each).
        let mut seen: u128 = 0;
        s.ws();
        s.eat(b'{')?;
        s.ws();
        if s.peek() == Some(b'}') {
            s.next();
        } else {
            loop {
                let key = s.plain_string()?;
                let (n, q) = self.questions.get(key)?;
                let bit = 1u128.checked_shl(u32::try_from(*n).ok()?)?;
                if seen & bit != 0 {
                    return None;
                }
                seen |= bit;
                s.ws();
                s.eat(b':')?;
                s.ws();
                if s.peek() == Some(b'[') {
                    if !q.many {
                        return None;
                    }
                    s.next();
                    s.ws();
                    let first = out.len();
                    loop {
                        let v = value(&mut s, q)?;
                        // A value given twice is an error the reader reports. (Each value is
                        // compared with those before it: a long list is the reader's, which
                        // hashes them.)
                        if out.len() - first >= LIST_MAX
                            || out[first..].iter().any(|&(_, w)| w == v)
                        {
                            return None;
                        }
                        out.push((q.pred, v));
                        if s.comma_or(b']')? {
                            break;
                        }
                    }
                } else {
                    let v = value(&mut s, q)?;
                    out.push((q.pred, v));
                }
                if s.comma_or(b'}')? {
                    break;
                }
            }
        }
        s.ws();
        s.at_end().then_some(())
    }
}

/// A table of names fixed when it is made (the questions, a question's symbols), looked up
/// by their bytes: by their length and their first and last 8 bytes, which are the whole
/// name up to 16 bytes (most are), in a table at most half full. A line's every key and
/// symbol is looked up here; hashing each whole string and comparing it through `memcmp`
/// cost W7 0.7% more instructions a set. The names come from the knowledge base, so no input
/// chooses where they lie; a name an input gives costs one probe of a short run.
#[derive(Debug)]
struct Names<V> {
    /// A power of two of slots, at most half of them full.
    slots: Vec<Option<Named<V>>>,
}

/// A slot's name's fingerprint, its name and its value.
type Named<V> = (Fingerprint, Box<[u8]>, V);

/// A name's length and its first and last 8 bytes (overlapping when shorter than 16,
/// zero-padded when shorter than 8).
type Fingerprint = (usize, u64, u64);

#[inline]
fn fingerprint(name: &[u8]) -> Fingerprint {
    let n = name.len();
    match (name.first_chunk::<8>(), name.last_chunk::<8>()) {
        (Some(head), Some(tail)) => (n, u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
        _ => {
            // Shorter than 8 bytes: a byte at a time (a copy of a length not known
            // beforehand is a call to `memcpy`).
            let w = name
                .iter()
                .enumerate()
                .fold(0u64, |w, (i, &b)| w | u64::from(b) << (8 * i));
            (n, w, w)
        }
    }
}

impl<V> Default for Names<V> {
    fn default() -> Self {
        Names::new(Vec::new())
    }
}

impl<V> Names<V> {
    /// The table of `names` (a name given twice keeps its first value).
    fn new(names: Vec<(Box<[u8]>, V)>) -> Names<V> {
        let size = (2 * names.len()).next_power_of_two().max(4);
        let mut slots: Vec<Option<Named<V>>> = (0..size).map(|_| None).collect();
        for (name, v) in names {
            let f = fingerprint(&name);
            let mut i = Self::home(f, size);
            loop {
                match &slots[i] {
                    None => {
                        slots[i] = Some((f, name, v));
                        break;
                    }
                    Some((_, known, _)) if *known == name => break,
                    Some(_) => i = (i + 1) & (size - 1),
                }
            }
        }
        Names { slots }
    }

    #[inline]
    fn home((n, head, tail): Fingerprint, size: usize) -> usize {
        let h = (head ^ tail.rotate_left(29) ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 32) as usize & (size - 1)
    }

    #[inline]
    fn get(&self, name: &[u8]) -> Option<&V> {
        let f = fingerprint(name);
        let mask = self.slots.len() - 1;
        let mut i = Self::home(f, self.slots.len());
        loop {
            let (g, known, v) = self.slots[i].as_ref()?;
            // Up to 16 bytes the fingerprint is the name.
            if *g == f && (name.len() <= 16 || **known == *name) {
                return Some(v);
            }
            i = (i + 1) & mask;
        }
    }
}

/// One value of question `q` at `s`, checked.
fn value(s: &mut Scan<'_>, q: &Question) -> Option<Val> {
    match &q.kind {
        Kind::Symbols(symbols) => symbols.get(s.plain_string()?).copied(),
        Kind::Boolean => {
            if s.word(b"true").is_some() {
                Some(Val::Bool(true))
            } else if s.word(b"false").is_some() {
                Some(Val::Bool(false))
            } else {
                None
            }
        }
        Kind::Integer { min, max } => {
            let n = s.integer()?;
            (n.unsigned_abs() <= EXACT.unsigned_abs() && (*min..=*max).contains(&n))
                .then_some(Val::Int(n))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::InputFact;
    use crate::wire::BatchInput;

    /// The table finds each of its names, and no other: names that share their length and
    /// their first and last 8 bytes (past 16 bytes), prefixes, names one byte apart, the
    /// empty name.
    #[test]
    fn a_table_of_names_finds_exactly_its_names() {
        let names: Vec<&[u8]> = vec![
            b"",
            b"a",
            b"ab",
            b"abcdefgh",
            b"abcdefghi",
            b"abcdefgh_middle_1_ijklmnop",
            b"abcdefgh_middle_2_ijklmnop",
            b"framework",
            b"frameworks",
            b"backend_frameworks_planned",
        ];
        let table = Names::new(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (Box::<[u8]>::from(*n), i))
                .collect(),
        );
        for (i, n) in names.iter().enumerate() {
            assert_eq!(table.get(n), Some(&i), "{:?}", String::from_utf8_lossy(n));
        }
        let others: Vec<&[u8]> = vec![
            b"b",
            b"abcdefgi",
            b"abcdefgh_middle_3_ijklmnop",
            b"abcdefgh_middle__ijklmnop",
            b"framewor",
            b"backend_frameworks_plannee",
        ];
        for n in others {
            assert_eq!(table.get(n), None, "{:?}", String::from_utf8_lossy(n));
        }
    }

    /// The facts-file reader's reading of `line` as a batch line: its facts, or its errors.
    fn full(kb: &KnowledgeBase, line: &str) -> Result<Vec<InputFact>, String> {
        crate::ask::batch_read(
            kb,
            BatchInput::Line(1),
            (
                "<stdin>",
                crate::ask::LineText::Text(line),
                crate::facts_file::Format::Json,
            ),
            None,
        )
    }

    /// Pieces of batch lines: keys (questions, repeated, unknown, escaped), values of every
    /// kind (allowed or not, of the right type or not, in range or not, lists with repeats,
    /// empty, nested; certainties, decimals, escapes, control characters), separators
    /// (JSON's whitespace and not).
    fn piece() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let key = prop::sample::select(vec![
            "language",
            "project_size",
            "traffic",
            "needs",
            "hosting",
            "search_engines",
            "backend_frameworks_planned",
            "wants_to_code",
            "deadline",
            "nope",
            "languag\\u0065",
        ]);
        let value = prop::sample::select(vec![
            r#""python""#,
            r#""kotlin""#,
            r#""small""#,
            r#""high""#,
            r#""relaxed""#,
            r#""auth""#,
            r#""cloud""#,
            r#""shared""#,
            r#""Python""#,
            r#""pyth\u006fn""#,
            "true",
            "false",
            "1",
            "4",
            "0",
            "-1",
            "01",
            "1.0",
            "1e2",
            "99999999999999999999",
            "null",
            "[]",
            r#"["python"]"#,
            r#"["python", "java"]"#,
            r#"["python", "python"]"#,
            r#"["auth", "pages"]"#,
            r#"["cloud"]"#,
            r#"[["python"]]"#,
            r#"[true]"#,
            r#"{"value": "python", "certainty": 0.5}"#,
            "\"py\u{1}thon\"",
            "\"é\"",
        ]);
        // Mostly answers the shipped questions allow, so that many lines read directly.
        let good = prop::sample::select(vec![
            r#""language": ["kotlin", "typescript"]"#,
            r#""language": "python""#,
            r#""project_size": "small""#,
            r#""traffic": "high""#,
            r#""deadline": "relaxed""#,
            r#""needs": ["auth", "pages"]"#,
            r#""hosting": ["cloud"]"#,
            r#""search_engines": false"#,
            r#""wants_to_code": true"#,
            r#""backend_frameworks_planned": 3"#,
        ]);
        let any = (key, value).prop_map(|(k, v)| format!("\"{k}\": {v}"));
        let sep = prop::sample::select(vec![", ", ",", " , ", ",\t", ",\u{a0}"]);
        (prop_oneof![3 => good.prop_map(String::from), 1 => any], sep)
            .prop_map(|(p, s)| format!("{s}{p}"))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// Whatever the line, the direct reader gives the facts the facts-file reader gives
        /// (the same predicates and values, in the same order, each certain) or leaves the
        /// line to it; and it reads the plain lines W7 sends.
        #[test]
        fn direct_reading_agrees_with_the_facts_file_reader(
            pieces in proptest::collection::vec(piece(), 0..6),
            ws in proptest::sample::select(vec!["", " ", "\r", "\u{feff}"]),
        ) {
            let kb = kb();
            let sets = crate::ask::sets::SetProgram::of(kb).expect("the shipped rules are rewritten");
            let body: String = pieces.concat();
            let line = format!("{ws}{{{}}}{ws}", body.trim_start_matches(|c: char| c != '"'));
            let mut out = Vec::new();
            let direct = sets.answers().read(&line, &mut out);
            let full = full(kb, &line);
            if direct.is_some() {
                let facts = full.map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{line}: the full reader refuses it: {e}")))?;
                let expected: Vec<(PredId, Val)> = facts
                    .iter()
                    .map(|f| {
                        proptest::prop_assert_eq!(f.certainty, 1.0);
                        proptest::prop_assert_eq!(f.args.len(), 1);
                        let k = sets.kb().known_pred(&f.pred, 2).expect("a question's predicate");
                        let v = sets.kb().known_value(&f.args[0]).expect("a known value");
                        Ok((k, v))
                    })
                    .collect::<Result<_, _>>()?;
                proptest::prop_assert_eq!(out, expected, "{}", line);
            }
        }
    }

    fn kb() -> &'static KnowledgeBase {
        static KB: std::sync::OnceLock<KnowledgeBase> = std::sync::OnceLock::new();
        KB.get_or_init(|| KnowledgeBase::embedded().expect("the shipped rules compile"))
    }

    /// Not vacuous: a line as W7 draws them (`bench/run.py`) reads directly, and lines the
    /// facts-file reader refuses never do.
    #[test]
    fn plain_lines_read_directly_and_wrong_ones_never() {
        let kb = kb();
        let sets = crate::ask::sets::SetProgram::of(kb).expect("rewritten");
        let mut out = Vec::new();
        let plain = r#"{"language": ["kotlin", "typescript"], "project_size": "small", "traffic": "high", "database": "none", "orm": "builtin", "experience": "beginner", "deadline": "relaxed", "needs": ["auth", "pages"], "hosting": ["cloud", "shared"], "stage": "prototype", "search_engines": false, "many_services": true, "frontend": "other", "performance_critical": false, "opinionated": false, "backend_frameworks_planned": 1, "wants_to_code": true}"#;
        assert!(sets.answers().read(plain, &mut out).is_some());
        assert_eq!(out.len(), 20);
        assert!(full(kb, plain).is_ok());
        for wrong in [
            r#"{"language": "cobol"}"#,
            r#"{"project_size": ["small"]}"#,
            r#"{"backend_frameworks_planned": 0}"#,
            r#"{"needs": ["auth", "auth"]}"#,
            r#"{"traffic": "high", "traffic": "low"}"#,
            r#"{"search_engines": "yes"}"#,
            r#"{"nope": true}"#,
        ] {
            assert!(sets.answers().read(wrong, &mut out).is_none(), "{wrong}");
            assert!(full(kb, wrong).is_err(), "{wrong}");
        }
    }

    /// Questions whose answers this reader cannot check exactly as the facts-file reader
    /// does are left to it: bounds past 2^53 (compared there as decimals), strings,
    /// symbols without a list of allowed ones, a question no rule reads. Their lines read
    /// the full way and still give the reader's facts.
    #[test]
    fn questions_it_cannot_check_exactly_are_left_to_the_reader() {
        let text = r#"
question huge "H?" integer from 0 to 90071992547409930
question label "L?" string
question free "F?" symbol
question unread "U?" boolean
question ok "O?" integer from 1 to 9
rule r when huge(H) and label(L) and free(F) and ok(O) then seen(H, L, F, O)
output seen(H, L, F, O) "seen"
"#;
        let kb = KnowledgeBase::from_sources(&[("t.rules", text)]).expect("compiles");
        let sets = crate::ask::sets::SetProgram::of(&kb).expect("rewritten");
        let mut out = Vec::new();
        assert!(sets.answers().read(r#"{"ok": 3}"#, &mut out).is_some());
        for line in [
            r#"{"huge": 3}"#,
            r#"{"label": "x"}"#,
            r#"{"free": "x"}"#,
            r#"{"unread": true}"#,
            r#"{"ok": 3, "huge": 3}"#,
        ] {
            assert!(sets.answers().read(line, &mut out).is_none(), "{line}");
            assert!(full(&kb, line).is_ok(), "{line}");
        }
    }
}
