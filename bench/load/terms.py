#!/usr/bin/env python3
"""Prints COUNT distinct Chinese-like keyword lines, deterministic per (START, COUNT).

Term i (START <= i < START + COUNT) is a fixed three-character head that spells i in base
len(ALPHABET) (so heads of different i differ, and so do the terms) followed by zero to three
tail characters chosen by a hash of i: 3 to 6 characters, all common simplified characters
(OpenCC's traditional-to-simplified step leaves them as they are, so terms stay distinct after
lexset folds them).
"""

import hashlib
import sys

ALPHABET = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能"
    "下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量"
    "都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重"
    "新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已"
    "通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将"
    "组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质信"
)
ALPHABET = "".join(dict.fromkeys(ALPHABET))  # each character once
BASE = len(ALPHABET)


def term(i: int) -> str:
    head = []
    n = i
    for _ in range(3):
        head.append(ALPHABET[n % BASE])
        n //= BASE
    if n:
        raise SystemExit(f"index {i} needs more than three characters")
    digest = hashlib.sha256(str(i).encode()).digest()
    tail = [ALPHABET[digest[k + 1] % BASE] for k in range(digest[0] % 4)]
    return "".join(head + tail)


def main() -> None:
    start, count = int(sys.argv[1]), int(sys.argv[2])
    out = sys.stdout
    for i in range(start, start + count):
        out.write(term(i))
        out.write("\n")


if __name__ == "__main__":
    main()
