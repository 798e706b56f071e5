#!/usr/bin/python3
# Generates the case table in lib/goregex.c (between the "case table"
# markers) from Unicode's UnicodeData.txt, fields 12 and 13 (simple
# uppercase and lowercase mappings) -- the data Go's unicode.ToUpper and
# unicode.ToLower (and so strings.ToUpper/ToLower) are built from.
# Debian 12's unicode-data is Unicode 15.0.0, as Go 1.21-1.25.
#   /usr/bin/python3 tests/relabel/gen-case.py [UnicodeData.txt]
# Each row is {lo, hi, dup, dlo}: for lo <= c <= hi, upper = c + dup,
# lower = c + dlo; dup == ALT marks an alternating run (Go's UpperLower):
# even offsets from lo are upper case (lower = c + 1), odd ones lower.
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode/UnicodeData.txt"
m = {}
for line in open(path, encoding="ascii"):
    f = line.split(";")
    c = int(f[0], 16)
    up = int(f[12], 16) if f[12] else c
    lo = int(f[13], 16) if f[13] else c
    if up != c or lo != c:
        m[c] = (up - c, lo - c)
cps = sorted(m)
rows = []
i = 0
while i < len(cps):
    c = cps[i]
    # alternating run: c upper (lo=+1), c+1 lower (up=-1), ...
    j = i
    if m[c] == (0, 1):
        k = c
        while k in m and m[k] == ((0, 1) if (k - c) % 2 == 0 else (-1, 0)):
            k += 1
        if k - c >= 4:
            rows.append((c, k - 1, "ALT", 0))
            while i < len(cps) and cps[i] < k:
                i += 1
            continue
    k = c
    while k + 1 in m and m[k + 1] == m[c]:
        k += 1
    rows.append((c, k, m[c][0], m[c][1]))
    while i < len(cps) and cps[i] <= k:
        i += 1
out = []
for r in rows:
    out.append("{0x%04x,0x%04x,%s,%d}" % (r[0], r[1], r[2], r[3]))
line = "\t"
for s in out:
    if len(line) + 8 + len(s) > 79:
        print(line.rstrip())
        line = "\t"
    line += s + ", "
print(line.rstrip())
print("/* %d rows */" % len(rows), file=sys.stderr)
