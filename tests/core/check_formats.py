"""Checks routerpulse's line protocol and JSON output against the metrics it came from.

Usage: check_formats.py CASES LP JSONL

CASES has one JSON object per metric, written by tests/core/test_formats.cpp
with every string as hex bytes (so invalid UTF-8 survives):
    {"name": HEX, "tags": [[HEX, HEX]...], "fields": [[HEX, TYPE, VALUE]...], "time": "INT"}
TYPE is i/u (VALUE a decimal string), f (VALUE a float.hex() string, or
"nan"/"inf"/"-inf"), b (true/false) or s (VALUE hex bytes).
LP holds append_line_protocol() of every metric in order, JSONL append_json()
plus '\\n' of every metric. The expected output follows the rules documented in
agent/include/routerpulse/metric.hpp; it is computed here, independently of the
C++ code. Standard library only. Exit 0 when everything matches.
"""
import json
import math
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from lineprotocol import LineProtocolError, parse_line, self_test  # noqa: E402


def text(hex_bytes):
    """The string a reader sees: invalid UTF-8 replaced with U+FFFD per maximal
    ill-formed subsequence (what routerpulse writes)."""
    return bytes.fromhex(hex_bytes).decode("utf-8", errors="replace")


def raw(hex_bytes):
    return bytes.fromhex(hex_bytes)


def value_of(kind, v):
    if kind in "iu":
        return int(v)
    if kind == "f":
        return float(v) if v in ("nan", "inf", "-inf") else float.fromhex(v)
    if kind == "b":
        return v
    return text(v)


def lp_representable(b):
    return len(b) > 0 and not b.endswith(b"\\")


def expected_lp(case):
    """(name, tags, fields, time) or None when the metric writes no line."""
    if not lp_representable(raw(case["name"])):
        return None
    tags = [(text(k), text(v)) for k, v in case["tags"]
            if lp_representable(raw(k)) and lp_representable(raw(v))]
    fields = []
    for k, kind, v in case["fields"]:
        value = value_of(kind, v)
        if not lp_representable(raw(k)) or (kind == "f" and not math.isfinite(value)):
            continue
        fields.append((text(k), (kind, value)))
    if not fields:
        return None
    t = int(case["time"])
    return text(case["name"]), tags, fields, (None if t == 0 else t)


def same_float(a, b):
    return a == b and math.copysign(1, a) == math.copysign(1, b)


def same_fields(got, want):
    if len(got) != len(want):
        return False
    for (gk, (gt, gv)), (wk, (wt, wv)) in zip(got, want):
        if gk != wk:
            return False
        if wt == "f":
            if gt != "f" or not same_float(gv, wv):
                return False
        elif (gt, gv) != (wt, wv) or type(gv) is not type(wv):
            return False
    return True


class Number:
    """A JSON number with its literal text kept (for exactness and the sign of zero)."""

    def __init__(self, literal):
        self.literal = literal


def reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def check_json_value(kind, want, got):
    if kind in "iu":
        return isinstance(got, Number) and got.literal.lstrip("-").isdigit() and int(got.literal) == want
    if kind == "f":
        if not math.isfinite(want):
            return got is None
        return isinstance(got, Number) and same_float(float(got.literal), want)
    if kind == "b":
        return got is want
    return isinstance(got, str) and got == want


def check_json(case, line):
    obj = json.loads(line, object_pairs_hook=list, parse_int=Number, parse_float=Number,
                     parse_constant=reject_constant)
    keys = [k for k, _ in obj]
    if keys != ["name", "tags", "fields", "time"]:
        return f"top-level keys {keys}"
    body = dict(obj)
    if body["name"] != text(case["name"]):
        return f"name {body['name']!r} != {text(case['name'])!r}"
    want_tags = [[text(k), text(v)] for k, v in case["tags"]]
    if [list(p) for p in body["tags"]] != want_tags:
        return f"tags {body['tags']!r} != {want_tags!r}"
    if len(body["fields"]) != len(case["fields"]):
        return f"{len(body['fields'])} fields, want {len(case['fields'])}"
    for (gk, gv), (k, kind, v) in zip(body["fields"], case["fields"]):
        if gk != text(k) or not check_json_value(kind, value_of(kind, v), gv):
            return f"field {gk!r}={getattr(gv, 'literal', gv)!r}, want {text(k)!r}={kind}:{v}"
    t = body["time"]
    if not isinstance(t, Number) or int(t.literal) != int(case["time"]):
        return f"time {getattr(t, 'literal', t)!r} != {case['time']}"
    return None


def lines_of(path):
    data = Path(path).read_bytes()
    if data and not data.endswith(b"\n"):
        raise SystemExit(f"{path}: does not end with a newline")
    if b"\r" in data:
        raise SystemExit(f"{path}: contains a raw CR")
    # Strict UTF-8: both formats must always be valid UTF-8.
    return data.decode("utf-8").split("\n")[:-1]


def main(cases_path, lp_path, json_path):
    self_test()
    cases = [json.loads(line) for line in Path(cases_path).read_text().splitlines()]
    lp_lines = lines_of(lp_path)
    json_lines = lines_of(json_path)
    failures = []

    expected = [(i, e) for i, e in ((i, expected_lp(c)) for i, c in enumerate(cases)) if e is not None]
    if len(expected) != len(lp_lines):
        failures.append(f"line protocol: {len(lp_lines)} lines, want {len(expected)} "
                        f"({len(cases) - len(expected)} of {len(cases)} metrics write no line)")
    for (i, want), line in zip(expected, lp_lines):
        try:
            got = parse_line(line)
        except LineProtocolError as e:
            failures.append(f"metric {i}: line protocol {line!r} does not parse: {e}")
            continue
        if got[0] != want[0] or got[1] != want[1] or got[3] != want[3] or not same_fields(got[2], want[2]):
            failures.append(f"metric {i}: line protocol {line!r}\n  parsed {got!r}\n  wanted {want!r}")

    if len(json_lines) != len(cases):
        failures.append(f"json: {len(json_lines)} lines, want {len(cases)}")
    for i, (case, line) in enumerate(zip(cases, json_lines)):
        try:
            problem = check_json(case, line)
        except ValueError as e:
            problem = f"does not parse: {e}"
        if problem:
            failures.append(f"metric {i}: json {line!r}: {problem}")

    if failures:
        for f in failures[:25]:
            print(f)
        print(f"{len(failures)} failures")
        return 1
    print(f"{len(cases)} metrics: {len(lp_lines)} line-protocol lines "
          f"({len(cases) - len(lp_lines)} metrics not representable) and {len(json_lines)} JSON lines "
          "parsed back to the expected values")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    sys.exit(main(*sys.argv[1:]))
