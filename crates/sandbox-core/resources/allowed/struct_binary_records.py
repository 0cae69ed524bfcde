# Packs and unpacks fixed-size binary sensor records with struct and array, like a simple file format.
import array
import struct
import zlib
from typing import List, NamedTuple

HEADER = struct.Struct("<4sHHI")  # magic, version, count, crc32
RECORD = struct.Struct("<IhfB3x")  # timestamp, temperature*100, humidity, flags, padding


class Reading(NamedTuple):
    timestamp: int
    temperature: float
    humidity: float
    ok: bool


def encode(readings: List[Reading]) -> bytes:
    body = b"".join(
        RECORD.pack(r.timestamp, round(r.temperature * 100), r.humidity, int(r.ok)) for r in readings
    )
    return HEADER.pack(b"SENS", 1, len(readings), zlib.crc32(body)) + body


def decode(blob: bytes) -> List[Reading]:
    magic, version, count, crc = HEADER.unpack_from(blob, 0)
    if magic != b"SENS":
        raise ValueError(f"bad magic {magic!r}")
    body = blob[HEADER.size:]
    if zlib.crc32(body) != crc:
        raise ValueError("checksum mismatch")
    out = []
    for ts, temp, hum, flags in RECORD.iter_unpack(body):
        out.append(Reading(ts, temp / 100, round(hum, 2), bool(flags)))
    assert len(out) == count
    return out


def main() -> None:
    readings = [
        Reading(1700000000, 21.37, 45.5, True),
        Reading(1700000060, -3.25, 80.25, True),
        Reading(1700000120, 19.0, 50.0, False),
    ]
    blob = encode(readings)
    print("header size:", HEADER.size, "record size:", RECORD.size, "total:", len(blob))
    print("first bytes:", blob[:12].hex(" "))
    decoded = decode(blob)
    for r in decoded:
        print(f"  t={r.timestamp} temp={r.temperature:6.2f} hum={r.humidity:5.2f} ok={r.ok}")
    print("round trip equal:", decoded == readings)
    corrupted = blob[:-1] + b"\x01"
    try:
        decode(corrupted)
    except ValueError as exc:
        print("ValueError:", exc)

    print("big-endian int:", struct.pack(">I", 1).hex(), "little:", struct.pack("<I", 1).hex())
    print("unpack double:", struct.unpack("<d", struct.pack("<d", 2.5)))
    print("calcsize:", struct.calcsize("<hhl"), struct.calcsize("@bI"))
    samples = array.array("h", [100, -200, 300, -400])
    print("array:", samples.tolist(), samples.itemsize, "bytes:", samples.tobytes().hex())
    copy = array.array("h")
    copy.frombytes(samples.tobytes())
    copy.append(500)
    print("copy:", copy, "sum:", sum(copy), "max:", max(copy))
    floats = array.array("d", (x / 4 for x in range(5)))
    print("floats:", list(floats))


if __name__ == "__main__":
    main()
