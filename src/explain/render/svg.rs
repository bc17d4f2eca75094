//! Explanations as SVG pictures, laid out by `layout-rs` (a Sugiyama-style layered layout,
//! no Graphviz needed). The conclusion is at the top and the answers given at the bottom;
//! arrows point from what supports to what is supported, labelled with the certainty each
//! piece of evidence adds; evidence against is dashed and red.

use crate::explain::contrast::Contrast;
use crate::explain::fmt_cf;
use crate::explain::how::{Condition, How};
use crate::explain::query::Reason;
use layout::backends::svg::SVGWriter;
use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::render::get_shape_size;
use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
use layout::topo::layout::VisualGraph;
use std::collections::BTreeMap;

/// The most boxes a picture holds: past this, a layered layout is slow and the picture is
/// unreadable (`--depth` cuts a tree; DOT has no such limit).
pub const MAX_NODES: usize = 400;

/// Why a picture could not be drawn.
#[derive(Debug)]
pub struct TooLarge {
    pub nodes: usize,
}

const FONT: usize = 12;
const SMALL_FONT: usize = 10;
const RED: &str = "#c0392b";

/// Picture being built: boxes added top to bottom, edges from the supported to the support
/// (drawn with the arrowhead at the supported end, so arrows point up).
struct Picture {
    vg: VisualGraph,
    nodes: usize,
}

impl Picture {
    fn new() -> Picture {
        Picture {
            vg: VisualGraph::new(Orientation::TopToBottom),
            nodes: 0,
        }
    }

    fn node(&mut self, shape: ShapeKind, font: usize, fill: &str, width: usize) -> usize {
        let look = StyleAttr::new(
            Color::fast("black"),
            width,
            Some(Color::fast(fill)),
            if matches!(shape, ShapeKind::Box(_)) {
                4
            } else {
                0
            },
            font,
        );
        let dir = Orientation::LeftToRight;
        let size = get_shape_size(dir, &shape, font, false);
        self.nodes += 1;
        self.vg
            .add_node(Element::create(shape, look, dir, size))
            .get_index()
    }

    /// An edge from `upper` (what is supported) to `lower` (its support), labelled.
    fn edge(&mut self, upper: usize, lower: usize, label: &str, against: bool) {
        let colour = if against { RED } else { "black" };
        let look = StyleAttr::new(Color::fast(colour), 1, None, 0, SMALL_FONT);
        let style = if against {
            LineStyleKind::Dashed
        } else {
            LineStyleKind::Normal
        };
        let arrow = Arrow::new(
            LineEndKind::Arrow,
            LineEndKind::None,
            style,
            label,
            &look,
            &None,
            &None,
        );
        let (u, l) = (
            layout::adt::dag::NodeHandle::from(upper),
            layout::adt::dag::NodeHandle::from(lower),
        );
        self.vg.add_edge(arrow, u, l);
    }

    fn finish(mut self) -> Result<String, TooLarge> {
        if self.nodes > MAX_NODES {
            return Err(TooLarge { nodes: self.nodes });
        }
        let mut svg = SVGWriter::new();
        self.vg.do_it(false, false, false, &mut svg);
        // The writer sizes the canvas as if each line of text stood ten pixels per character
        // tall, which leaves most of a picture blank: size it to the laid-out boxes instead.
        let (mut w, mut h) = (0.0f64, 0.0f64);
        for n in self.vg.iter_nodes() {
            let (_, bottom_right) = self.vg.pos(n).bbox(true);
            w = w.max(bottom_right.x);
            h = h.max(bottom_right.y);
        }
        Ok(resized(&stable(&svg.finalize()), w + 10.0, h + 10.0))
    }
}

/// `svg` with its canvas set to `w` × `h`.
fn resized(svg: &str, w: f64, h: f64) -> String {
    let Some(start) = svg.find("<svg width=") else {
        return svg.to_string();
    };
    let Some(len) = svg[start..].find('>') else {
        return svg.to_string();
    };
    let (w, h) = (w.ceil(), h.ceil());
    format!(
        "{}<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">{}",
        &svg[..start],
        &svg[start + len + 1..]
    )
}

/// The writer lists its font classes from a hash map, in an order that changes from run to
/// run; sorted, the same picture is the same bytes.
fn stable(svg: &str) -> String {
    let (Some(a), Some(b)) = (svg.find("<style>\n"), svg.find("</style>\n")) else {
        return svg.to_string();
    };
    let a = a + "<style>\n".len();
    if b < a {
        return svg.to_string();
    }
    let mut lines: Vec<&str> = svg[a..b].lines().collect();
    lines.sort_unstable();
    let mut out = String::with_capacity(svg.len());
    out.push_str(&svg[..a]);
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&svg[b..]);
    out
}

/// Break `text` into lines of about `width` characters at spaces.
fn wrap(text: &str, width: usize) -> String {
    super::dot::wrap(text, width)
}

fn signed(cf: f64) -> String {
    format!("{}{}", if cf < 0.0 { "-" } else { "+" }, fmt_cf(cf.abs()))
}

/// A contrast: the two conclusions side by side at the top, each reason below, joined to
/// the side(s) it counts for.
pub fn contrast(c: &Contrast) -> Result<String, TooLarge> {
    let mut p = Picture::new();
    let side = |p: &mut Picture, s: &crate::explain::contrast::Side| {
        p.node(
            ShapeKind::new_circle(&format!(
                "{}\ncertainty {}",
                wrap(&s.name, 28),
                fmt_cf(s.certainty)
            )),
            FONT,
            "white",
            2,
        )
    };
    let (a, b) = (side(&mut p, &c.fact), side(&mut p, &c.over));
    let reason = |p: &mut Picture, r: &Reason| {
        p.node(
            ShapeKind::new_box(&wrap(&r.text, 40)),
            SMALL_FONT,
            "#f7f7f7",
            1,
        )
    };
    for s in &c.both {
        let id = reason(&mut p, &s.fact);
        p.edge(a, id, &signed(s.fact.certainty), s.fact.certainty < 0.0);
        p.edge(b, id, &signed(s.over.certainty), s.over.certainty < 0.0);
    }
    for (to, list) in [
        (a, &c.only_fact),
        (b, &c.only_over),
        (a, &c.against_fact),
        (b, &c.against_over),
    ] {
        for r in list {
            let id = reason(&mut p, r);
            p.edge(to, id, &signed(r.certainty), r.certainty < 0.0);
        }
    }
    p.finish()
}

/// How facts were concluded: each fact (given answers boxed and grey, conclusions as
/// ellipses), each derivation as a box with its reason, and the facts it rests on below.
pub fn how(trees: &[&How]) -> Result<String, TooLarge> {
    let mut p = Picture::new();
    // Facts are merged across trees by their text; derivations by rule and premises.
    let mut facts: BTreeMap<String, usize> = BTreeMap::new();
    let mut derivations: BTreeMap<String, usize> = BTreeMap::new();
    let mut fact_node = |p: &mut Picture, fact: &str, words: &str, cf: f64, given: bool| {
        if let Some(&id) = facts.get(fact) {
            return id;
        }
        let label = format!("{}\ncertainty {}", wrap(words, 32), fmt_cf(cf));
        let id = if given {
            p.node(ShapeKind::new_box(&label), FONT, "#e6e6e6", 1)
        } else {
            p.node(ShapeKind::new_circle(&label), FONT, "white", 2)
        };
        facts.insert(fact.to_string(), id);
        id
    };
    let mut cut = false;
    for h in trees {
        let by_fact: BTreeMap<&str, &crate::explain::how::Node> =
            h.nodes.iter().map(|n| (n.fact.as_str(), n)).collect();
        for n in &h.nodes {
            let upper = fact_node(
                &mut p,
                &n.fact,
                &n.words,
                n.certainty,
                !n.given.is_empty() && n.derivations.is_empty(),
            );
            if p.nodes > MAX_NODES {
                cut = true;
                break;
            }
            for d in &n.derivations {
                let premises: Vec<&str> = d
                    .conditions
                    .iter()
                    .filter_map(|c| match c {
                        Condition::Fact { fact, .. } => Some(fact.as_str()),
                        _ => None,
                    })
                    .collect();
                let key = format!("{} <- {} [{}]", n.fact, premises.join(", "), d.rule.name);
                if derivations.contains_key(&key) {
                    continue;
                }
                let text = d.reason.clone().unwrap_or_else(|| d.rule.name.clone());
                let id = p.node(
                    ShapeKind::new_box(&format!("{}\n({})", wrap(&text, 40), d.rule.name)),
                    SMALL_FONT,
                    "#f7f7f7",
                    1,
                );
                derivations.insert(key, id);
                p.edge(upper, id, &signed(d.certainty), d.certainty < 0.0);
                for prem in premises {
                    let (words, cf, given) = by_fact.get(prem).map_or((prem, 1.0, true), |m| {
                        (
                            m.words.as_str(),
                            m.certainty,
                            !m.given.is_empty() && m.derivations.is_empty(),
                        )
                    });
                    let below = fact_node(&mut p, prem, words, cf, given);
                    p.edge(id, below, "", false);
                }
            }
        }
    }
    if cut {
        return Err(TooLarge { nodes: p.nodes });
    }
    p.finish()
}
