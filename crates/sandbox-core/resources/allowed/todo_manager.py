# A tiny to-do list manager that stores tasks in a JSON file and supports add/complete/list commands.
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import List, Optional

STORE = Path("todos.json")


@dataclass
class Task:
    id: int
    title: str
    due: Optional[str] = None
    done: bool = False
    tags: List[str] = field(default_factory=list)


class TodoList:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tasks: List[Task] = []
        if path.exists():
            self.tasks = [Task(**raw) for raw in json.loads(path.read_text())]

    def save(self) -> None:
        self.path.write_text(json.dumps([asdict(t) for t in self.tasks], indent=2))

    def add(self, title: str, due: Optional[date] = None, *tags: str) -> Task:
        next_id = max((t.id for t in self.tasks), default=0) + 1
        task = Task(next_id, title, due.isoformat() if due else None, tags=list(tags))
        self.tasks.append(task)
        return task

    def complete(self, task_id: int) -> bool:
        for t in self.tasks:
            if t.id == task_id:
                t.done = True
                return True
        return False

    def overdue(self, today: date) -> List[Task]:
        return [t for t in self.tasks if t.due and not t.done and date.fromisoformat(t.due) < today]

    def show(self) -> None:
        for t in sorted(self.tasks, key=lambda t: (t.done, t.due or "9999")):
            mark = "x" if t.done else " "
            tags = f" #{' #'.join(t.tags)}" if t.tags else ""
            print(f"[{mark}] {t.id:>2}. {t.title:<22} due {t.due or '-':<10}{tags}")


def main() -> None:
    if STORE.exists():
        STORE.unlink()
    todo = TodoList(STORE)
    todo.add("Pay electricity bill", date(2024, 3, 1), "home", "money")
    todo.add("Renew passport", date(2024, 5, 20))
    todo.add("Buy birthday present", date(2024, 2, 14), "family")
    todo.add("Read a book")
    todo.complete(3)
    todo.save()

    reloaded = TodoList(STORE)
    print("reloaded", len(reloaded.tasks), "tasks; same:", reloaded.tasks == todo.tasks)
    reloaded.show()
    print("overdue on 2024-04-01:", [t.title for t in reloaded.overdue(date(2024, 4, 1))])
    print("complete missing id:", reloaded.complete(42))
    STORE.unlink()


if __name__ == "__main__":
    main()
