# Round-trips data through zipfile, gzip, bz2, lzma and zlib entirely in memory.
import bz2
import gzip
import io
import json
import lzma
import zipfile
import zlib

REPORT = ("date,value\n" + "\n".join(f"2024-01-{d:02d},{d * 7 % 11}" for d in range(1, 29)) + "\n").encode()


def main() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("report.csv", REPORT)
        zf.writestr("meta/info.json", json.dumps({"rows": 28, "source": "demo"}))
        zf.writestr(zipfile.ZipInfo("empty.txt", date_time=(2024, 1, 1, 0, 0, 0)), b"")
    print("zip size > 0:", len(buffer.getvalue()) > 0)
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as zf:
        print("names:", zf.namelist())
        for info in zf.infolist():
            print(f"  {info.filename:<15} {info.file_size:>4} bytes")
        meta = json.loads(zf.read("meta/info.json"))
        with zf.open("report.csv") as fh:
            lines = io.TextIOWrapper(fh, encoding="utf-8").read().splitlines()
        print("meta:", meta, "first rows:", lines[:3], "test:", zf.testzip())

    gz = gzip.compress(REPORT, mtime=0)
    print("gzip:", len(REPORT), "->", len(gz), "ok:", gzip.decompress(gz) == REPORT)
    with gzip.GzipFile(fileobj=io.BytesIO(), mode="wb", mtime=0) as g:
        g.write(b"streamed")
    stream = io.BytesIO()
    with gzip.open(stream, "wt", encoding="utf-8") as g:
        g.write("text mode line\n")
    stream.seek(0)
    with gzip.open(stream, "rt", encoding="utf-8") as g:
        print("gzip text:", g.read().strip())

    bz = bz2.compress(REPORT)
    print("bz2 ok:", bz2.decompress(bz) == REPORT, "smaller:", len(bz) < len(REPORT))
    xz = lzma.compress(REPORT)
    print("lzma ok:", lzma.decompress(xz) == REPORT, "smaller:", len(xz) < len(REPORT))
    z = zlib.compress(REPORT, 9)
    print("zlib:", len(z), "ok:", zlib.decompress(z) == REPORT)
    comp = zlib.compressobj()
    chunks = [comp.compress(REPORT[i:i + 50]) for i in range(0, len(REPORT), 50)] + [comp.flush()]
    print("streamed zlib ok:", zlib.decompress(b"".join(chunks)) == REPORT)

    with zipfile.ZipFile("bundle.zip", "w") as zf:
        zf.writestr("hello.txt", "hello from a zip on disk")
    with zipfile.ZipFile("bundle.zip") as zf:
        print("from disk:", zf.read("hello.txt").decode())


if __name__ == "__main__":
    main()
