#!/usr/bin/python3
"""Extra BLEU reference cases for metrics' tests: extra_cases.json.

The shared refcases (cases.json) hold 15 of the 29 cases SPEC-text.md B.7
lists; the others are kept back for acceptance testing. This script writes
cases of those kinds (and of the traps B.2-B.4 name) from its own inputs,
scored by a Python model of sacreBLEU 2.6.0's corpus BLEU transcribed from
SPEC-text.md B.4-B.6, on Python's own str.lower, str.rstrip and str.split
and the tokenizers of gen_tokenize.py. sacreBLEU itself is not installed
here (not packaged in Debian bookworm, PyPI unreachable).

Before writing anything the model is checked against every case of the
shared cases.json (score to 1e-9, counts, totals, segment statistics,
signature and verbose line) and against the one worked example SPEC-text.md
B.6 prints; it refuses to write if any differs.

Run: /usr/bin/python3 gen_extra.py   (Python 3.11, regex 2022.x)
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_tokenize import tok_13a, tok_intl, tok_char  # noqa: E402

ORDER = 4
TOKENIZERS = {"13a": tok_13a, "intl": tok_intl, "char": tok_char, "none": lambda s: s}


def options(o):
    full = {"tokenize": "13a", "smooth_method": "exp", "smooth_value": None,
            "lowercase": False, "effective_order": False}
    full.update(o)
    if full["smooth_value"] is None:
        full["smooth_value"] = {"floor": 0.1, "add-k": 1}.get(full["smooth_method"])
    return full


def preprocess(s, o):
    if o["lowercase"]:
        s = s.lower()
    return TOKENIZERS[o["tokenize"]](s.rstrip())


def ngrams(toks):
    counts = {}
    for n in range(1, ORDER + 1):
        for i in range(len(toks) - n + 1):
            g = tuple(toks[i:i + n])
            counts[g] = counts.get(g, 0) + 1
    return counts


def segment(hyp, refs):
    h = hyp.split()
    rs = [r.split() for r in refs]
    ref_len = None
    for r in rs:
        if ref_len is None or abs(len(r) - len(h)) < abs(ref_len - len(h)) or (
                abs(len(r) - len(h)) == abs(ref_len - len(h)) and len(r) < ref_len):
            ref_len = len(r)
    ref_max = {}
    for r in rs:
        for g, c in ngrams(r).items():
            ref_max[g] = max(ref_max.get(g, 0), c)
    correct = [0] * ORDER
    for g, c in ngrams(h).items():
        correct[len(g) - 1] += min(c, ref_max.get(g, 0))
    total = [max(0, len(h) - n + 1) for n in range(1, ORDER + 1)]
    return [len(h), ref_len] + correct + total


def score(stats, o):
    sys_len, ref_len = stats[0], stats[1]
    correct, total = list(stats[2:2 + ORDER]), list(stats[2 + ORDER:])
    if sys_len >= ref_len:
        bp = 1.0
    elif sys_len > 0:
        bp = math.exp(1 - ref_len / sys_len)
    else:
        bp = 0.0
    prec = [0.0] * ORDER
    if not any(correct):
        return 0.0, correct, total, prec, bp
    eff, halve = ORDER, 1
    for n in range(1, ORDER + 1):
        if o["smooth_method"] == "add-k" and n > 1:
            correct[n - 1] += o["smooth_value"]
            total[n - 1] += o["smooth_value"]
        if total[n - 1] == 0:
            break
        if o["effective_order"]:
            eff = n
        if correct[n - 1] == 0:
            if o["smooth_method"] == "exp":
                halve *= 2
                prec[n - 1] = 100.0 / (halve * total[n - 1])
            elif o["smooth_method"] == "floor":
                prec[n - 1] = 100.0 * o["smooth_value"] / total[n - 1]
        else:
            prec[n - 1] = 100.0 * correct[n - 1] / total[n - 1]
    logs = [math.log(p) if p > 0 else -9999999999 for p in prec[:eff]]
    return bp * math.exp(sum(logs) / eff), correct, total, prec, bp


def signature(o, nrefs, short):
    smooth = o["smooth_method"]
    if smooth in ("floor", "add-k"):
        smooth += "[%.2f]" % o["smooth_value"]
    f = [("nrefs", "#", str(nrefs)), ("case", "c", "lc" if o["lowercase"] else "mixed"),
         ("eff", "e", "yes" if o["effective_order"] else "no"), ("tok", "tok", o["tokenize"]),
         ("smooth", "s", smooth), ("version", "v", "2.6.0")]
    return "|".join("%s:%s" % (k[1] if short else k[0], v) for *k, v in [(a, b, c) for a, b, c in f])


def run_case(c):
    o = options(c.get("options", {}))
    n = len(c["hyps"])
    tok_hyps = [preprocess(h, o) for h in c["hyps"]]
    tok_refs = [[None if r is None else preprocess(r, o) for r in stream] for stream in c["refs"]]
    segs, counts = [], set()
    for i in range(n):
        refs = [stream[i] for stream in tok_refs if stream[i] is not None]
        counts.add(len(refs))
        segs.append(segment(tok_hyps[i], refs))
    corpus = [sum(s[k] for s in segs) for k in range(2 + 2 * ORDER)]
    sc, correct, total, prec, bp = score(corpus, o)
    nrefs = str(counts.pop()) if len(counts) == 1 else "var"
    sig = signature(o, nrefs, False)
    ratio = corpus[0] / corpus[1] if corpus[1] else 0
    formatted = "BLEU|%s = %.2f %s (BP = %.3f ratio = %.3f hyp_len = %d ref_len = %d)" % (
        sig, sc, "/".join("%.1f" % p for p in prec), bp, ratio, corpus[0], corpus[1])
    return {
        "tokenized_hyps": tok_hyps, "tokenized_refs": tok_refs,
        "expected": {
            "score": sc, "score_2dp": "%.2f" % sc, "counts": correct, "totals": total,
            "precisions": prec, "bp": bp, "sys_len": corpus[0], "ref_len": corpus[1],
            "signature": sig, "signature_short": signature(o, nrefs, True),
            "formatted": formatted, "segment_stats": segs,
        },
    }


def check_shared(path):
    with open(path, encoding="utf-8") as f:
        shared = json.load(f)["cases"]
    for c in shared:
        got, want = run_case(c)["expected"], c["expected"]
        for k in ("counts", "totals", "sys_len", "ref_len", "signature", "signature_short",
                  "formatted", "segment_stats", "score_2dp"):
            if got[k] != want[k]:
                sys.exit("model differs from %s on %s: %s = %r, want %r" % (path, c["name"], k, got[k], want[k]))
        if abs(got["score"] - want["score"]) > 1e-9:
            sys.exit("model differs on %s: score %r, want %r" % (c["name"], got["score"], want["score"]))
    return shared


# SPEC-text.md B.6's worked example: floor[0.01] on add_k_2's inputs.
SPEC_EXAMPLE = ("BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:floor[0.01]|version:2.6.0 = 8.56 "
                "90.0/55.6/25.0/0.1 (BP = 0.741 ratio = 0.769 hyp_len = 10 ref_len = 13)")

DOG_H = "a large dog ran across the wide green field quickly"
DOG_R = "a large dog sat near the wide green lawn and ran across quickly"
CAT_H = ["the cat sat on the mat today", "there is a small house by the river"]
CAT_R = ["the cat was sitting on the mat", "a small house stands by the river bank"]

CASES = [
    ("floor_custom_value", "floor[0.01] (SPEC-text.md B.6 example)", [DOG_H], [[DOG_R]],
     {"smooth_method": "floor", "smooth_value": 0.01}),
    ("no_4gram_match_exp", "no 4-gram matches, exp smoothing halves", CAT_H, [CAT_R], {}),
    ("no_4gram_match_floor", "no 4-gram matches, floor 0.1", CAT_H, [CAT_R], {"smooth_method": "floor"}),
    ("multi_ref_tie_shorter", "refs of 5 and 7 tokens for a 6-token hyp: ref_len 5",
     ["one two three four five six"],
     [["one two three four five"], ["one two three four five six seven"], ["x y"]], {}),
    ("multi_ref_different_lengths", "3 references of different lengths",
     ["the quick brown fox jumps over the lazy dog", "it is raining cats and dogs"],
     [["a quick brown fox jumped over the lazy dog", "it rains cats and dogs"],
      ["the fast brown fox leaps over a lazy dog today", "it is pouring"],
      ["quick brown fox", "it is raining cats and dogs again today"]], {}),
    ("empty_hypothesis_in_corpus", "an empty hypothesis among others",
     [CAT_H[0], "", CAT_H[1]], [[CAT_R[0], "something was said here", CAT_R[1]]], {}),
    ("short_hyps_no_4grams_effective_order_off", "every hyp under 4 tokens: 0 without effective order",
     ["hello world", "good morning all"], [["hello world", "good morning all"]], {}),
    ("sentence_bleu_defaults", "sentence BLEU: effective order on", ["the cat sat on a mat"],
     [["the cat sat on the mat"]], {"effective_order": True}),
    ("punct_13a", "13a splits ASCII punctuation", ['He said: "stop!" (twice), then left.'],
     [['He said : " stop ! " ( twice ) , then left .']], {}),
    ("punct_intl", "intl splits Unicode punctuation", ['He said: "stop!" (twice), then left.'],
     [['He said : " stop ! " ( twice ) , then left .']], {"tokenize": "intl"}),
    ("html_entities_intl", "intl does not unescape entities", ["Fish &amp; chips &lt;3 &quot;yes&quot;"],
     [['Fish & chips <3 "yes"']], {"tokenize": "intl"}),
    ("unicode_punct_intl", "« » — ’ and a final 1990.",
     ["Il a dit « bonjour » — c’est arrivé en 1990."], [["Il a dit «bonjour» — c’est arrivé en 1990 ."]],
     {"tokenize": "intl"}),
    ("cjk_intl", "unsegmented CJK under intl", ["我喜欢吃苹果。"], [["我喜欢吃香蕉。"]], {"tokenize": "intl"}),
    ("lowercase_greek_final_sigma", "str.lower gives final ς; per-rune lowering gives σ",
     ["ΟΔΟΣ ΣΟΦΙΑΣ ΚΑΙ ΤΟΥ ΚΟΣΜΟΣ"], [["οδος σοφιας και του κοσμος"]], {"lowercase": True}),
    ("lowercase_dotted_i", "İ lowers to two code points", ["İstanbul is a big city"], [["i̇stanbul is a big city"]],
     {"lowercase": True}),
    ("unicode_whitespace", "NBSP, ideographic space, U+001C-U+001F split; ZWSP does not",
     ["a\u00a0b\u3000c\x1cd\x1fe zero\u200bwidth tab\tend\n"], [["a b c d e zero\u200bwidth tab end"]],
     {"tokenize": "none"}),
    ("add_k_lowercase_char", "add-k with char tokenizer and lowercasing", ["Hello World"],
     [["hello word"]], {"tokenize": "char", "smooth_method": "add-k", "lowercase": True}),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    check_shared(os.path.join(here, "cases.json"))
    out = []
    for name, note, hyps, refs, opts in CASES:
        c = {"name": name, "hyps": hyps, "refs": refs, "options": opts, "note": note}
        c.update(run_case(c))
        out.append(c)
    if out[0]["expected"]["formatted"] != SPEC_EXAMPLE:
        sys.exit("model differs from SPEC-text.md B.6: %s" % out[0]["expected"]["formatted"])
    doc = {"generator": "gen_extra.py: a model of sacreBLEU 2.6.0 corpus BLEU from SPEC-text.md B.4-B.6, "
                        "checked against the shared cases.json",
           "python": sys.version.split()[0], "cases": out}
    with open(os.path.join(here, "extra_cases.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
    for c in out:
        print("%-42s %s" % (c["name"], c["expected"]["score_2dp"]))


if __name__ == "__main__":
    main()
