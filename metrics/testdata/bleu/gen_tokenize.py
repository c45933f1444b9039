#!/usr/bin/python3
"""Tokenizer and text-handling references for metrics' BLEU tests.

Runs the definitions of SPEC-text.md B.2-B.4 on the real Python string
methods (str.lower, str.rstrip, str.split) and on Python's re / the regex
module (for \\p{P}, \\p{S}, \\P{N}, as sacreBLEU's intl tokenizer uses it), for
a fixed list of tricky lines and seeded random lines. The regular
expressions are transcribed from the spec, not copied from sacreBLEU.

Run: /usr/bin/python3 gen_tokenize.py  (Python 3.11, regex 2022.x)
Writes tokenize_cases.json.
"""
import json
import random
import re
import sys

import regex

P13A = re.compile(r'([\{-\~\[-\` -\&\(-\+\:-\@\/])')
RULES_13A = [
    (P13A, r' \1 '),
    (re.compile(r'([^0-9])([\.,])'), r'\1 \2 '),
    (re.compile(r'([\.,])([^0-9])'), r' \1 \2'),
    (re.compile(r'([0-9])(-)'), r'\1 \2 '),
]
RULES_INTL = [
    (regex.compile(r'(\P{N})(\p{P})'), r'\1 \2 '),
    (regex.compile(r'(\p{P})(\P{N})'), r' \1 \2'),
    (regex.compile(r'(\p{S})'), r' \1 '),
]


def tok_13a(line):
    line = line.replace('<skipped>', '').replace('-\n', '').replace('\n', ' ')
    if '&' in line:
        for a, b in (('&quot;', '"'), ('&amp;', '&'), ('&lt;', '<'), ('&gt;', '>')):
            line = line.replace(a, b)
    line = f' {line} '
    for r, s in RULES_13A:
        line = r.sub(s, line)
    return ' '.join(line.split())


def tok_intl(line):
    for r, s in RULES_INTL:
        line = r.sub(s, line)
    return ' '.join(line.split())


def tok_char(line):
    return ' '.join(''.join(line.split()))


FIXED = [
    "ΟΔΟΣ ΣΟΦΙΑΣ", "ΣΑΣ.", "Σ", "ΑΣ'Α", "ὈΔΥΣΣΕΎΣ", "İstanbul İİ", "ǅemal", "ΑΣ\u0301 ΒΣ",
    "a\u00a0b\u2003c\u3000d", "a\x1cb\x1dc\x1ed\x1ff", "zero\u200bwidth", "bom\ufeffx",
    "tail \t\u00a0\u2028", "x\u0085y", "He said: \"It costs $5.00, not $50!\" (really).",
    "Fish &amp; chips &lt;b&gt; cost &quot;5&quot; &amp;lt;", "1990. 3.14 1,000 x.y a,b 5-6 a-b",
    "Il a dit « bonjour » — c’est arrivé en 1990.", "我喜欢吃苹果。", "emoji 😀👍🏽 ok!",
    "line one-\nline two\nthree<skipped>four", "..,,.. 1.. .1 ,1 1, -1 1- --", "",
    "   ", "ends with dot.", "नमस्ते, दुनिया!", "¿Qué? ¡Sí!", "a\u0301b\u0300.", "$100 €5 ¥3 2+2=4 a|b ~x^y",
]
POOL = list("aZ09 .,-'\"&;<>/!?()[]{}$%^~`|@#*+=:_\\\n\t") + [
    "Σ", "σ", "ς", "İ", "ı", "\u00a0", "\u2009", "\u3000", "\x1c", "\x1f", "\u200b", "\u0301",
    "«", "»", "—", "’", "。", "、", "我", "😀", "€", "½", "²", "٣", "ǅ", "Ⅻ", "&amp;", "&lt;",
    "&quot;", "<skipped>", "-\n", "\u0085", "\u2028", "ß", "ﬁ", "Ω", "K",
]


def main():
    rng = random.Random(20261203)
    lines = list(FIXED)
    for _ in range(400):
        lines.append(''.join(rng.choice(POOL) for _ in range(rng.randint(0, 24))))
    cases = []
    for s in lines:
        case = {"line": s, "lower": s.lower(), "rstrip": s.rstrip(), "split": s.split()}
        for lc in (False, True):
            t = s.lower() if lc else s
            t = t.rstrip()
            key = "lc_" if lc else ""
            case[key + "13a"] = tok_13a(t)
            case[key + "intl"] = tok_intl(t)
            case[key + "char"] = tok_char(t)
            case[key + "none"] = t
        cases.append(case)
    doc = {"generated_by": "gen_tokenize.py", "python": sys.version.split()[0],
           "regex": regex.__version__, "cases": cases}
    with open("tokenize_cases.json", "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=0)


if __name__ == "__main__":
    main()
