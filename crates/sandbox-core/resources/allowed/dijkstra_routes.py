# Finds shortest road routes between towns with Dijkstra's algorithm on a heapq priority queue.
import heapq
from typing import Dict, List, Optional, Tuple

Graph = Dict[str, Dict[str, int]]

ROADS: List[Tuple[str, str, int]] = [
    ("Avon", "Brook", 7), ("Avon", "Cliff", 9), ("Avon", "Fenn", 14),
    ("Brook", "Cliff", 10), ("Brook", "Dale", 15), ("Cliff", "Dale", 11),
    ("Cliff", "Fenn", 2), ("Dale", "Eden", 6), ("Eden", "Fenn", 9),
    ("Glen", "Hale", 3),
]


def build_graph(roads: List[Tuple[str, str, int]]) -> Graph:
    graph: Graph = {}
    for a, b, km in roads:
        graph.setdefault(a, {})[b] = km
        graph.setdefault(b, {})[a] = km
    return graph


def dijkstra(graph: Graph, source: str) -> Tuple[Dict[str, int], Dict[str, Optional[str]]]:
    dist = {node: float("inf") for node in graph}
    prev: Dict[str, Optional[str]] = {node: None for node in graph}
    dist[source] = 0
    queue = [(0, source)]
    visited = set()
    while queue:
        d, node = heapq.heappop(queue)
        if node in visited:
            continue
        visited.add(node)
        for neighbour, weight in sorted(graph[node].items()):
            nd = d + weight
            if nd < dist[neighbour]:
                dist[neighbour] = nd
                prev[neighbour] = node
                heapq.heappush(queue, (nd, neighbour))
    return dist, prev


def path_to(prev: Dict[str, Optional[str]], target: str) -> List[str]:
    path = []
    node: Optional[str] = target
    while node is not None:
        path.append(node)
        node = prev[node]
    return path[::-1]


def main() -> None:
    graph = build_graph(ROADS)
    dist, prev = dijkstra(graph, "Avon")
    for town in sorted(graph):
        if dist[town] == float("inf"):
            print(f"{town:<6} unreachable")
        else:
            print(f"{town:<6} {dist[town]:>3} km via {' -> '.join(path_to(prev, town))}")
    tasks = [(3, "write report"), (1, "fix outage"), (2, "review PR"), (1, "call customer")]
    heapq.heapify(tasks)
    print("by priority:", [heapq.heappop(tasks)[1] for _ in range(len(tasks))])
    numbers = [42, 7, 19, 88, 3, 56, 21]
    print("3 largest:", heapq.nlargest(3, numbers), "3 smallest:", heapq.nsmallest(3, numbers))
    print("merged:", list(heapq.merge([1, 4, 9], [2, 3, 10], [5])))


if __name__ == "__main__":
    main()
