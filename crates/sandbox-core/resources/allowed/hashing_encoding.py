# Computes checksums, signs messages with HMAC, and encodes bytes with base64, hex and CRCs.
import base64
import binascii
import hashlib
import hmac
import zlib

MESSAGE = b"The quick brown fox jumps over the lazy dog"
SECRET_KEY = b"not-a-real-secret"


def sign(payload: bytes, key: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def verify(payload: bytes, signature: str, key: bytes) -> bool:
    return hmac.compare_digest(sign(payload, key), signature)


def make_token(user: str, key: bytes) -> str:
    body = base64.urlsafe_b64encode(user.encode()).decode().rstrip("=")
    mac = base64.urlsafe_b64encode(hmac.digest(key, body.encode(), "sha256")).decode().rstrip("=")
    return f"{body}.{mac}"


def read_token(token: str, key: bytes):
    body, mac = token.split(".")
    expected = base64.urlsafe_b64encode(hmac.digest(key, body.encode(), "sha256")).decode().rstrip("=")
    if not hmac.compare_digest(mac, expected):
        return None
    padded = body + "=" * (-len(body) % 4)
    return base64.urlsafe_b64decode(padded).decode()


if __name__ == "__main__":
    for name in ("md5", "sha1", "sha256", "sha512"):
        h = hashlib.new(name, MESSAGE)
        print(f"{name:<7} {h.hexdigest()[:32]}... ({h.digest_size} bytes)")
    print("sha3_256:", hashlib.sha3_256(MESSAGE).hexdigest())
    print("blake2b-16:", hashlib.blake2b(MESSAGE, digest_size=16).hexdigest())
    incremental = hashlib.sha256()
    for chunk in (MESSAGE[:10], MESSAGE[10:]):
        incremental.update(chunk)
    print("incremental matches:", incremental.hexdigest() == hashlib.sha256(MESSAGE).hexdigest())
    print("pbkdf2:", hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 1000).hex())

    sig = sign(MESSAGE, SECRET_KEY)
    print("hmac:", sig)
    print("verify ok:", verify(MESSAGE, sig, SECRET_KEY), "tampered:", verify(MESSAGE + b"!", sig, SECRET_KEY))
    token = make_token("alice@example.com", SECRET_KEY)
    print("token:", token)
    print("read token:", read_token(token, SECRET_KEY), "| forged:", read_token(token[:-2] + "AA", SECRET_KEY))

    b64 = base64.b64encode(MESSAGE)
    print("b64:", b64.decode())
    print("b64 round trip:", base64.b64decode(b64) == MESSAGE)
    print("b32:", base64.b32encode(b"hello").decode(), "b16:", base64.b16encode(b"hi").decode())
    print("a85:", base64.a85encode(b"hello").decode())
    print("hex:", MESSAGE[:8].hex(), bytes.fromhex("48656c6c6f"), binascii.hexlify(b"\x00\xff", "-"))
    print("crc32:", zlib.crc32(MESSAGE), binascii.crc32(MESSAGE), "adler32:", zlib.adler32(MESSAGE))
