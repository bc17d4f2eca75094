//! One rule file, start to end: scan it, cut it into items, group the items, parse each
//! group (plain facts and rules by the fast path, the rest by the general parser; large
//! files in parallel), then attach doc comments.

use super::fast;
use super::lower::{self, Entry};
use super::scan::{scan, scan_parallel, Scanned};
use crate::ast::*;
use crate::diag::{Bounded, Diagnostic};
use crate::span::{FileId, SourceFile, Span};

/// About how much text one parser call takes.
const GROUP_BYTES: usize = 64 * 1024;

/// Files larger than this may be parsed in parallel (see `parse_module_with`).
pub(super) const PARALLEL_BYTES: usize = 256 * 1024;

/// Parse one rule file. Returns what could be parsed and every syntax diagnostic.
pub fn parse_module(file: FileId, src: &SourceFile) -> (Module, Vec<Diagnostic>) {
    parse_module_with(file, src, true, true)
}

/// [`parse_module`], with the fast path for plain items and parallel parsing on or off
/// (tests compare them).
pub(super) fn parse_module_with(
    file: FileId,
    src: &SourceFile,
    fast_path: bool,
    parallel: bool,
) -> (Module, Vec<Diagnostic>) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parallel = parallel && src.text().len() > PARALLEL_BYTES && threads > 1;
    let Scanned {
        comments,
        starts,
        diags: all_diags,
    } = if parallel {
        scan_parallel(file, src, threads)
    } else {
        scan(file, src)
    };
    let mut module = Module {
        items: Items::default(),
        facts: Facts::default(),
        comments,
    };
    if !all_diags.is_empty() {
        return (module, all_diags);
    }
    let text: &str = src.text();
    // Item `k` is `text[bounds[k]..bounds[k + 1]]` (the scan's vector, reused: large files
    // have hundreds of thousands of items).
    let mut bounds = starts;
    let gap = bounds.first() != Some(&0);
    if gap {
        bounds.insert(0, 0);
    }
    bounds.push(text.len() as u32);
    let bounds = &bounds[..];
    let at = |k: usize| bounds[k] as usize;
    // Items are parsed in groups of about GROUP_BYTES (one parser call per group is much
    // cheaper than one per item); a group that fails is parsed again item by item, so every
    // item's syntax error is reported. A group is the slice of `bounds` around its items.
    let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
    let mut size = usize::MAX;
    for k in 0..bounds.len() - 1 {
        if size >= GROUP_BYTES {
            groups.push(k..k);
            size = 0;
        }
        size += at(k + 1) - at(k);
        groups.last_mut().expect("a group").end = k + 1;
    }
    // Items parsed, in order: facts in the group's fact chunk, everything else in its items.
    #[derive(Default)]
    struct Parsed {
        items: Vec<Item>,
        facts: FactChunk,
        diags: Vec<Diagnostic>,
    }
    // Parse `text[start..end]` with the general parser into `out`; on a syntax error
    // nothing is added.
    let parse =
        |start: usize, end: usize, entry: Entry, out: &mut Parsed| -> Result<(), Diagnostic> {
            let diags =
                lower::parse_items(file, src, start, end, entry, &mut out.items, &mut out.facts)?;
            out.diags.extend(diags);
            Ok(())
        };
    // Parse items `first..end` in one parser call (item by item if that fails).
    let parse_run = |items: std::ops::Range<usize>, out: &mut Parsed| {
        let (start, end) = (at(items.start), at(items.end));
        let entry = if items.len() == 1 {
            Entry::Item
        } else {
            // The text before the first keyword holds no item.
            Entry::Items(items.len() - usize::from(items.start == 0 && gap))
        };
        match parse(start, end, entry, out) {
            Ok(()) => {}
            Err(e) if items.len() == 1 => out.diags.push(e),
            Err(_) => {
                for k in items {
                    if let Err(d) = parse(at(k), at(k + 1), Entry::Item, out) {
                        out.diags.push(d);
                    }
                }
            }
        }
    };
    // A group's plain facts and rules take the fast path (`fast.rs`); each run of other items
    // between them goes to the parser in one call.
    let parse_group = |group: &std::ops::Range<usize>| -> Parsed {
        let mut out = Parsed::default();
        if !fast_path {
            parse_run(group.clone(), &mut out);
            out.facts.finish();
            return out;
        }
        // At most one fact an item, and a value per comma and per item.
        let text = &src.text()[at(group.start)..at(group.end)];
        let commas = memchr::memchr_iter(b',', text.as_bytes()).count();
        out.facts.reserve(group.len(), commas + group.len());
        // A fast item that ends a run of others waits here until the run is parsed.
        let mut after_run = Parsed::default();
        let mut run_start = group.start;
        // One step past the end flushes the last run.
        for k in group.start..=group.end {
            let fast = k < group.end && {
                let to = if run_start < k {
                    &mut after_run
                } else {
                    &mut out
                };
                let (s, e) = (at(k), at(k + 1));
                fast::item(file, src, s, e, &mut to.items, &mut to.facts)
            };
            if !fast && k < group.end {
                continue;
            }
            if run_start < k {
                parse_run(run_start..k, &mut out);
                out.items.append(&mut after_run.items);
                out.facts.append(std::mem::take(&mut after_run.facts));
            }
            run_start = k + 1;
        }
        out.facts.finish();
        out
    };
    // Large files are parsed in parallel: the first group here, then one share of the
    // remaining groups per core, by scoped threads, this one taking the first share. (Files
    // the fast path took almost whole used to stay on this thread, as mimalloc kept the
    // blocks freed by other threads from this one, raising the peak by 10-30 MiB; chunk
    // tables are large blocks, which come from the system allocator now (src/main.rs). W3's
    // 78 MB of facts: parse 577 -> 415 ms, peak 613 -> 599 MB; W1's 100,000 rules +3 MB.)
    // Each share's syntax errors are bounded as they come (a file of a million broken
    // items gave a million diagnostics, 490 MB): see `Bounded`.
    let parse_share = |share: &[std::ops::Range<usize>]| -> (Vec<Parsed>, Vec<Diagnostic>) {
        let mut diags = Bounded::default();
        let parsed = share
            .iter()
            .map(|g| {
                let mut p = parse_group(g);
                diags.add(std::mem::take(&mut p.diags));
                p
            })
            .collect();
        (parsed, diags.finish())
    };
    let mut results: Vec<(Vec<Parsed>, Vec<Diagnostic>)> = Vec::new();
    let mut rest = &groups[..];
    if let Some((first, others)) = groups.split_first() {
        results.push(parse_share(std::slice::from_ref(first)));
        rest = others;
    }
    if parallel && !rest.is_empty() {
        let share = rest.len().div_ceil(threads);
        let mut shares = rest.chunks(share);
        let mine = shares.next().unwrap_or(&[]);
        std::thread::scope(|scope| {
            let others: Vec<_> = shares.map(|sh| scope.spawn(|| parse_share(sh))).collect();
            results.push(parse_share(mine));
            for h in others {
                results.push(h.join().expect("a parser thread does not panic"));
            }
        });
    } else {
        results.push(parse_share(rest));
    }
    let mut diags = Bounded::default();
    diags.add(all_diags);
    for (parsed, share_diags) in results {
        for p in parsed {
            module.items.push_chunk(p.items);
            module.facts.push_chunk(p.facts);
        }
        diags.add(share_diags);
    }
    let all_diags = diags.finish();
    attach_docs(&mut module);
    (module, all_diags)
}

/// Give each item and fact the `##` comments between the previous one and itself.
fn attach_docs(module: &mut Module) {
    let docs: Vec<(u32, String)> = module
        .comments
        .iter()
        .filter(|c| c.node.doc)
        .map(|c| (c.span.start, c.node.text.clone()))
        .collect();
    if docs.is_empty() {
        return;
    }
    // Items and facts are each in file order; walk them merged.
    enum At {
        Item(usize),
        Fact(usize, usize),
    }
    let mut order: Vec<(Span, At)> = module
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.span(), At::Item(i)))
        .collect();
    for (c, chunk) in module.facts.chunks().iter().enumerate() {
        order.extend(
            chunk
                .iter()
                .enumerate()
                .map(|(r, f)| (f.span(), At::Fact(c, r))),
        );
    }
    order.sort_by_key(|(s, _)| s.start);
    let mut given: Vec<(usize, Vec<String>)> = Vec::new();
    let mut prev_end = 0;
    let mut i = 0;
    for (span, at) in order {
        let mut mine = Vec::new();
        while i < docs.len() && docs[i].0 < span.start {
            if docs[i].0 >= prev_end {
                mine.push(docs[i].1.clone());
            }
            i += 1;
        }
        prev_end = span.end;
        match at {
            At::Item(k) => given.push((k, mine)),
            At::Fact(c, r) => module.facts.chunks_mut()[c].set_docs(r, mine),
        }
    }
    given.sort_by_key(|(k, _)| *k);
    for (item, (_, mine)) in module.items.iter_mut().zip(given) {
        match item {
            Item::Rule(r) => r.docs = mine,
            Item::Question(q) => q.docs = mine,
            Item::Output(o) => o.docs = mine,
            Item::Name(n) => n.docs = mine,
            Item::Advice(a) => a.docs = mine,
            Item::Threshold(t) => t.docs = mine,
        }
    }
}
