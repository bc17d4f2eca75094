//! Test results for a person (text), and as JUnit XML for CI systems (JSON is the model
//! serialised).

use super::{CaseResult, SuiteResult};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

/// One line per case; each failed expectation with its place, what was expected and what
/// the run gave (a golden file's difference as a diff); then the totals.
pub fn text(r: &SuiteResult) -> String {
    let mut s = String::new();
    for c in &r.cases {
        let failed: Vec<_> = c.expectations.iter().filter(|o| !o.passed).collect();
        let n = c.expectations.len();
        if failed.is_empty() {
            let updated = c.expectations.iter().filter(|o| o.updated).count();
            s.push_str(&format!(
                "ok    {}  ({n} expectation{}{})\n",
                c.file,
                if n == 1 { "" } else { "s" },
                if updated > 0 {
                    format!(
                        ", {updated} golden file{} written",
                        if updated == 1 { "" } else { "s" }
                    )
                } else {
                    String::new()
                }
            ));
            continue;
        }
        s.push_str(&format!(
            "FAIL  {}  ({} of {n} failed)\n",
            c.file,
            failed.len()
        ));
        if !c.description.is_empty() {
            s.push_str(&format!("      {}\n", c.description));
        }
        for o in failed {
            s.push_str(&format!("  {}:{}: {}\n", c.file, o.line, o.text));
            if let Some(e) = &o.expected {
                s.push_str(&format!("    expected: {e}\n"));
            }
            if let Some(g) = &o.got {
                s.push_str(&format!("    got:      {g}\n"));
            }
            if let Some(d) = &o.diff {
                for l in d.lines() {
                    s.push_str(&format!("    {l}\n"));
                }
            }
        }
    }
    let total = r.cases.len();
    s.push_str(&format!(
        "\n{}: {} of {total} case{} passed{}{}\n",
        if r.failed == 0 { "ok" } else { "FAILED" },
        r.passed,
        if total == 1 { "" } else { "s" },
        if r.failed > 0 {
            format!(", {} failed", r.failed)
        } else {
            String::new()
        },
        if r.updated > 0 {
            format!(
                "; {} golden file{} written",
                r.updated,
                if r.updated == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        }
    ));
    if r.cases.iter().any(|c| {
        c.expectations
            .iter()
            .any(|o| o.diff.is_some() || o.actual.is_some())
    }) {
        s.push_str("golden files that differ: `because test --update` rewrites them, `--review` asks for each\n");
    }
    s
}

/// JUnit XML: one test suite per case file, one test case per expectation.
pub fn junit(r: &SuiteResult) -> String {
    let mut report = Report::new("because test");
    for c in &r.cases {
        report.add_test_suite(suite(c));
    }
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- the report could not be written: {e} -->\n"))
}

fn suite(c: &CaseResult) -> TestSuite {
    let mut suite = TestSuite::new(c.file.as_str());
    for o in &c.expectations {
        let status = if o.passed {
            TestCaseStatus::success()
        } else {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let mut msg = String::new();
            if let Some(e) = &o.expected {
                msg.push_str(&format!("expected: {e}"));
            }
            if let Some(g) = &o.got {
                msg.push_str(&format!("; got: {g}"));
            }
            st.set_message(msg);
            if let Some(d) = &o.diff {
                st.set_description(d.as_str());
            }
            st
        };
        let mut tc = TestCase::new(format!("line {}: {}", o.line, o.text), status);
        tc.set_classname(c.file.as_str());
        suite.add_test_case(tc);
    }
    suite
}
