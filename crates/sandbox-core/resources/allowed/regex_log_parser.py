# Parses web-server log lines with regular expressions: named groups, findall, and re.sub with a function.
import re
from collections import Counter

LOG = """\
192.168.1.10 - - [10/Oct/2023:13:55:36 +0000] "GET /index.html HTTP/1.1" 200 2326
10.0.0.5 - alice [10/Oct/2023:13:56:01 +0000] "POST /api/login HTTP/1.1" 401 57
192.168.1.10 - - [10/Oct/2023:13:57:12 +0000] "GET /images/logo.png HTTP/1.1" 200 10240
172.16.4.2 - bob [10/Oct/2023:14:02:45 +0000] "DELETE /api/items/42 HTTP/1.1" 204 0
10.0.0.5 - alice [10/Oct/2023:14:03:00 +0000] "POST /api/login HTTP/1.1" 200 112
garbage line that does not match
"""

LINE_RE = re.compile(
    r'(?P<ip>\d{1,3}(?:\.\d{1,3}){3}) - (?P<user>\S+) '
    r'\[(?P<day>\d{2})/(?P<month>\w{3})/(?P<year>\d{4}):(?P<time>[\d:]+) [+-]\d{4}\] '
    r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) (?P<size>\d+)'
)


def parse(text):
    for number, line in enumerate(text.splitlines(), 1):
        m = LINE_RE.match(line)
        if not m:
            print(f"line {number}: no match")
            continue
        yield m.groupdict()


def main() -> None:
    entries = list(parse(LOG))
    for e in entries:
        print(f"{e['ip']:<14} {e['user']:<6} {e['method']:<6} {e['path']:<18} {e['status']} {int(e['size']):>6}")
    print("status counts:", sorted(Counter(e["status"] for e in entries).items()))
    print("total bytes:", sum(int(e["size"]) for e in entries))

    text = "Contact ops@example.com or Dev.Team@Example.org; not an @email."
    print("emails:", re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text))
    print("masked:", re.sub(r"([\w.+-]+)@([\w-]+\.[\w.]+)", lambda m: m.group(1)[0] + "***@" + m.group(2).lower(), text))

    def to_snake(match: "re.Match") -> str:
        return "_" + match.group(0).lower()

    for name in ["parseHttpResponse", "userID", "simple"]:
        print(name, "->", re.sub(r"[A-Z]", to_snake, name).lstrip("_"))

    prices = "apple $1.20, bread $3.05, cheese $12.00"
    doubled = re.sub(r"\$(\d+\.\d{2})", lambda m: f"${float(m.group(1)) * 2:.2f}", prices)
    print("doubled:", doubled)
    print("split:", re.split(r"\s*[,;]\s*", "a, b;c ,d"))
    date_re = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
    print("reordered:", date_re.sub(r"\3/\2/\1", "from 2024-01-31 to 2024-02-29"))
    print("fullmatch:", bool(re.fullmatch(r"[A-Z]{3}-\d{3}", "ABC-123")), bool(re.fullmatch(r"[A-Z]{3}-\d{3}", "ABC-1234")))
    for m in re.finditer(r"\b(\w)(\w*)\b", "hello big world"):
        print(m.start(), m.group(1).upper() + m.group(2))
    verbose = re.compile(r"""
        ^(?P<key>[a-z_]+)   # the key
        \s*=\s*
        (?P<value>.*)$      # the value
    """, re.VERBOSE | re.MULTILINE)
    print("config:", {m["key"]: m["value"] for m in verbose.finditer("host = localhost\nport=8080\n")})
    print("ignorecase:", re.findall(r"python", "Python PYTHON python", flags=re.IGNORECASE))


if __name__ == "__main__":
    main()
