# Generates identifiers: deterministic name-based UUIDs, parsed UUIDs, and secure random tokens (checked by shape only).
import secrets
import string
import uuid


def make_password(length: int = 16) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#$%"
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in pw) and any(c.isupper() for c in pw) and any(c.islower() for c in pw):
            return pw


def main() -> None:
    ns = uuid.NAMESPACE_DNS
    u5 = uuid.uuid5(ns, "example.com")
    u3 = uuid.uuid3(ns, "example.com")
    print("uuid5:", u5, "version", u5.version)
    print("uuid3:", u3, "version", u3.version)
    print("stable:", uuid.uuid5(uuid.NAMESPACE_URL, "https://example.com/a") == uuid.uuid5(uuid.NAMESPACE_URL, "https://example.com/a"))
    parsed = uuid.UUID("12345678-1234-5678-1234-567812345678")
    print("parsed:", parsed.hex, parsed.int % 1000, parsed.urn)
    print("from bytes equal:", uuid.UUID(bytes=parsed.bytes) == parsed)
    random_id = uuid.uuid4()
    print("uuid4 version:", random_id.version, "length:", len(str(random_id)))

    token = secrets.token_hex(16)
    url_token = secrets.token_urlsafe(24)
    print("token_hex length:", len(token), "all hex:", all(c in string.hexdigits for c in token))
    print("token_urlsafe ok:", len(url_token) >= 24 and all(c.isalnum() or c in "-_" for c in url_token))
    print("token_bytes length:", len(secrets.token_bytes(8)))
    pw = make_password()
    print("password length:", len(pw), "has digit:", any(c.isdigit() for c in pw))
    n = secrets.randbelow(10)
    print("randbelow in range:", 0 <= n < 10, "bits in range:", 0 <= secrets.randbits(8) < 256)
    print("compare_digest:", secrets.compare_digest("abc", "abc"), secrets.compare_digest("abc", "abd"))


if __name__ == "__main__":
    main()
