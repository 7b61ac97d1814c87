#!/usr/bin/env python3
"""Doctor sheer checkpoint files for the refusal tests (tests/guests/checkpoint.sh).

  ckpt_tool.py sections FILE              list sections: offset type instance length
  ckpt_tool.py set-version FILE OUT N     HDR0's format version set to N, checksums redone
  ckpt_tool.py set-vendor FILE OUT TEXT   CPUID leaf 0 vendor set to TEXT (12 chars), checksums redone
  ckpt_tool.py cut FILE OUT TYPE          the first TYPE section's payload one byte short, checksums redone
  ckpt_tool.py drop FILE OUT TYPE         the first TYPE section left out, END0 counting what is left

It re-frames sections with valid CRC-32C, so that what sheer refuses is the
content (a format version, a CPU), not a checksum."""
import struct
import sys


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def sections(data):
    """(offset, type, version, instance, payload) for each section after the magic."""
    assert data[:8] == b"SHEERCKP", "not a checkpoint"
    at = 8
    while at < len(data):
        typ, ver, inst, length, _pcrc, _hcrc = struct.unpack_from("<IHHQII", data, at)
        yield at, typ, ver, inst, data[at + 24:at + 24 + length]
        at += 24 + length


def frame(typ, ver, inst, payload):
    head = struct.pack("<IHHQI", typ, ver, inst, len(payload), crc32c(payload))
    return head + struct.pack("<I", crc32c(head)) + payload


def name(typ):
    return struct.pack("<I", typ).decode("ascii", "replace")


def rewrite(data, change):
    """Apply change(type, instance, payload) -> payload or None (left out) to every section, fixing END0."""
    out = bytearray(b"SHEERCKP")
    count = 0
    for _, typ, ver, inst, payload in sections(data):
        if name(typ) == "END0":
            payload = struct.pack("<QQ", count, len(out))
        else:
            payload = change(name(typ), inst, payload)
            if payload is None:
                continue
            count += 1
        out += frame(typ, ver, inst, payload)
    return bytes(out)


def first_only(target, action):
    """change() applying action to the first section of type target only."""
    done = []

    def change(typ, _inst, payload):
        if typ != target or done:
            return payload
        done.append(typ)
        return action(payload)
    return change


def main(argv):
    cmd, path = argv[1], argv[2]
    data = open(path, "rb").read()
    if cmd == "sections":
        for at, typ, _, inst, payload in sections(data):
            print(at, name(typ), inst, len(payload))
        return 0
    out, value = argv[3], argv[4]
    if cmd == "set-version":
        def change(typ, _inst, payload):
            return struct.pack("<I", int(value)) + payload[4:] if typ == "HDR0" else payload
    elif cmd == "set-vendor":
        vendor = value.encode().ljust(12)[:12]

        def change(typ, _inst, payload):
            if typ != "CPID":
                return payload
            entries = bytearray(payload)
            for i in range(struct.unpack_from("<I", payload)[0]):
                at = 4 + 28 * i
                function, index = struct.unpack_from("<II", entries, at)
                if function == 0 and index == 0:
                    ebx, edx, ecx = struct.unpack("<III", vendor)
                    struct.pack_into("<III", entries, at + 16, ebx, ecx, edx)
            return bytes(entries)
    elif cmd == "cut":
        change = first_only(value, lambda payload: payload[:-1])
    elif cmd == "drop":
        change = first_only(value, lambda payload: None)
    else:
        print("unknown command", cmd, file=sys.stderr)
        return 2
    open(out, "wb").write(rewrite(data, change))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
