#!/usr/bin/env python3
"""A relay that cuts a live migration's connection, for tests/guests/migrate.sh.

    migrate_relay.py LISTEN_PATH TARGET_PATH --cut-at BYTES
    migrate_relay.py LISTEN_PATH TARGET_PATH --cut-after SECTION

Listens on the unix socket LISTEN_PATH, takes one connection (from `sheer
migrate`), connects to TARGET_PATH (where `sheer receive` listens) and
forwards both ways. Once it has forwarded BYTES bytes from the source to the
target, or the whole of the first section of type SECTION (e.g. MEND: the
source is paused then and waits for the target's answer), it closes both
connections at once, as a network that fails would. At the end it prints
one line: how many bytes went each way and whether it cut.
"""
import argparse
import os
import select
import socket
import struct
import sys

MAGIC_SIZE = 8          # "SHEERMIG" (p2v/migrate/protocol.h)
HEADER_SIZE = 24        # a state section's header (vmm/machine/state.h): type, version, instance, length, CRCs
CHUNK = 65536


class SectionCut:
    """Follows the source's stream section by section: where the first section of one type ends."""

    def __init__(self, section_type):
        self.want = section_type.encode()
        self.seen = 0               # bytes of the stream looked at so far
        self.next_header = MAGIC_SIZE
        self.header = b""
        self.cut = None             # the stream offset to cut at, once known

    def feed(self, data):
        """Looks at the next bytes of the stream; returns the cut offset once it is known."""
        end = self.seen + len(data)
        while self.cut is None and self.next_header < end:
            start = max(self.next_header, self.seen) - self.seen
            need = HEADER_SIZE - len(self.header)
            self.header += data[start:start + need]
            if len(self.header) < HEADER_SIZE:
                break
            length = struct.unpack_from("<Q", self.header, 8)[0]
            section_end = self.next_header + HEADER_SIZE + length
            if self.header[:4] == self.want:
                self.cut = section_end
            self.next_header = section_end
            self.header = b""
        self.seen = end
        return self.cut


def relay(source, target, limit_of):
    """Forwards until either side closes or the source->target limit is reached; returns (up, down, cut)."""
    up = down = 0
    while True:
        readable, _, _ = select.select([source, target], [], [])
        if source in readable:
            data = source.recv(CHUNK)
            if not data:
                return up, down, False
            limit = limit_of(data, up)
            if limit is not None and up + len(data) >= limit:
                target.sendall(data[:limit - up])
                return limit, down, True
            target.sendall(data)
            up += len(data)
        if target in readable:
            data = target.recv(CHUNK)
            if not data:
                return up, down, False
            source.sendall(data)
            down += len(data)


def close_hard(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("listen")
    parser.add_argument("target")
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--cut-at", type=int, metavar="BYTES")
    how.add_argument("--cut-after", metavar="SECTION")
    args = parser.parse_args()

    if args.cut_at is not None:
        def limit_of(data, up):
            return args.cut_at
    else:
        sections = SectionCut(args.cut_after)

        def limit_of(data, up):
            return sections.feed(data)

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(args.listen)
    listener.listen(1)
    source, _ = listener.accept()
    listener.close()
    os.unlink(args.listen)
    target = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    target.connect(args.target)
    try:
        up, down, cut = relay(source, target, limit_of)
    except OSError as e:
        print("relay: %s" % e, file=sys.stderr)
        up, down, cut = -1, -1, False
    close_hard(source)
    close_hard(target)
    print("relay: %d bytes to the target, %d to the source, %s" % (up, down, "cut" if cut else "not cut"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
