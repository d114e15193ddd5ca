#!/usr/bin/env python3
"""Reads the FTDC field dictionary out of the SFIT trader library shipped in the openctp-ctp wheel.

    wheel_dictionary.py dump [--out FILE]     write the dictionary (default: stdout)
    wheel_dictionary.py check [FILE]          exit 1 when FILE (default ftdc-fields-6.7.11.tsv)
                                              differs from what the installed library holds

The library registers one static `CFieldDescribe` per wire field (exported symbols
`_ZN<n>CFTD...Field10m_DescribeE`), filled by its constructors when the library is loaded. Each
holds the field id, a GBK comment, the struct size, the stream (wire) size, the member count, the
field name and one record per member (type, struct offset, stream offset, size, name). That is
exactly what the library itself uses to turn a struct into wire bytes, so it is the authoritative
6.7.11 layout of every field body. Layout of the object, as found in this build (x86-64, little
endian) and checked below on every field (stream offsets must add up to the stream size):

    0x00 u16 field id | 0x02 char comment[100] | 0x68 i32 struct size | 0x6c i32 stream size |
    0x70 i32 member count | 0x74 char name[100] | 0xd8 members, 76 bytes each:
    i32 type (0 char, 1 short, 2 int, 4 double) | i32 struct offset | i32 stream offset |
    i32 size | char name[60]

Output: a comment line, then one line per field, sorted by name:
FID (hex) TAB name TAB wire length TAB comment (UTF-8) TAB members as offset:name:<kind><size>
separated by spaces (kind c = chars, h = short, i = int, d = double).
"""
import argparse
import ctypes
import glob
import os
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = os.path.join(HERE, "ftdc-fields-6.7.11.tsv")
KINDS = {0: "c", 1: "h", 2: "i", 4: "d"}
HEADER_SIZE = 0xD8
MEMBER_SIZE = 76


def trader_library():
    """Path of libthosttraderapi_se*.so inside the installed wheel (after loading the module,
    which also needs the zh_CN.GB18030 locale to be present)."""
    import openctp_ctp
    from openctp_ctp import tdapi  # noqa: F401  (loads the library and runs its constructors)
    del tdapi
    folder = os.path.join(os.path.dirname(os.path.dirname(openctp_ctp.__file__)), "openctp_ctp.libs")
    found = glob.glob(os.path.join(folder, "libthosttraderapi_se*.so"))
    if not found:
        raise SystemExit(f"no libthosttraderapi_se*.so in {folder}")
    return found[0]


def describe_symbols(path):
    output = subprocess.run(["nm", "-D", "--defined-only", path], check=True, capture_output=True, text=True).stdout
    return sorted(set(re.findall(r"\b(_ZN\d+CFTD\w+?Field10m_DescribeE)\b", output)))


def read_describe(library, symbol):
    """(fid, name, stream size, comment, [(stream offset, name, kind, size)]) of one descriptor."""
    address = ctypes.addressof(ctypes.c_char.in_dll(library, symbol))
    head = ctypes.string_at(address, HEADER_SIZE)
    fid = struct.unpack_from("<H", head, 0)[0]
    _, stream_size, count = struct.unpack_from("<iii", head, 0x68)
    comment = head[2:0x66].split(b"\0")[0].decode("gbk", "replace")
    name = head[0x74:HEADER_SIZE].split(b"\0")[0].decode("ascii")
    if not 0 < count <= 200:
        raise SystemExit(f"{symbol}: implausible member count {count}; the descriptor layout has changed")
    raw = ctypes.string_at(address + HEADER_SIZE, MEMBER_SIZE * count)
    members = []
    expected = 0
    for index in range(count):
        kind, _, offset, size = struct.unpack_from("<iiii", raw, index * MEMBER_SIZE)
        member = raw[index * MEMBER_SIZE + 16:(index + 1) * MEMBER_SIZE].split(b"\0")[0].decode("ascii")
        if kind not in KINDS or offset != expected or size <= 0:
            raise SystemExit(f"{name}.{member}: type {kind}, offset {offset}, size {size}: unexpected descriptor")
        members.append((offset, member, KINDS[kind], size))
        expected += size
    if expected != stream_size:
        raise SystemExit(f"{name}: members add up to {expected}, stream size is {stream_size}")
    return fid, name, stream_size, comment, members


def dictionary_text():
    path = trader_library()
    library = ctypes.CDLL(path)
    rows = [read_describe(library, symbol) for symbol in describe_symbols(path)]
    rows.sort(key=lambda row: row[1])
    lines = [f"# FTDC field dictionary of {os.path.basename(path)} (openctp-ctp {wheel_version()}), "
             "written by wheel_dictionary.py: fid, name, wire length, comment, members offset:name:kind+size"]
    for fid, name, size, comment, members in rows:
        text = " ".join(f"{offset}:{member}:{kind}{length}" for offset, member, kind, length in members)
        lines.append(f"0x{fid:04x}\t{name}\t{size}\t{comment}\t{text}")
    return "\n".join(lines) + "\n"


def wheel_version():
    from importlib.metadata import version
    return version("openctp-ctp")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dump = commands.add_parser("dump")
    dump.add_argument("--out")
    check = commands.add_parser("check")
    check.add_argument("file", nargs="?", default=DEFAULT)
    args = parser.parse_args()
    text = dictionary_text()
    if args.command == "dump":
        if args.out:
            with open(args.out, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            sys.stdout.write(text)
        return
    with open(args.file, encoding="utf-8") as handle:
        if handle.read() != text:
            raise SystemExit(f"{args.file} differs from the dictionary of the installed library")
    print(f"{os.path.basename(args.file)}: same as the installed library ({text.count(chr(10)) - 1} fields)")


if __name__ == "__main__":
    main()
