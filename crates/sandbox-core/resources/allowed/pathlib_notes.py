# Writes a notes file and a small directory of files with pathlib, then reads them back.
from pathlib import Path, PurePosixPath

NOTES = """\
# Todo
- buy milk
- call mom
- fix bike
"""


def main() -> None:
    notes = Path("notes.txt")
    written = notes.write_text(NOTES, encoding="utf-8")
    print("wrote", written, "characters to", notes.name)
    text = notes.read_text(encoding="utf-8")
    todos = [line[2:] for line in text.splitlines() if line.startswith("- ")]
    print("todos:", todos)
    print("exists:", notes.exists(), "is_file:", notes.is_file(), "size:", notes.stat().st_size)
    print("suffix:", notes.suffix, "stem:", notes.stem, "with_suffix:", notes.with_suffix(".md"))

    with notes.open("a", encoding="utf-8") as fh:
        fh.write("- water plants\n")
    with notes.open(encoding="utf-8") as fh:
        print("lines now:", sum(1 for _ in fh))

    folder = Path("project_data")
    folder.mkdir(exist_ok=True)
    for name, body in [("a.txt", "alpha"), ("b.txt", "bravo"), ("c.log", "charlie")]:
        (folder / name).write_text(body)
    print("txt files:", sorted(p.name for p in folder.glob("*.txt")))
    print("all files:", sorted((p.name, p.read_text()) for p in folder.iterdir()))
    blob = folder / "data.bin"
    blob.write_bytes(bytes(range(8)))
    print("bytes:", list(blob.read_bytes()))
    renamed = blob.rename(folder / "data2.bin")
    print("renamed exists:", renamed.exists(), "old exists:", blob.exists())
    for p in sorted(folder.iterdir()):
        p.unlink()
    folder.rmdir()
    print("folder removed:", not folder.exists())

    pure = PurePosixPath("/srv/app/static/css/site.min.css")
    print("parts:", pure.parts)
    print("parent:", pure.parent, "name:", pure.name, "suffixes:", pure.suffixes)
    print("relative:", pure.relative_to("/srv/app"))
    print("joined:", PurePosixPath("a") / "b" / "c.txt", "match:", pure.match("*.css"))


if __name__ == "__main__":
    main()
