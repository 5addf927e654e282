#!/usr/bin/env python3
"""Refuse files that hold a private key in clear (a pre-commit hook).

Flags PEM private-key blocks, and 32-byte hex literals on a line that names a
key, secret or mnemonic (``key = "0x4c0883..."``). Hashes, ids and test keys
built at run time (``"0x" + "11" * 32``, keys derived from anvil's public test
mnemonic) pass. A line that must hold such a literal on purpose can carry
``# not-a-secret``.

Usage: scan_keys.py FILE [FILE ...]; exit status 1 when anything was found.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PEM = re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")
HEX32 = re.compile(r"(?<![0-9a-fA-F])(?:0x)?[0-9a-fA-F]{64}(?![0-9a-fA-F])")
KEYISH = re.compile(r"(?i)(priv|secret|mnemonic|seed|\bkey\b|_key\b|\bkey_|\bsk\b)")
ALLOW = "not-a-secret"


def findings(path: Path) -> list[str]:
    """``path:line: why`` for each suspicious line of one file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return []
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if ALLOW in line:
            continue
        if PEM.search(line):
            out.append(f"{path}:{number}: PEM private key block")
        elif HEX32.search(line) and KEYISH.search(line):
            out.append(f"{path}:{number}: 32-byte hex literal next to a key name")
    return out


def main(argv: list[str]) -> int:
    found = [f for name in argv for f in findings(Path(name))]
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print("private key material in clear: use an encrypted keystore", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
