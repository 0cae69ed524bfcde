# Everyday string manipulation: cleaning, casing, padding, palindromes, anagrams, ciphers and slugs.
import string
import unicodedata
from collections import Counter


def slugify(title: str) -> str:
    normalized = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    cleaned = "".join(c if c.isalnum() else " " for c in normalized.lower())
    return "-".join(cleaned.split())


def is_palindrome(text: str) -> bool:
    letters = [c.lower() for c in text if c.isalnum()]
    return letters == letters[::-1]


def caesar(text: str, shift: int) -> str:
    lower = string.ascii_lowercase
    upper = string.ascii_uppercase
    table = str.maketrans(lower + upper, lower[shift:] + lower[:shift] + upper[shift:] + upper[:shift])
    return text.translate(table)


def are_anagrams(a: str, b: str) -> bool:
    clean = lambda s: Counter(c for c in s.lower() if c.isalpha())
    return clean(a) == clean(b)


def camel_to_words(name: str) -> str:
    out = []
    for ch in name:
        if ch.isupper() and out:
            out.append(" ")
        out.append(ch.lower())
    return "".join(out)


def run_length(text: str) -> str:
    if not text:
        return ""
    parts, prev, count = [], text[0], 1
    for ch in text[1:]:
        if ch == prev:
            count += 1
        else:
            parts.append(f"{count}{prev}")
            prev, count = ch, 1
    parts.append(f"{count}{prev}")
    return "".join(parts)


if __name__ == "__main__":
    s = "  Hello, World! Python strings are fun.  "
    print(repr(s.strip()), repr(s.lstrip()), repr(s.rstrip()))
    t = s.strip()
    print(t.upper(), "|", t.lower(), "|", t.title(), "|", t.swapcase())
    print(t.replace("fun", "great"), "|", t.count("o"), t.find("World"), t.find("xyz"))
    print(t.split(), t.split(",", 1), "a,b,,c".split(","))
    print(t.startswith("Hello"), t.endswith("."), "42".isdigit(), "abc".isalpha(), " ".isspace())
    print(t[:5], t[-4:], t[::2][:10], t[7:12][::-1])
    print("|" + "left".ljust(10) + "|" + "right".rjust(10) + "|" + "mid".center(11, "*") + "|")
    print("7".zfill(3), "-7".zfill(4), "tab\tsep".expandtabs(4))
    print(" - ".join(["a", "b", "c"]), "key=value=x".partition("="), "a.b.c".rpartition("."))
    print(slugify("Crème Brûlée: A Délicious Recipe!"))
    for phrase in ["A man, a plan, a canal: Panama", "Not a palindrome", "Was it a car or a cat I saw?"]:
        print(f"{phrase!r} palindrome={is_palindrome(phrase)}")
    secret = caesar("Attack at Dawn!", 3)
    print(secret, "->", caesar(secret, -3 % 26))
    print(are_anagrams("Listen", "Silent"), are_anagrams("Dormitory", "Dirty room"), are_anagrams("abc", "abd"))
    print(camel_to_words("parseHttpResponseCode"))
    print(run_length("aaabccddddde"))
    print(string.capwords("the quick  brown fox"), string.punctuation[:10], string.digits)
    print(sorted("banana"), "".join(sorted(set("mississippi"))))
    print(ord("A"), chr(97), "é".encode("utf-8"), b"caf\xc3\xa9".decode("utf-8"))
    print(unicodedata.name("é"), unicodedata.category("9"), len("naïve"), len("naïve".encode()))
    print("removeprefix:", "unhappy".removeprefix("un") if hasattr(str, "removeprefix") else "happy")
    tmpl = string.Template("Dear $name, your balance is ${amount}.")
    print(tmpl.substitute(name="Kim", amount="12.50"), tmpl.safe_substitute(name="Lee"))
