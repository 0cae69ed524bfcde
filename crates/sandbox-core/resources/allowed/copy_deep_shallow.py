# Shows the difference between aliasing, shallow copies and deep copies of nested data and objects.
import copy


class Team:
    def __init__(self, name, members):
        self.name = name
        self.members = members

    def __repr__(self):
        return f"Team({self.name!r}, {self.members!r})"

    def __copy__(self):
        return Team(self.name, self.members)

    def __deepcopy__(self, memo):
        return Team(self.name, copy.deepcopy(self.members, memo))


def main() -> None:
    original = {"tags": ["a", "b"], "meta": {"count": 1}}
    alias = original
    shallow = copy.copy(original)
    deep = copy.deepcopy(original)
    original["tags"].append("c")
    original["meta"]["count"] = 99
    original["new"] = True
    print("alias:  ", alias)
    print("shallow:", shallow)
    print("deep:   ", deep)

    grid = [[0] * 3 for _ in range(3)]
    bad_grid = [[0] * 3] * 3
    grid[0][0] = 1
    bad_grid[0][0] = 1
    print("grid:", grid)
    print("aliased rows:", bad_grid)

    team = Team("core", ["ann", "bo"])
    t_copy = copy.copy(team)
    t_deep = copy.deepcopy(team)
    team.members.append("cy")
    print(team, t_copy, t_deep)

    shared = [1, 2]
    nested = [shared, shared]
    cloned = copy.deepcopy(nested)
    print("identity preserved in deepcopy:", cloned[0] is cloned[1], cloned[0] is shared)
    print("list slicing is shallow:", (lambda x: x[:][0] is x[0])([[1], [2]]))
    point = (1, [2, 3])
    print("tuple copy is same object:", copy.copy(point) is point)


if __name__ == "__main__":
    main()
