# Formats paragraphs with textwrap and compares two document versions with difflib.
import difflib
import textwrap

PARAGRAPH = (
    "The quick brown fox jumps over the lazy dog. This sentence contains every letter "
    "of the English alphabet and is often used to test typewriters, fonts and keyboards."
)

old_doc = """Shopping list:
- eggs
- milk
- bread
- butter
""".splitlines(keepends=True)

new_doc = """Shopping list:
- eggs
- oat milk
- bread
- jam
- butter
""".splitlines(keepends=True)


def main() -> None:
    print(textwrap.fill(PARAGRAPH, width=40))
    print()
    for line in textwrap.wrap(PARAGRAPH, width=30, max_lines=3, placeholder=" [...]"):
        print("|" + line.ljust(30) + "|")
    print(textwrap.shorten(PARAGRAPH, width=50, placeholder="..."))
    print(textwrap.indent("line one\nline two\n\nline four", "> "))
    code = """
        def hello():
            return "hi"
    """
    print(textwrap.dedent(code).strip())
    wrapper = textwrap.TextWrapper(width=36, initial_indent="* ", subsequent_indent="  ")
    print(wrapper.fill(PARAGRAPH))
    print()

    print("".join(difflib.unified_diff(old_doc, new_doc, fromfile="list_v1.txt", tofile="list_v2.txt")), end="")
    print("".join(difflib.ndiff(["one\n", "two\n", "three\n"], ["one\n", "too\n", "three\n"])), end="")
    matcher = difflib.SequenceMatcher(None, "private", "privately")
    print(f"similarity: {matcher.ratio():.3f}")
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        print(f"  {tag:<7} a[{i1}:{i2}] b[{j1}:{j2}]")
    words = ["apple", "apply", "ape", "maple", "application", "peach"]
    print("close to 'appel':", difflib.get_close_matches("appel", words, n=3, cutoff=0.6))


if __name__ == "__main__":
    main()
