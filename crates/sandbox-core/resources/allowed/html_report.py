# Builds a small HTML table report with proper escaping via html.escape and string.Template.
import html
from string import Template

PAGE = Template("""<!DOCTYPE html>
<html>
<head><title>$title</title></head>
<body>
<h1>$title</h1>
<table>
$rows
</table>
<p>$footer</p>
</body>
</html>""")

COMMENTS = [
    ("alice", "Looks good to me!"),
    ("bob", "<script>alert('hi')</script>"),
    ("carol & dave", 'Use "quotes" & <b>tags</b> carefully'),
]


def render_row(author: str, text: str) -> str:
    return f"  <tr><td>{html.escape(author)}</td><td>{html.escape(text)}</td></tr>"


def main() -> None:
    rows = "\n".join(render_row(a, t) for a, t in COMMENTS)
    page = PAGE.substitute(title=html.escape("Comments & Feedback"), rows=rows, footer=f"{len(COMMENTS)} comments")
    print(page)
    print(html.escape("<a href='x'>", quote=False), html.escape("<a href='x'>"))
    print(html.unescape("&lt;p&gt;caf&eacute; &amp; cr&egrave;me &#8364;5 &#x263A;&lt;/p&gt;"))


if __name__ == "__main__":
    main()
