//! The contribution graph: who contributed what, and what depends on what.
//!
//! Nodes are contributors, commits, files, symbols and external packages; edges are
//! `authored` (a person to the commits, files and symbols whose current lines they wrote,
//! weighted by credited lines), `introduced` (a commit to a file, weighted by the lines of
//! the file it owns now), `contains` (a file to its symbols, weighted by their lines) and
//! `depends_on` (a file to the files it imports and a manifest to the packages it declares).
//! The Shapley layer reads dependency closures from it.
//!
//! Invariants: node ids are stable strings (`person:<email>`, `commit:<sha>`,
//! `file:<path>`, `symbol:<path>#<qualified name>@<line>`, `package:<ecosystem>:<name>`);
//! adding an edge that exists adds to its weight; every listing is sorted, never in
//! insertion or hash order.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    Contributor,
    Commit,
    File,
    Symbol,
    Package,
}

impl NodeKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            NodeKind::Contributor => "contributor",
            NodeKind::Commit => "commit",
            NodeKind::File => "file",
            NodeKind::Symbol => "symbol",
            NodeKind::Package => "package",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeKind {
    Authored,
    Introduced,
    Contains,
    DependsOn,
}

impl EdgeKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            EdgeKind::Authored => "authored",
            EdgeKind::Introduced => "introduced",
            EdgeKind::Contains => "contains",
            EdgeKind::DependsOn => "depends_on",
        }
    }
}

/// A node: its id, kind, a label for people, and extra facts (sorted by key).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    pub label: String,
    pub attrs: BTreeMap<String, String>,
}

/// An edge as listed: ids of both ends, its kind and weight.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeView<'g> {
    pub from: &'g str,
    pub to: &'g str,
    pub kind: EdgeKind,
    pub weight: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Edge {
    kind: EdgeKind,
    weight: f64,
}

#[derive(Debug, Default)]
pub struct ContributionGraph {
    graph: DiGraph<Node, Edge>,
    by_id: HashMap<String, NodeIndex>,
}

impl ContributionGraph {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a node, or returns the one with that id (keeping its first label and attrs).
    pub fn node(&mut self, id: String, kind: NodeKind, label: impl Into<String>) -> NodeIndex {
        if let Some(&ix) = self.by_id.get(&id) {
            return ix;
        }
        let ix = self.graph.add_node(Node {
            id: id.clone(),
            kind,
            label: label.into(),
            attrs: BTreeMap::new(),
        });
        self.by_id.insert(id, ix);
        ix
    }

    pub fn set_attr(&mut self, node: NodeIndex, key: &str, value: impl Into<String>) {
        self.graph[node].attrs.insert(key.to_owned(), value.into());
    }

    /// Adds `weight` to the edge `from → to` of `kind`, creating it if needed.
    pub fn edge(&mut self, from: NodeIndex, to: NodeIndex, kind: EdgeKind, weight: f64) {
        let existing = self
            .graph
            .edges_connecting(from, to)
            .find(|e| e.weight().kind == kind)
            .map(|e| e.id());
        match existing {
            Some(e) => self.graph[e].weight += weight,
            None => {
                self.graph.add_edge(from, to, Edge { kind, weight });
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<&Node> {
        self.by_id.get(id).map(|&ix| &self.graph[ix])
    }

    /// Nodes sorted by id.
    pub fn nodes(&self) -> Vec<&Node> {
        let mut nodes: Vec<&Node> = self.graph.node_weights().collect();
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        nodes
    }

    /// Edges sorted by (from, to, kind).
    pub fn edges(&self) -> Vec<EdgeView<'_>> {
        let mut edges: Vec<EdgeView<'_>> = self
            .graph
            .edge_references()
            .map(|e| EdgeView {
                from: &self.graph[e.source()].id,
                to: &self.graph[e.target()].id,
                kind: e.weight().kind,
                weight: e.weight().weight,
            })
            .collect();
        edges.sort_by(|a, b| (a.from, a.to, a.kind).cmp(&(b.from, b.to, b.kind)));
        edges
    }

    /// Counts of nodes per kind, for summaries.
    pub fn counts(&self) -> BTreeMap<NodeKind, usize> {
        let mut counts = BTreeMap::new();
        for n in self.graph.node_weights() {
            *counts.entry(n.kind).or_default() += 1;
        }
        counts
    }

    /// Every node reachable from `id` along `depends_on` edges, `id` included: the
    /// dependency closure D(c) the Shapley layer splits revenue over.
    pub fn dependency_closure(&self, id: &str) -> BTreeSet<String> {
        let Some(&start) = self.by_id.get(id) else {
            return BTreeSet::new();
        };
        let mut seen = BTreeSet::new();
        let mut stack = vec![start];
        while let Some(ix) = stack.pop() {
            if !seen.insert(self.graph[ix].id.clone()) {
                continue;
            }
            for e in self.graph.edges_directed(ix, Direction::Outgoing) {
                if e.weight().kind == EdgeKind::DependsOn {
                    stack.push(e.target());
                }
            }
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_accumulate_and_listings_are_sorted() {
        let mut g = ContributionGraph::new();
        let b = g.node("file:b.rs".into(), NodeKind::File, "b.rs");
        let a = g.node("file:a.rs".into(), NodeKind::File, "a.rs");
        let p = g.node("person:x@example.com".into(), NodeKind::Contributor, "X");
        assert_eq!(g.node("file:a.rs".into(), NodeKind::File, "other"), a);
        g.edge(p, a, EdgeKind::Authored, 1.5);
        g.edge(p, a, EdgeKind::Authored, 2.0);
        g.edge(a, b, EdgeKind::DependsOn, 1.0);
        let ids: Vec<&str> = g.nodes().iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["file:a.rs", "file:b.rs", "person:x@example.com"]);
        let edges: Vec<(&str, &str, &str, f64)> = g
            .edges()
            .iter()
            .map(|e| (e.from, e.to, e.kind.as_str(), e.weight))
            .collect();
        assert_eq!(
            edges,
            [
                ("file:a.rs", "file:b.rs", "depends_on", 1.0),
                ("person:x@example.com", "file:a.rs", "authored", 3.5)
            ]
        );
    }

    #[test]
    fn dependency_closure_follows_only_depends_on() {
        let mut g = ContributionGraph::new();
        let ids = ["file:a", "file:b", "file:c", "package:cargo:serde"];
        let n: Vec<NodeIndex> = ids
            .iter()
            .map(|id| g.node((*id).into(), NodeKind::File, *id))
            .collect();
        g.edge(n[0], n[1], EdgeKind::DependsOn, 1.0);
        g.edge(n[1], n[3], EdgeKind::DependsOn, 1.0);
        g.edge(n[1], n[0], EdgeKind::DependsOn, 1.0); // a cycle
        g.edge(n[2], n[0], EdgeKind::Contains, 1.0);
        let closure: Vec<String> = g.dependency_closure("file:a").into_iter().collect();
        assert_eq!(closure, ["file:a", "file:b", "package:cargo:serde"]);
        assert!(g.dependency_closure("file:missing").is_empty());
    }
}
