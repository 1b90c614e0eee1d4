"""Undirected network graphs: hop-count shortest paths, reachability and components."""

from netpaths.graph import Graph, build_graph, degrees, edge_count, parse_edges
from netpaths.search import components, hop_count, reachable, shortest_path

__all__ = [
    "Graph",
    "build_graph",
    "components",
    "degrees",
    "edge_count",
    "hop_count",
    "parse_edges",
    "reachable",
    "shortest_path",
]
