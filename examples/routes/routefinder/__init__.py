"""Shortest routes between towns on a road map with distances in km."""

from routefinder.roads import NoRouteError, RoadMap, distance, route, shortest_paths

__all__ = ["NoRouteError", "RoadMap", "distance", "route", "shortest_paths"]
