"""A strict InfluxDB line protocol reader for tests (Python standard library only).

Written from the spec (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/):

    <measurement>[,<tag_key>=<tag_value>...] <field_key>=<field_value>[,...] [<timestamp>]

* Special characters: a backslash escapes `,` and space in the measurement,
  `,` `=` and space in tag keys, tag values and field keys, `"` and `\\` in
  string field values. Other characters need no escape.
* Escaping backslashes: two backslashes read as one; a backslash that escapes
  nothing is itself (so `\\`, `\\\\` -> `\\`; `\\\\\\`, `\\\\\\\\` -> `\\\\`).
* Tag values cannot be empty; points need at least one field; no newline in
  tag or field values; a line starting with `#` is a comment.
* Floats (`1`, `-1.5`, `1e+78`), integers (`1i`, int64), unsigned (`1u`,
  uint64), strings (double quoted), booleans (t T true True TRUE f F false
  False FALSE); timestamp -9223372036854775806..9223372036854775806.
* What InfluxDB's own parsers also reject: an unescaped `=` in a tag value, a
  name or value ending in a backslash (InfluxDB 3: "may not end with a
  backslash"), out-of-range numbers, anything after the timestamp.

Plus routerpulse's documented conventions (agent/include/routerpulse/metric.hpp):
`\\t` `\\n` `\\r` `\\f` and `\\xHH` in identifiers and `\\n` `\\r` in string values
stand for those control characters, a measurement written `\\#...` starts with
`#`, and since routerpulse always writes them escaped, a raw control character
outside a string value and a raw CR anywhere are errors here.
"""
import math
import re

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
UINT64_MAX = (1 << 64) - 1
TIME_MIN, TIME_MAX = -9223372036854775806, 9223372036854775806

IDENT_CONTROLS = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
STRING_CONTROLS = {"n": "\n", "r": "\r"}
TRUE = {"t", "T", "true", "True", "TRUE"}
FALSE = {"f", "F", "false", "False", "FALSE"}
_FLOAT = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\Z")
_INT = re.compile(r"-?\d+\Z")
_UINT = re.compile(r"\d+\Z")
_HEX2 = re.compile(r"[0-9a-f]{2}")


class LineProtocolError(ValueError):
    pass


def _identifier(line, i, stops, escapable, what, allow_empty=False):
    """Reads an escaped name from line[i:] up to an unescaped character in `stops`."""
    out = []
    n = len(line)
    while i < n:
        c = line[i]
        if c == "\\" and i + 1 < n:
            nxt = line[i + 1]
            if nxt == "\\" or nxt in escapable:
                out.append(nxt)
                i += 2
                continue
            if nxt in IDENT_CONTROLS:
                out.append(IDENT_CONTROLS[nxt])
                i += 2
                continue
            if nxt == "x" and _HEX2.match(line, i + 2):
                out.append(chr(int(line[i + 2:i + 4], 16)))
                i += 4
                continue
            out.append("\\")  # escapes nothing: a literal backslash
            i += 1
            continue
        if c in stops:
            break
        if c < " " or c == "\x7f":
            raise LineProtocolError(f"raw {c!r} in {what}")
        out.append(c)
        i += 1
    text = "".join(out)
    if not text and not allow_empty:
        raise LineProtocolError(f"empty {what} at column {i + 1}")
    if text.endswith("\\"):
        raise LineProtocolError(f"{what} ends with a backslash")
    return text, i


def _string(line, i):
    """Reads a double-quoted string value; line[i] is the opening quote."""
    out = []
    i += 1
    n = len(line)
    while i < n:
        c = line[i]
        if c == "\\" and i + 1 < n:
            nxt = line[i + 1]
            if nxt in "\"\\":
                out.append(nxt)
                i += 2
                continue
            if nxt in STRING_CONTROLS:
                out.append(STRING_CONTROLS[nxt])
                i += 2
                continue
            out.append("\\")
            i += 1
            continue
        if c == '"':
            return "".join(out), i + 1
        if c in "\n\r":
            raise LineProtocolError(f"raw {c!r} in a string value")
        out.append(c)
        i += 1
    raise LineProtocolError("unterminated string value")


def _number_or_bool(token):
    if token in TRUE:
        return ("b", True)
    if token in FALSE:
        return ("b", False)
    if token.endswith("i") and _INT.match(token[:-1]):
        v = int(token[:-1])
        if not INT64_MIN <= v <= INT64_MAX:
            raise LineProtocolError(f"integer out of range: {token}")
        return ("i", v)
    if token.endswith("u") and _UINT.match(token[:-1]):
        v = int(token[:-1])
        if v > UINT64_MAX:
            raise LineProtocolError(f"unsigned integer out of range: {token}")
        return ("u", v)
    if _FLOAT.match(token):
        v = float(token)
        if not math.isfinite(v):
            raise LineProtocolError(f"float out of range: {token}")
        return ("f", v)
    raise LineProtocolError(f"invalid field value {token!r}")


def parse_line(line):
    """Parses one line (without its '\\n') into
    (measurement, [(tag_key, tag_value)...], [(field_key, (type, value))...], time or None).
    Types: 'i' int, 'u' uint, 'f' float, 'b' bool, 's' str. Raises LineProtocolError."""
    if not line:
        raise LineProtocolError("empty line")
    if line.startswith("#"):
        raise LineProtocolError("comment line")
    if "\n" in line:
        raise LineProtocolError("newline inside a line")
    i, prefix = 0, ""
    if line.startswith("\\#"):
        i, prefix = 2, "#"
    name, i = _identifier(line, i, ", ", ", ", "measurement", allow_empty=bool(prefix))
    name = prefix + name
    tags = []
    while i < len(line) and line[i] == ",":
        key, i = _identifier(line, i + 1, "=, ", ",= ", "tag key")
        if i >= len(line) or line[i] != "=":
            raise LineProtocolError(f"no '=' after tag key {key!r}")
        value, i = _identifier(line, i + 1, ",= ", ",= ", "tag value")
        if i < len(line) and line[i] == "=":
            raise LineProtocolError(f"unescaped '=' in tag value {value!r}")
        tags.append((key, value))
    if i >= len(line) or line[i] != " ":
        raise LineProtocolError("no field set")
    i += 1
    fields = []
    while True:
        key, i = _identifier(line, i, "=, ", ",= ", "field key")
        if i >= len(line) or line[i] != "=":
            raise LineProtocolError(f"no '=' after field key {key!r}")
        i += 1
        if i < len(line) and line[i] == '"':
            s, i = _string(line, i)
            value = ("s", s)
        else:
            j = i
            while j < len(line) and line[j] not in ", ":
                j += 1
            value = _number_or_bool(line[i:j])
            i = j
        fields.append((key, value))
        if i < len(line) and line[i] == ",":
            i += 1
            continue
        break
    time = None
    if i < len(line):
        if line[i] != " ":
            raise LineProtocolError(f"unexpected {line[i]!r} after the field set")
        stamp = line[i + 1:]
        if not _INT.match(stamp):
            raise LineProtocolError(f"invalid timestamp {stamp!r}")
        time = int(stamp)
        if not TIME_MIN <= time <= TIME_MAX:
            raise LineProtocolError(f"timestamp out of range: {stamp}")
    return name, tags, fields, time


def self_test():
    """The spec's own examples, and lines a conforming reader must reject."""
    ok = {
        'my\\ Measurement fieldKey="string value"':
            ("my Measurement", [], [("fieldKey", ("s", "string value"))], None),
        'myMeasurement fieldKey="\\"string\\" within a string"':
            ("myMeasurement", [], [("fieldKey", ("s", '"string" within a string'))], None),
        "myMeasurement,tag\\ Key1=tag\\ Value1,tag\\ Key2=tag\\ Value2 fieldKey=100":
            ("myMeasurement", [("tag Key1", "tag Value1"), ("tag Key2", "tag Value2")],
             [("fieldKey", ("f", 100.0))], None),
        'myMeasurement,tagKey=🍭 fieldKey="Launch 🚀" 1556813561098000000':
            ("myMeasurement", [("tagKey", "🍭")], [("fieldKey", ("s", "Launch 🚀"))], 1556813561098000000),
        "m i=-9223372036854775808i,u=18446744073709551615u,f=-1.234456e+78,b=t,c=FALSE,s=\"\" -1":
            ("m", [], [("i", ("i", INT64_MIN)), ("u", ("u", UINT64_MAX)), ("f", ("f", -1.234456e78)),
                       ("b", ("b", True)), ("c", ("b", False)), ("s", ("s", ""))], -1),
    }
    # "Escaping backslashes" table: backslashes written -> read.
    for written, read in [("\\", "\\"), ("\\\\", "\\"), ("\\\\\\", "\\\\"), ("\\\\\\\\", "\\\\"),
                          ("\\\\\\\\\\", "\\\\\\"), ("\\\\\\\\\\\\", "\\\\\\")]:
        ok[f"a{written}b v=1"] = (f"a{read}b", [], [("v", ("f", 1.0))], None)
    # routerpulse's conventions.
    ok['\\#m,k\\tx=a\\=\\\\n f\\,\\n=1u,s="a\\nb\\r\\"\\\\t\tc" 5'] = (
        "#m", [("k\tx", "a=\\n")], [("f,\n", ("u", 1)), ("s", ("s", 'a\nb\r"\\t\tc'))], 5)
    ok['a\\x00\\x7f\\\\x01\\xZZ v="\x01"'] = ("a\x00\x7f\\x01\\xZZ", [], [("v", ("s", "\x01"))], None)
    for line, want in ok.items():
        got = parse_line(line)
        assert got == want, f"{line!r}: got {got!r}, want {want!r}"
    bad = ["m", "m ", "m v=", "m,=x v=1", "m,k= v=1", "m,k=a=b v=1", ",k=v v=1", "#m v=1",
           "m v=1x", "m v=nan", "m v=inf", "m v=1e999", "m v=9223372036854775808i", "m v=-1u",
           "m v=1i 9223372036854775807", "m v=1 1 2", "m v=\"abc", "m,k=a\\\\ v=1", "m\\\\ v=1",
           "m v=1,", "m\tx v=1", "m\x00 v=1", "m,k=\x7f v=1", "m s=\"a\rb\"", "m v=1i x"]
    for line in bad:
        try:
            parse_line(line)
        except LineProtocolError:
            continue
        raise AssertionError(f"{line!r} was accepted")


if __name__ == "__main__":
    self_test()
    print("lineprotocol self-test passed")
