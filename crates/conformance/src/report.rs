//! A run's results: a readable text report and JUnit XML for CI systems.

use std::fmt::Write as _;

use crate::cases::Verdict;

/// One reported check.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Group (`errcodes`, `sequences`, `concurrency`).
    pub suite: String,
    /// The check's name.
    pub name: String,
    /// What it covers (for the text report).
    pub about: String,
    /// How it ended.
    pub verdict: Verdict,
    /// Seconds taken.
    pub seconds: f64,
}

/// Every check of a run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The checks in run order.
    pub entries: Vec<Entry>,
}

impl Report {
    /// Adds a check.
    pub fn push(
        &mut self,
        suite: &str,
        name: impl Into<String>,
        about: impl Into<String>,
        verdict: Verdict,
        seconds: f64,
    ) {
        self.entries.push(Entry { suite: suite.to_owned(), name: name.into(), about: about.into(), verdict, seconds });
    }

    /// (passed, failed, skipped).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for e in &self.entries {
            match e.verdict {
                Verdict::Pass => counts.0 += 1,
                Verdict::Fail(_) => counts.1 += 1,
                Verdict::Skip(_) => counts.2 += 1,
            }
        }
        counts
    }

    /// `true` when nothing failed.
    pub fn passed(&self) -> bool {
        self.counts().1 == 0
    }

    /// The text report: one line per check, details of failures and skips, and a closing
    /// `N passed, N failed, N skipped` line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut suite = "";
        for e in &self.entries {
            if e.suite != suite {
                suite = &e.suite;
                let _ = writeln!(out, "\n== {suite}");
            }
            let mark = match &e.verdict {
                Verdict::Pass => "ok  ",
                Verdict::Fail(_) => "FAIL",
                Verdict::Skip(_) => "skip",
            };
            let _ = writeln!(out, "{mark} {}  ({})", e.name, e.about);
            match &e.verdict {
                Verdict::Fail(why) | Verdict::Skip(why) => {
                    for line in why.lines() {
                        let _ = writeln!(out, "       {line}");
                    }
                }
                Verdict::Pass => {}
            }
        }
        let (passed, failed, skipped) = self.counts();
        let _ = writeln!(out, "\n{passed} passed, {failed} failed, {skipped} skipped");
        out
    }

    /// JUnit XML: one `<testsuite>` per suite.
    pub fn junit(&self) -> String {
        let mut suites: Vec<&str> = Vec::new();
        for e in &self.entries {
            if !suites.contains(&e.suite.as_str()) {
                suites.push(&e.suite);
            }
        }
        let (passed, failed, skipped) = self.counts();
        let total_time: f64 = self.entries.iter().map(|e| e.seconds).sum();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"wecom-conformance\" tests=\"{}\" failures=\"{failed}\" skipped=\"{skipped}\" time=\"{total_time:.3}\">",
            passed + failed + skipped
        );
        for suite in suites {
            let entries: Vec<&Entry> = self.entries.iter().filter(|e| e.suite == suite).collect();
            let failures = entries.iter().filter(|e| matches!(e.verdict, Verdict::Fail(_))).count();
            let skips = entries.iter().filter(|e| matches!(e.verdict, Verdict::Skip(_))).count();
            let time: f64 = entries.iter().map(|e| e.seconds).sum();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skips}\" time=\"{time:.3}\">",
                xml(suite),
                entries.len()
            );
            for e in entries {
                let _ = write!(
                    out,
                    "    <testcase classname=\"wecom-conformance.{}\" name=\"{}\" time=\"{:.3}\"",
                    xml(suite),
                    xml(&e.name),
                    e.seconds
                );
                match &e.verdict {
                    Verdict::Pass => out.push_str(" />\n"),
                    Verdict::Fail(why) => {
                        let _ = writeln!(
                            out,
                            ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                            xml(why.lines().next().unwrap_or_default()),
                            xml(why)
                        );
                    }
                    Verdict::Skip(why) => {
                        let _ = writeln!(out, ">\n      <skipped message=\"{}\" />\n    </testcase>", xml(why));
                    }
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

/// Escapes text for XML attributes and content.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_escapes_and_counts() {
        let mut report = Report::default();
        report.push("errcodes", "a <b>", "row", Verdict::Pass, 0.1);
        report.push("errcodes", "c", "row", Verdict::Fail("expected \"x\" & y".into()), 0.2);
        report.push("sequences", "d", "row", Verdict::Skip("no control".into()), 0.0);
        let xml = report.junit();
        assert!(xml.contains("tests=\"3\" failures=\"1\" skipped=\"1\""), "{xml}");
        assert!(xml.contains("name=\"a &lt;b&gt;\""), "{xml}");
        assert!(xml.contains("expected &quot;x&quot; &amp; y"), "{xml}");
        assert!(report.text().ends_with("1 passed, 1 failed, 1 skipped\n"));
    }
}
