#!/usr/bin/env python3
"""Writes doku_vb6.c: one __stdcall function per function of include/doku.h.

VB6's `Declare` can only call stdcall functions, and libdoku's functions are cdecl (the
plain C convention). The shim `doku_vb6.dll` gives each `doku_X` a stdcall twin
`doku_vb6_X` with the same parameters, which calls `doku_X` and returns its result.
Generating it from the header keeps it complete as the C API grows (the API is
append-only). Build (scripts/cross/cross.sh does this for i686):

    i686-w64-mingw32-gcc -shared -O2 -Iinclude -o doku_vb6.dll doku_vb6.c \
        lib/libdoku.dll.a -Wl,--kill-at      # --kill-at: undecorated names, no "@32"

Usage: gen_shim.py include/doku.h out/doku_vb6.c
"""
import re
import sys

PROTO = re.compile(r"^(doku_status|void|const char \*)\s*(doku_\w+)\(([^)]*)\);", re.M)


def main(header_path: str, out_path: str) -> None:
    header = open(header_path, encoding="utf-8").read()
    protos = PROTO.findall(header)
    if len(protos) < 10:
        sys.exit(f"gen_shim: found only {len(protos)} functions in {header_path}")
    out = [
        "/* doku_vb6.c: stdcall entry points for VB6, generated from doku.h by",
        " * scripts/cross/vb6/gen_shim.py; do not edit. doku_vb6_X calls doku_X with the same",
        " * arguments. Rules (ownership, threads, UTF-8) are those of doku.h. */",
        "#include <stddef.h>",
        "#include <stdint.h>",
        '#include "doku.h"',
        "",
    ]
    for ret, name, params in protos:
        params = " ".join(params.split())
        if params == "void":
            names = ""
        else:
            names = ", ".join(re.findall(r"(\w+)\s*$", p.strip())[0] for p in params.split(","))
        call = f"{name}({names})"
        body = f"{call};" if ret == "void" else f"return {call};"
        out.append(f"__declspec(dllexport) {ret} __stdcall doku_vb6{name[4:]}({params})")
        out.append(f"{{\n    {body}\n}}\n")
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
