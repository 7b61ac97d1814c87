#!/usr/bin/env python3
"""Writes the hand-made seeds of tests/fuzz/corpus/ (run once; the files are committed).

Each seed is a well-formed input of its target, so that mutation starts past
the first checks: bzImages whose payload really unpacks (XZ and gzip, as the
kernel build packs them), devices that describe MSI-X as real NICs and NVMe
drives do, profiles, traces and records as sheer writes them. Deterministic:
running it again gives the same bytes. Usage: tests/fuzz/make_seeds.py [CORPUS_DIR]
"""
import base64
import gzip
import json
import lzma
import math
import os
import struct
import sys

CORPUS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    assert len(data) <= 4096, f"{target}/{name}: {len(data)} bytes, past make fuzz's -max_len"
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# ---- kernels: a vmlinux ELF, packed in a bzImage as the kernel build does ----

MiB = 1 << 20


def vmlinux():
    """ELF64 x86-64 ET_EXEC: text at 16 MiB (entry), data with bss at 18 MiB, and a PT_NOTE."""
    text = bytes([0xf4, 0xeb, 0xfd]) + bytes(61)  # hlt; jmp .-1
    data = bytes(range(32))
    phoff, phnum = 64, 3
    text_off = phoff + 56 * phnum
    data_off = text_off + len(text)
    ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 16 * MiB, phoff, 0, 0, 64, 56, phnum, 64, 0, 0)
    load = lambda off, size, addr, memsz, flags: struct.pack("<IIQQQQQQ", 1, flags, off, addr, addr, size, memsz,
                                                              0x200000)
    phdrs = load(text_off, len(text), 16 * MiB, 4096, 5) + load(data_off, len(data), 18 * MiB, 64 * 1024, 6)
    phdrs += struct.pack("<IIQQQQQQ", 4, 4, data_off, 0, 0, 8, 8, 4)  # PT_NOTE: not loaded
    return ehdr + phdrs + text + data


def xz_payload(elf):
    """As the kernel's scripts/xz_wrap.sh: CRC32 check, x86 BCJ, LZMA2 (a small dictionary here), size appended."""
    filters = [{"id": lzma.FILTER_X86}, {"id": lzma.FILTER_LZMA2, "dict_size": 64 * 1024}]
    return lzma.compress(elf, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32, filters=filters) + struct.pack(
        "<I", len(elf))


def gzip_payload(elf):
    """gzip -9, whose ISIZE trailer is the size the loader reads."""
    return gzip.compress(elf, compresslevel=9, mtime=0)


def bzimage(payload):
    """One setup sector and a 2.15 header (as tests/guests/mkbzimage.c), payload after a 0x210-byte stub."""
    setup = bytearray(1024)
    kernel = bytearray(0x210)
    kernel[0x200:0x203] = bytes([0xf4, 0xeb, 0xfd])  # the 64-bit entry of the bzImage path
    struct.pack_into("<B", setup, 0x1f1, 1)  # setup_sects
    struct.pack_into("<H", setup, 0x1fe, 0xaa55)
    struct.pack_into("<H", setup, 0x200, 0xeb | (0x26c - 0x202) << 8)
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, 0x020f)
    struct.pack_into("<B", setup, 0x211, 0x01)  # LOADED_HIGH
    struct.pack_into("<I", setup, 0x214, 0x100000)
    struct.pack_into("<I", setup, 0x22c, 0x7fffffff)  # initrd_addr_max
    struct.pack_into("<I", setup, 0x230, 0x200000)
    struct.pack_into("<H", setup, 0x236, 0x01)  # XLF_KERNEL_64
    struct.pack_into("<I", setup, 0x238, 2047)  # cmdline_size
    struct.pack_into("<I", setup, 0x248, len(kernel) if payload else 0)  # payload_offset
    struct.pack_into("<I", setup, 0x24c, len(payload))  # payload_length
    struct.pack_into("<I", setup, 0x260, 4 * MiB)  # init_size
    return bytes(setup) + bytes(kernel) + payload


def kernels():
    elf = vmlinux()
    images = {"bzimage-xz": bzimage(xz_payload(elf)), "bzimage-gzip": bzimage(gzip_payload(elf)),
              "bzimage-no-payload": bzimage(b"")}
    for name, image in images.items():
        write("fuzz_boot_loader", name, image)
        write("fuzz_kernel_image", name, b"\x01" + image)
    write("fuzz_kernel_image", "vmlinux", b"\x00" + elf)
    write("fuzz_boot_loader", "vmlinux", elf)  # not a bzImage: fuzz_boot_loader packs it into one


# ---- the legacy port devices: what Linux and firmware do with them ----

WINDOWS = {"i8042": (0x60, 0), "rtc": (0x70, 1), "post": (0x80, 2), "com1": (0x3f8, 3), "pm": (0x600, 4),
           "pci": (0xcf8, 5)}
SIZE_CODE = {1: 0, 2: 1, 4: 2}


def port(device, offset, size, value=None):
    """One access in fuzz_port_devices' encoding: op, window, port offset (+2), size code, value."""
    base, window = WINDOWS[device]
    op = 1 if value is not None else 0
    return bytes([op, window, offset + 2, SIZE_CODE[size]]) + struct.pack("<I", value or 0)


def console(text):
    return bytes([12, len(text)]) + text


POWER_BUTTON, CHECKPOINT = bytes([14]), bytes([15])


def port_devices():
    serial_probe = b"".join([
        port("com1", 3, 1, 0x80), port("com1", 0, 1, 0x01), port("com1", 1, 1, 0x00), port("com1", 3, 1, 0x03),
        port("com1", 4, 1, 0x1f), port("com1", 6, 1), port("com1", 4, 1, 0x0b), port("com1", 2, 1, 0x07),
        port("com1", 1, 1, 0x03), port("com1", 2, 1), port("com1", 0, 1, ord("A")), console(b"root\n"),
        port("com1", 5, 1), port("com1", 0, 1), CHECKPOINT, port("com1", 0, 1), port("com1", 2, 1),
        port("com1", 7, 1, 0x5a), port("com1", 7, 1)])
    rtc = b"".join(port("rtc", 0, 1, reg) + port("rtc", 1, 1)
                   for reg in (0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32, 0x0a, 0x0b, 0x0c, 0x0d))
    rtc += port("rtc", 0, 1, 0x0b) + port("rtc", 1, 1, 0x06) + port("rtc", 0, 1, 0x00) + port("rtc", 1, 1)
    rtc += port("rtc", 0, 1, 0x8f) + port("rtc", 1, 1, 0x42) + CHECKPOINT + port("rtc", 1, 1)
    pm = b"".join([port("pm", 2, 2, 0x0100), POWER_BUTTON, port("pm", 0, 2), port("pm", 8, 4), CHECKPOINT,
                   port("pm", 0, 2, 0x0100), port("pm", 4, 2), port("pm", 6, 2), port("pm", 8, 4),
                   port("pm", 4, 2, 5 << 10 | 1 << 13 | 1)])
    resets = b"".join([port("post", 0, 1, 0x55), port("post", 0, 1), port("i8042", 4, 1),
                       port("i8042", 4, 1, 0xfe), port("pci", 1, 1, 0x02), CHECKPOINT, port("pci", 1, 1),
                       port("pci", 1, 1, 0x06)])
    pci = b"".join([port("pci", 0, 4, 0x80000000), port("pci", 4, 4), port("pci", 0, 4, 0x80000004),
                    port("pci", 4, 2, 0x0007), port("pci", 6, 2), port("pci", 0, 4), CHECKPOINT,
                    port("pci", 0, 4, 0x80000800), port("pci", 4, 4)])
    for name, seed in {"serial-probe": serial_probe, "rtc-clock": rtc, "pm-button-and-s5": pm,
                       "post-and-resets": resets, "pci-config": pci}.items():
        write("fuzz_port_devices", name, seed)


# ---- a passed-through device: config space, what VFIO reports, a guest driving it ----

def caps(config, chain):
    """Link capabilities (offset, id, body) from the capability pointer, status bit set."""
    struct.pack_into("<H", config, 0x06, 0x0010)
    config[0x34] = chain[0][0]
    for i, (offset, cap_id, body) in enumerate(chain):
        config[offset] = cap_id
        config[offset + 1] = chain[i + 1][0] if i + 1 < len(chain) else 0
        config[offset + 2:offset + 2 + len(body)] = body


def e1000e_config():
    """An 82574L (the lab's NIC): BAR0/1 128 KiB, BAR2 I/O, BAR3 16 KiB holding the MSI-X table and PBA."""
    config = bytearray(256)
    struct.pack_into("<HHHH", config, 0, 0x8086, 0x10d3, 0x0000, 0)
    struct.pack_into("<I", config, 0x08, 0x02000000)
    struct.pack_into("<IIII", config, 0x10, 0xfebc0000, 0xfeb80000, 0x0000c001, 0xfebe0000)
    config[0x3d] = 1  # INTA
    caps(config, [(0xc8, 0x01, struct.pack("<HH", 0xc822, 0x0008)),
                  (0xd0, 0x05, struct.pack("<HIIH", 0x0080, 0, 0, 0)),
                  (0xe0, 0x10, struct.pack("<H", 0x0001)),
                  (0xa0, 0x11, struct.pack("<HII", 4, 0x00000003, 0x00002003))])
    return config


def nvme_config():
    """An NVMe drive: a 64-bit 16 KiB BAR0 with the MSI-X table at 0x2000 and the PBA at 0x3000."""
    config = bytearray(256)
    struct.pack_into("<HHHH", config, 0, 0x8086, 0x0953, 0x0000, 0)
    struct.pack_into("<I", config, 0x08, 0x01080200)
    struct.pack_into("<II", config, 0x10, 0xfe000004, 0x00000000)
    config[0x3d] = 1
    caps(config, [(0x40, 0x01, struct.pack("<HH", 0x0003, 0x0008)),
                  (0x50, 0x05, struct.pack("<HIIH", 0x0080, 0, 0, 0)),
                  (0x70, 0x10, struct.pack("<H", 0x0002)),
                  (0xb0, 0x11, struct.pack("<HII", 31, 0x00002000, 0x00003000))])
    return config


def vfio_device(config, bar_shifts, mmap, msix_vectors, intx=True, msi=1):
    """fuzz_vfio_pci's device description: flags, six BAR bytes, MSI-X vector count, 256 config bytes."""
    flags = 1 | (4 if intx else 0) | (msi.bit_length() << 3)
    bars = bytes((shift | (0x80 if m else 0)) if shift else 0 for shift, m in zip(bar_shifts, mmap))
    return bytes([flags]) + bars + struct.pack("<H", msix_vectors) + bytes(config)


def config_write(reg, size, value):
    return bytes([0]) + struct.pack("<H", reg) + bytes([SIZE_CODE[size]]) + struct.pack("<I", value)


def config_read(reg, size):
    return bytes([2]) + struct.pack("<H", reg) + bytes([SIZE_CODE[size]]) + bytes(4)


def bar_access(bar, offset, size, value=None):
    code = {1: 0, 2: 1, 4: 2, 8: 3}[size]
    return bytes([3, bar]) + struct.pack("<I", offset) + bytes([code, value is not None]) + struct.pack(
        "<Q", value or 0)


def msix_access(offset, size, value=None):
    code = {4: 2, 8: 3}[size]
    return bytes([6]) + struct.pack("<I", offset) + bytes([code, value is not None]) + struct.pack("<Q", value or 0)


def quiesce(quiet):
    return bytes([7, quiet])


def drive_msix(msix_cap, table_bar, pba_offset, io_bar=None):
    """What a driver does: decode on, program and unmask vector 0, MSI-X on, pause, move a BAR, decode off."""
    ops = [config_read(0x00, 4), config_write(0x04, 2, 0x0007), msix_access(0, 8, 0xfee00000),
           msix_access(8, 4, 0x4041), msix_access(12, 4, 0), config_write(msix_cap + 2, 2, 0x8000),
           msix_access(16, 8, 0xfee01000), bar_access(table_bar, pba_offset, 8), bar_access(0, 0x100, 4, 1),
           quiesce(1), quiesce(0), config_write(msix_cap + 2, 2, 0xc000), config_write(0x10, 4, 0xffffffff),
           config_read(0x10, 4), config_write(0x10, 4, 0xc1000000), bar_access(0, 8, 4),
           config_write(msix_cap + 2, 2, 0x0000), config_write(0x04, 2, 0x0000)]
    if io_bar is not None:
        ops.insert(2, bar_access(io_bar, 0, 4, 0x1234))
    return b"".join(ops)


def drive_msi(msi_cap):
    """MSI instead: address and data, enable, then back to INTx."""
    return b"".join([config_write(0x04, 2, 0x0406), config_write(msi_cap + 4, 4, 0xfee00000),
                     config_write(msi_cap + 8, 4, 0), config_write(msi_cap + 12, 2, 0x4050),
                     config_write(msi_cap + 2, 2, 0x0001), config_read(msi_cap + 2, 2),
                     config_write(msi_cap + 2, 2, 0x0000)])


def vfio_pci():
    nic = vfio_device(e1000e_config(), [17, 17, 5, 14, 0, 0], [True, True, False, True, False, False], 5)
    nvme = vfio_device(nvme_config(), [14, 0, 0, 0, 0, 0], [True] * 6, 32)
    write("fuzz_vfio_pci", "e1000e-msix", nic + drive_msix(0xa0, 3, 0x2000, io_bar=2))
    write("fuzz_vfio_pci", "e1000e-msi", nic + drive_msi(0xd0))
    write("fuzz_vfio_pci", "nvme-msix", nvme + drive_msix(0xb0, 0, 0x3000))
    # fuzz_config_space reads: a size flag, six 64-bit BAR sizes, the 256 raw bytes, then accesses.
    sizes = struct.pack("<6Q", 128 * 1024, 128 * 1024, 32, 16 * 1024, 0, 0)
    write("fuzz_config_space", "e1000e", b"\x00" + sizes + bytes(e1000e_config()))
    sizes = struct.pack("<6Q", 16 * 1024, 0, 0, 0, 0, 0)
    write("fuzz_config_space", "nvme", b"\x01" + sizes + bytes(nvme_config()))


# ---- a checkpoint's sections, framed by fuzz_checkpoint ----

def checkpoint():
    """The sections of the real file head in corpus/fuzz_checkpoint/tiny-guest-head (a checkpoint of a tiny
    guest, cut at 2 KiB), plus PM and reset control, as fuzz_checkpoint's framed list closed by END0."""
    head = open(os.path.join(CORPUS, "fuzz_checkpoint", "tiny-guest-head"), "rb").read()
    pos, framed = 1 + 8, bytearray([0x03])
    while pos + 24 <= len(head):
        kind, version, _, length = struct.unpack_from("<IHHQ", head, pos)
        if pos + 24 + length > len(head):
            break
        framed += struct.pack("<IBH", kind, version, length) + head[pos + 24:pos + 24 + length]
        pos += 24 + length
    pm = struct.pack("<HHH?Q", 0x0100, 0x0100, 0x0001, True, 123456789)
    framed += struct.pack("<IBH", int.from_bytes(b"PM_0", "little"), 1, len(pm)) + pm
    framed += struct.pack("<IBH", int.from_bytes(b"CF90", "little"), 1, 2) + bytes([0x02, 1])
    write("fuzz_checkpoint", "framed-sections", bytes(framed))


# ---- files a user writes or sheer leaves behind ----

def text_files():
    write("fuzz_profile", "web01.ini", b"""# web01: the front-end web server
[server]
name = web01
cpus = 2
memory = 512M
kernel = /images/vmlinuz
initrd = images/os.cpio.gz
cmdline = console=ttyS0 quiet
numa_node = 0
dedicated_cores = yes
allow_unsafe_interrupts = no

[device]
pci = 0000:03:00.0
force = no

[ device ]
pci = 04:00.1
""")
    write("fuzz_profile", "quoted.ini", b'; quoted values and odd spacing\n[server]\nname=db-2.primary\n'
          b'memory\t=\t2g\ncmdline = " console=ttyS0 root=/dev/vda1 # not a comment "\nkernel=vmlinuz\n')
    for policy in range(5):
        # The first sample picks the policy the simulator replays (fuzz_power_trace.c).
        samples = [policy] + [int(50 + 45 * math.sin((i + 7 * policy) / 20)) for i in range(1, 288)]
        write("fuzz_power_trace", f"day-{policy}", "".join(f"{s}\n" for s in samples).encode())
    write("fuzz_registry_entry", "web01.json",
          b'{"name":"web01","pid":4242,"numa_node":0,"held_cpus":[2,3,10,11]}')
    write("fuzz_registry_entry", "shared-cores.json", b'{"name":"db","pid":17,"numa_node":-1,"held_cpus":[]}')
    write("fuzz_claim_record", "nic.json",
          b'{"pci":"0000:03:00.0","holder":"web01","pid":4242,"pid_start":123456789,"host_driver":"e1000e"}')
    write("fuzz_claim_record", "no-driver.json",
          b'{"pci":"03:00.0","holder":"db","pid":17,"pid_start":0,"host_driver":""}')


def fleet_files():
    """The example fleet file, and one with etcd, a standby behind its own BMC and schedules that overlap and agree."""
    example = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "power", "fleet", "fleet.example.ini")
    with open(example, "rb") as f:
        write("fuzz_fleet_config", "example.ini", f.read())
    write("fuzz_fleet_config", "etcd-standby.ini", b"""[fleet]
state = etcd:https://etcd1:2379,http://[fd00::5]:2379
tls = /etc/sheer/fleet-tls
name = ctl-b
lease = 10
[policy]
ha = switch
headroom = 15
power_saving = off
[host a]
address = [fd00::1]:7443
bmc = redfish://root@bmc-a:8443/1
password_file = a.pw
[host b]
address = b.example:7443
role = spare
bmc = ipmi://admin@bmc-b
password_file = /etc/sheer/b.pw
timeout_ms = 2000
retries = 0
[standby s1]
bmc = ipmi://admin@bmc-s1:624
password_file = s1.pw
[schedule late]
days = Fri-Mon
hours = 22:30-02:30
power_saving = on
[schedule sunday]
days = sun
hours = 00:00-24:00
power_saving = on
policy = none
""")


def http_requests():
    """One connection each, after fuzz_http_request's flags byte (0: the server's actions succeed)."""
    put = b"PUT /v1/server/power HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    write("fuzz_http_request", "get-server", b"\0GET /v1/server HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/7.88.1\r\n"
          b"Accept: */*\r\n\r\n")
    write("fuzz_http_request", "metrics", b"\0GET /v1/metrics?x=1 HTTP/1.0\r\n\r\n")
    write("fuzz_http_request", "pause", b"\0" + put + b"Content-Length: 18\r\n\r\n{\"action\":\"pause\"}")
    write("fuzz_http_request", "off-refused", b"\1" + put + b"Content-Length: 16\r\n\r\n{\"action\":\"off\"}")
    write("fuzz_http_request", "resume-chunked", b"\0" + put + b"Transfer-Encoding: chunked\r\n\r\n"
          b"a\r\n{\"action\":\r\n9\r\n\"resume\"}\r\n0\r\n\r\n")
    write("fuzz_http_request", "too-large", b"\0" + put + b"Content-Length: 1048576\r\nExpect: 100-continue\r\n\r\n")
    write("fuzz_http_request", "wrong-method", b"\0DELETE /v1/server HTTP/1.1\r\nHost: x\r\n\r\n")


def etcd_responses():
    """Answers of etcd 3.4's v3 JSON gateway as the fleet store reads them (zero fields left out, as etcd does)."""
    b64 = lambda text: base64.b64encode(text.encode()).decode()
    header = {"cluster_id": "15118495548433857066", "member_id": "13668033151171901709", "revision": "42",
              "raft_term": "2"}
    action = json.dumps({"id": 7, "kind": "migrate", "server": "web01", "from_host": "rack1", "to_host": "rack2",
                         "reason": "consolidate rack1", "interval": 41, "controller": "ctl-a", "started": 1700000000,
                         "result": "pending", "detail": "", "finished": 0}, separators=(",", ":"))
    host = json.dumps({"name": "rack2", "power": "off", "trusted_to_sleep": True, "wake_failed": False,
                       "wake_failed_reason": "", "wake_failed_at": 0, "power_changed_at": 1700000000,
                       "heartbeat_at": 1699999990}, separators=(",", ":"))
    kv = lambda key, value, lease=None: dict({"key": b64(key), "create_revision": "40", "mod_revision": "41",
                                              "version": "2", "value": b64(value)}, **({"lease": lease} if lease else {}))
    answers = {
        "range-action": {"header": header, "kvs": [kv("/sheer/fleet/actions/00000000000000000007", action)],
                         "count": "1"},
        "range-hosts": {"header": header, "kvs": [kv("/sheer/fleet/hosts/rack2", host)], "more": True, "count": "9"},
        "range-empty": {"header": header},
        "txn-won": {"header": header, "succeeded": True, "responses": [{"response_put": {"header": {"revision": "42"}}}]},
        "txn-lost": {"header": header, "responses": [{"response_range": {"header": {"revision": "42"}, "kvs": [
            kv("/sheer/fleet/leader", "ctl-b", "7587869330862358536")], "count": "1"}}]},
        "lease-grant": {"header": header, "ID": "7587869330862358536", "TTL": "2"},
        "lease-keepalive": {"result": {"header": header, "ID": "7587869330862358536", "TTL": "2"}},
        "lease-expired": {"result": {"header": header, "ID": "7587869330862358536"}},
        "error": {"error": "etcdserver: requested lease not found", "message": "etcdserver: requested lease not found",
                  "code": 5},
    }
    for name, answer in answers.items():
        write("fuzz_etcd_response", name, json.dumps(answer, separators=(",", ":")).encode())
    write("fuzz_etcd_response", "action-record", action.encode())
    write("fuzz_etcd_response", "base64", b64("/sheer/fleet/leader").encode())


kernels()
http_requests()
port_devices()
vfio_pci()
checkpoint()
text_files()
etcd_responses()
fleet_files()
