#!/usr/bin/python3
"""Makes tests/relabel/vectors-prom242.jsonl with a real Prometheus.

Each case below is a label set and a list of rules. Every case becomes one
scrape job of a real Prometheus server (Debian 12's package, 2.42.0) with
one static target carrying the label set, and the rules as its
relabel_configs (JSON is YAML). The server's /api/v1/targets then gives,
for each job, the labels Prometheus discovered (the case's labels plus
__address__, job, __scheme__, __metrics_path__, __scrape_interval__,
__scrape_timeout__) and either the target's labels after relabeling or
that it was dropped. Cases whose rules Prometheus refuses are run through
`promtool check config` one by one and give its error message.

A vector line: {"name", "src", "rules", "in", "out" (null: dropped),
"post": "prometheus-target"} or {"name", "src", "rules", "err"}.
"post" tells the runner to do what Prometheus does to a target after
relabeling: remove the labels whose names start with "__" and add
instance=<__address__> when there is no instance label.

Run (takes ~20 s; needs the prometheus package, not needed afterwards):
    /usr/bin/python3 tests/relabel/gen-prom.py > tests/relabel/vectors-prom242.jsonl
    /usr/bin/python3 tests/relabel/gen-prom.py --random 400 1 \\
        > tests/relabel/vectors-prom242-random.jsonl
    /usr/bin/python3 tests/relabel/gen-prom.py --regex 600 2 \\
        > tests/relabel/vectors-prom242-regex.jsonl
    /usr/bin/python3 tests/relabel/gen-prom.py --regex 1500 7 \\
        > tests/relabel/vectors-prom242-regex-b.jsonl
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

R = lambda **kw: kw  # noqa: E731

CASES = [
    # replace: defaults, capture groups, Go template syntax
    ("replace-default-copies", {"a": "foo"},
     [R(source_labels=["a"], target_label="b")]),
    ("replace-groups", {"a": "foo-bar"},
     [R(source_labels=["a"], regex="(\\w+)-(\\w+)", target_label="b",
        replacement="${2}_${1}")]),
    ("replace-dollar-number", {"a": "foo-bar"},
     [R(source_labels=["a"], regex="(\\w+)-(\\w+)", target_label="b",
        replacement="$2$1")]),
    ("replace-dollar-1x-is-a-name", {"a": "foo"},
     [R(source_labels=["a"], regex="(f)oo", target_label="b",
        replacement="[$1x]")]),
    ("replace-braced-1x", {"a": "foo"},
     [R(source_labels=["a"], regex="(f)oo", target_label="b",
        replacement="[${1}x]")]),
    ("replace-double-dollar", {"a": "foo"},
     [R(source_labels=["a"], target_label="b", replacement="$$1=$1")]),
    ("replace-trailing-dollar", {"a": "foo"},
     [R(source_labels=["a"], target_label="b", replacement="x$")]),
    ("replace-lone-dollar", {"a": "foo"},
     [R(source_labels=["a"], target_label="b", replacement="x$ y${")]),
    ("replace-dollar-zero", {"a": "foo"},
     [R(source_labels=["a"], regex="f(o)o", target_label="b",
        replacement="<$0>")]),
    ("replace-unknown-group", {"a": "foo"},
     [R(source_labels=["a"], regex="f(o)o", target_label="b",
        replacement="<$7|${9}|$name>")]),
    ("replace-named-group", {"a": "foo-bar"},
     [R(source_labels=["a"], regex="(?P<first>\\w+)-(?P<second>\\w+)",
        target_label="b", replacement="${second}.$first")]),
    ("replace-leading-zero-group", {"a": "foo"},
     [R(source_labels=["a"], regex="(f)(o)o", target_label="b",
        replacement="[$01|${01}|$1]")]),
    ("replace-no-match-unchanged", {"a": "foo", "b": "keep"},
     [R(source_labels=["a"], regex="bar", target_label="b",
        replacement="x")]),
    ("replace-anchored", {"a": "xfoox", "b": "keep"},
     [R(source_labels=["a"], regex="foo", target_label="b",
        replacement="matched")]),
    ("replace-alternation-anchored", {"a": "ab"},
     [R(source_labels=["a"], regex="a|ab", target_label="b",
        replacement="m")]),
    ("replace-empty-deletes", {"a": "foo", "b": "old"},
     [R(source_labels=["a"], regex="(x?)foo", target_label="b",
        replacement="$1")]),
    ("replace-missing-source", {"a": "foo"},
     [R(source_labels=["nope"], target_label="b", replacement="v")]),
    ("replace-missing-source-group", {"a": "foo", "b": "old"},
     [R(source_labels=["nope"], target_label="b")]),
    ("replace-multi-source-separator", {"a": "1", "b": "2", "c": "3"},
     [R(source_labels=["a", "b", "missing", "c"], separator="/",
        target_label="d")]),
    ("replace-default-separator", {"a": "1", "b": "2"},
     [R(source_labels=["a", "b"], target_label="d")]),
    ("replace-target-template", {"a": "foo", "kind": "env"},
     [R(source_labels=["kind", "a"], regex="(\\w+);(\\w+)",
        target_label="${1}_label", replacement="$2")]),
    ("replace-target-template-invalid", {"a": "1foo", "b": "x"},
     [R(source_labels=["a"], regex="(.*)", target_label="${1}",
        replacement="v")]),
    ("replace-no-source-sets-value", {"a": "x"},
     [R(target_label="b", replacement="static")]),
    ("replace-overwrites", {"a": "new", "b": "old"},
     [R(source_labels=["a"], target_label="b")]),
    ("replace-case-insensitive", {"a": "FOO"},
     [R(source_labels=["a"], regex="(?i)f(o+)", target_label="b",
        replacement="$1")]),
    ("replace-class-digits", {"a": "v12.3"},
     [R(source_labels=["a"], regex="v(\\d+)\\.(\\d+)", target_label="b",
        replacement="$1_$2")]),
    ("replace-unicode-value", {"a": "żółw-ß"},
     [R(source_labels=["a"], regex="(.)ół(.)-(.)", target_label="b",
        replacement="$3$2$1")]),
    ("replace-unicode-class", {"a": "αβγ123"},
     [R(source_labels=["a"], regex="(\\p{Greek}+)(\\d+)",
        target_label="b", replacement="$2$1")]),
    ("replace-lazy", {"a": "aaa"},
     [R(source_labels=["a"], regex="(a+?)(a*)", target_label="b",
        replacement="$1|$2")]),
    ("replace-optional-group-unset", {"a": "b"},
     [R(source_labels=["a"], regex="(a)?b", target_label="c",
        replacement="[$1]")]),
    ("replace-repeat-count", {"a": "abcabc"},
     [R(source_labels=["a"], regex="(abc){2}", target_label="c",
        replacement="$1")]),
    ("replace-literal-brace", {"a": "a{b"},
     [R(source_labels=["a"], regex="a{b", target_label="c",
        replacement="ok")]),
    ("replace-octal-escape", {"a": "a\nb"},
     [R(source_labels=["a"], regex="a\\012b", target_label="c",
        replacement="ok")]),
    ("replace-posix-class", {"a": "ab12"},
     [R(source_labels=["a"], regex="([[:alpha:]]+)([[:digit:]]+)",
        target_label="c", replacement="$2$1")]),
    ("replace-space-class", {"a": "a b"},
     [R(source_labels=["a"], regex="a\\sb", target_label="c",
        replacement="ok")]),
    ("replace-vt-not-space", {"a": "a\u000bb"},
     [R(source_labels=["a"], regex="a\\sb", target_label="c",
        replacement="ok")]),
    ("replace-quoted", {"a": "a.b*"},
     [R(source_labels=["a"], regex="\\Qa.b*\\E", target_label="c",
        replacement="ok")]),
    # (?i): Go folds with Unicode's simple case folding orbits
    ("fold-kelvin", {"a": "\u212a\u017f\u1e9e\u03c2\u2126\u212b\u00b5"},
     [R(source_labels=["a"], regex="(?i)ks\u00df\u03c3\u03c9\u00e5\u03bc",
        target_label="b", replacement="m")]),
    ("fold-dotted-i", {"a": "\u0130\u0131"},
     [R(source_labels=["a"], regex="(?i)(i)(i)|(.)(.)", target_label="b",
        replacement="$1$2|$3$4")]),
    ("fold-class", {"a": "\u212aK\u00c9"},
     [R(source_labels=["a"], regex="(?i)[k]+[\u00e9]", target_label="b",
        replacement="m")]),
    ("fold-range", {"a": "\u0391\u03c9\u03a3"},
     [R(source_labels=["a"], regex="(?i)[\u03b1-\u03c9]+", target_label="b",
        replacement="m")]),
    # keep / drop
    ("keep-match", {"a": "s3_lb"},
     [R(source_labels=["a"], regex="s3_.*", action="keep")]),
    ("keep-no-match", {"a": "cloudwatch"},
     [R(source_labels=["a"], regex="s3_.*", action="keep")]),
    ("keep-missing-default-regex", {"a": "x"},
     [R(source_labels=["nope"], action="keep")]),
    ("keep-missing-plus", {"a": "x"},
     [R(source_labels=["nope"], regex=".+", action="keep")]),
    ("drop-match", {"a": "debug"},
     [R(source_labels=["a"], regex="debug|trace", action="drop")]),
    ("drop-no-match", {"a": "info"},
     [R(source_labels=["a"], regex="debug|trace", action="drop")]),
    ("drop-joined", {"a": "x", "b": "y"},
     [R(source_labels=["a", "b"], regex="x;y", action="drop")]),
    # keepequal / dropequal
    ("keepequal-equal", {"a": "x", "b": "x"},
     [R(source_labels=["a"], target_label="b", action="keepequal")]),
    ("keepequal-differs", {"a": "x", "b": "y"},
     [R(source_labels=["a"], target_label="b", action="keepequal")]),
    ("dropequal-equal", {"a": "x", "b": "x"},
     [R(source_labels=["a"], target_label="b", action="dropequal")]),
    ("dropequal-differs", {"a": "x", "b": "y"},
     [R(source_labels=["a"], target_label="b", action="dropequal")]),
    ("keepequal-both-missing", {"a": "x"},
     [R(source_labels=["m1"], target_label="m2", action="keepequal")]),
    # hashmod
    ("hashmod-10", {"a": "foo"},
     [R(source_labels=["a"], modulus=10, target_label="h",
        action="hashmod")]),
    ("hashmod-big", {"a": "foo"},
     [R(source_labels=["a"], modulus=9007199254740991, target_label="h",
        action="hashmod")]),
    ("hashmod-joined", {"a": "foo", "b": "bar"},
     [R(source_labels=["a", "b"], modulus=1000, target_label="h",
        action="hashmod")]),
    ("hashmod-empty", {"a": "foo"},
     [R(source_labels=["nope"], modulus=7, target_label="h",
        action="hashmod")]),
    ("hashmod-unicode", {"a": "żółw"},
     [R(source_labels=["a"], modulus=4294967296, target_label="h",
        action="hashmod")]),
    ("hashmod-1", {"a": "foo"},
     [R(source_labels=["a"], modulus=1, target_label="h",
        action="hashmod")]),
    # labelmap
    ("labelmap-meta", {"__meta_x": "1", "__meta_y_z": "2", "a": "3"},
     [R(regex="__meta_(.+)", action="labelmap")]),
    ("labelmap-replacement", {"a_1": "x", "a_2": "y", "b": "z"},
     [R(regex="a_(\\d)", replacement="n${1}_copy", action="labelmap")]),
    ("labelmap-keeps-originals", {"foo": "1"},
     [R(regex="(f)oo", replacement="${1}x", action="labelmap")]),
    ("labelmap-collision-sorted", {"__m_a": "1", "__n_a": "2"},
     [R(regex="__.*_(a)", replacement="$1", action="labelmap")]),
    ("labelmap-overwrites", {"__m_a": "1", "a": "2"},
     [R(regex="__m_(a)", replacement="$1", action="labelmap")]),
    ("labelmap-invalid-target", {"__m_1": "1", "b": "2"},
     [R(regex="__m_(.*)", replacement="$1", action="labelmap")]),
    # labeldrop / labelkeep
    ("labeldrop-regex", {"__aws_a": "1", "__aws_b": "2", "app": "3"},
     [R(regex="__aws_.*", action="labeldrop")]),
    ("labeldrop-anchored", {"xa": "1", "a": "2", "ax": "3"},
     [R(regex="a", action="labeldrop")]),
    ("labeldrop-all-matches", {"d1": "1", "d2": "2", "d3": "3", "d4": "4",
                               "d5": "5", "k": "6"},
     [R(regex="d.*", action="labeldrop")]),
    ("labelkeep", {"a": "1", "b": "2", "c": "3"},
     [R(regex="__.*|a|c", action="labelkeep")]),
    # lowercase / uppercase (Go's simple case mapping)
    ("lowercase-ascii", {"a": "FooBAR"},
     [R(source_labels=["a"], target_label="b", action="lowercase")]),
    ("uppercase-ascii", {"a": "FooBar"},
     [R(source_labels=["a"], target_label="b", action="uppercase")]),
    ("uppercase-sharp-s", {"a": "straße"},
     [R(source_labels=["a"], target_label="b", action="uppercase")]),
    ("lowercase-unicode", {"a": "ÀÉÎÕÜ ΣΑΣ İ K ẞ Ǆ"},
     [R(source_labels=["a"], target_label="b", action="lowercase")]),
    ("uppercase-unicode", {"a": "àéîõü σας ſ ǆ ǅ ﬀ ŉ"},
     [R(source_labels=["a"], target_label="b", action="uppercase")]),
    ("lowercase-joined", {"a": "A", "b": "B"},
     [R(source_labels=["a", "b"], separator="-", target_label="c",
        action="lowercase")]),
    ("uppercase-overwrites-source", {"a": "abc"},
     [R(source_labels=["a"], target_label="a", action="uppercase")]),
    # chains: later rules see earlier results
    ("chain-doc-multi-rule",
     {"__aws_log_type": "s3_lb", "__aws_s3_lb": "my-alb",
      "__aws_s3_lb_owner": "123456789012"},
     [R(source_labels=["__aws_log_type"], target_label="log_type",
        action="replace", regex="(.*)", replacement="${1}"),
      R(source_labels=["__aws_s3_lb"], target_label="loadbalancer",
        action="replace"),
      R(regex="__aws_.*", action="labeldrop")]),
    ("chain-replace-then-keep", {"a": "prod-1"},
     [R(source_labels=["a"], regex="(\\w+)-\\d", target_label="env"),
      R(source_labels=["env"], regex="prod", action="keep")]),
    ("chain-replace-then-drop", {"a": "dev-1"},
     [R(source_labels=["a"], regex="(\\w+)-\\d", target_label="env"),
      R(source_labels=["env"], regex="dev", action="drop")]),
    ("chain-drop-then-recreate", {"a": "1", "b": "2"},
     [R(regex="a", action="labeldrop"),
      R(source_labels=["a"], target_label="c", replacement="[$1]"),
      R(source_labels=["b"], target_label="a")]),
    ("chain-hashmod-keep", {"a": "foo"},
     [R(source_labels=["a"], modulus=4, target_label="__tmp_h",
        action="hashmod"),
      R(source_labels=["__tmp_h"], regex="2", action="keep")]),
    ("chain-lowercase-labelmap", {"__meta_Env": "PROD"},
     [R(source_labels=["__meta_Env"], target_label="__meta_env",
        action="lowercase"),
      R(regex="__meta_(env)", action="labelmap")]),
    ("chain-lowercase-missing-deletes", {"a": "x", "b": "old"},
     [R(source_labels=["nope"], target_label="b", action="lowercase")]),
    # 2.x and 3.x differ on these two (see vectors-differ.jsonl)
    ("chain-labelmap-order-after-add", {"__z_a": "1"},
     [R(target_label="__b_a", replacement="2"),
      R(regex="__(.)_a", replacement="a", action="labelmap")]),
    ("replace-dot-newline", {"a": "x\ny"},
     [R(source_labels=["a"], regex="x.y", target_label="b",
        replacement="matched")]),
    ("chain-labelkeep-after-add", {"a": "1", "b": "2"},
     [R(source_labels=["a"], target_label="z"),
      R(regex="__.*|z", action="labelkeep")]),
]

# Rules Prometheus refuses at load: promtool check config's message.
REJECT = [
    ("reject-hashmod-no-modulus",
     [R(source_labels=["a"], target_label="h", action="hashmod")]),
    ("reject-replace-no-target", [R(source_labels=["a"])]),
    ("reject-replace-bad-target",
     [R(source_labels=["a"], target_label="1abc")]),
    ("reject-lowercase-no-target",
     [R(source_labels=["a"], action="lowercase")]),
    ("reject-uppercase-replacement",
     [R(source_labels=["a"], target_label="b", replacement="x",
        action="uppercase")]),
    ("reject-keepequal-regex",
     [R(source_labels=["a"], target_label="b", regex="x",
        action="keepequal")]),
    ("reject-dropequal-no-target",
     [R(source_labels=["a"], action="dropequal")]),
    ("reject-labeldrop-source",
     [R(source_labels=["a"], regex="x", action="labeldrop")]),
    ("reject-labelkeep-target",
     [R(target_label="b", regex="x", action="labelkeep")]),
    ("reject-labeldrop-separator",
     [R(separator=",", regex="x", action="labeldrop")]),
    ("reject-unknown-action", [R(source_labels=["a"], action="rename")]),
    ("reject-regex-backref",
     [R(source_labels=["a"], regex="(a)\\1", target_label="b")]),
    ("reject-regex-lookahead",
     [R(source_labels=["a"], regex="a(?=b)", target_label="b")]),
    ("reject-regex-lookbehind",
     [R(source_labels=["a"], regex="(?<=a)b", target_label="b")]),
    ("reject-regex-atomic",
     [R(source_labels=["a"], regex="(?>a+)b", target_label="b")]),
    ("reject-regex-possessive",
     [R(source_labels=["a"], regex="a++b", target_label="b")]),
    ("reject-regex-K", [R(source_labels=["a"], regex="a\\Kb",
                           target_label="b")]),
    ("reject-regex-C", [R(source_labels=["a"], regex="a\\Cb",
                           target_label="b")]),
    ("reject-regex-Z", [R(source_labels=["a"], regex="a\\Z",
                           target_label="b")]),
    ("reject-regex-G", [R(source_labels=["a"], regex="\\Ga",
                           target_label="b")]),
    ("reject-regex-repeat-1001",
     [R(source_labels=["a"], regex="a{1001}", target_label="b")]),
    ("reject-regex-nested-repeat",
     [R(source_labels=["a"], regex="(a{100}){11}", target_label="b")]),
    ("reject-regex-double-star",
     [R(source_labels=["a"], regex="a**", target_label="b")]),
    ("reject-regex-unclosed",
     [R(source_labels=["a"], regex="(a", target_label="b")]),
    ("reject-regex-bad-class",
     [R(source_labels=["a"], regex="[z-a]", target_label="b")]),
    ("reject-regex-verb",
     [R(source_labels=["a"], regex="(*UTF)a", target_label="b")]),
    ("reject-regex-recursion",
     [R(source_labels=["a"], regex="(a(?R)?b)", target_label="b")]),
    ("reject-regex-escape-e",
     [R(source_labels=["a"], regex="\\e", target_label="b")]),
    ("reject-regex-class-b",
     [R(source_labels=["a"], regex="[\\b]", target_label="b")]),
    ("reject-regex-quote-name",
     [R(source_labels=["a"], regex="(?'n'a)", target_label="b")]),
    ("reject-regex-x-flag",
     [R(source_labels=["a"], regex="(?x)a", target_label="b")]),
    ("reject-regex-posix-unknown",
     [R(source_labels=["a"], regex="[[:foo:]]", target_label="b")]),
    ("reject-regex-conditional",
     [R(source_labels=["a"], regex="(a)?(?(1)b|c)", target_label="b")]),
]

SRC = "prometheus 2.42.0+ds-5+deb12u1 (Debian 12), live"


def freeport():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def config(jobs):
    return {"global": {"scrape_interval": "1h", "scrape_timeout": "10s"},
            "scrape_configs": jobs}


def job(i, labels, rules):
    return {"job_name": "v%d" % i,
            "static_configs": [{"targets": ["127.0.0.1:1"],
                                "labels": labels}],
            "relabel_configs": rules}


def random_cases(n, seed):
    """Random rule chains over a small pool of names, values and
    patterns, kept to what Prometheus 2.42 and 3.x do alike (no newlines,
    labelmap only from __m_*, nothing removes __address__)."""
    import random
    rnd = random.Random(seed)
    names = ["a", "b", "c", "env", "x_1", "__m_a", "__m_b"]
    values = ["foo", "Foo-Bar", "prod-1", "dev-2", "\u017c\u00f3\u0142w",
              "a;b", "123", "x y", "STRA\u00dfE", "q"]
    regexes = ["(.*)", "(.+)", "f(o+)", "(?i)foo", "([a-z]+)-(\\d)",
               "(.*);(.*)", "[^;]*", "(\\w+)", "\\p{L}+", "(.)(.)?.*",
               "a|foo|", "(?:prod|dev)-\\d", "x*", ".{2,3}",
               "(?P<w>[A-Za-z]+).*", "(\\d+)|([a-z]+)", "[[:upper:]].*",
               "(?U)(.+)(.*)", "\\Qa;b\\E", "(.*?)o(.*)"]
    targets = ["b", "c", "new", "env", "${1}", "t_${1}", "$1x", "${w}_n"]
    repls = ["$1", "${1}", "$2-$1", "x$1y", "[$0]", "$$1", "${w}",
             "lit", "$1x", "${2}${1}", "$"]
    drops = ["a|b", "__m_.*", "x_.*", "env", "c|new", "t_.*"]
    out = []
    for i in range(n):
        labels = {}
        for nm in rnd.sample(names, rnd.randint(1, 5)):
            labels[nm] = rnd.choice(values)
        rules = []
        for _ in range(rnd.randint(1, 4)):
            act = rnd.choice(["replace", "replace", "replace", "keep",
                              "drop", "keepequal", "dropequal", "hashmod",
                              "labelmap", "labeldrop", "labelkeep",
                              "lowercase", "uppercase"])
            src = rnd.sample(names + ["job", "nope"], rnd.randint(1, 3))
            r = {"action": act}
            if act == "replace":
                r.update(source_labels=src, target_label=rnd.choice(targets),
                         regex=rnd.choice(regexes),
                         replacement=rnd.choice(repls))
                if rnd.random() < 0.3:
                    r["separator"] = rnd.choice(["-", ",", "::"])
                if "$" in r["target_label"] and "(" not in r["regex"]:
                    r["target_label"] = "b"
                if "${w}" in r["target_label"] + r["replacement"] and \
                        "?P<w>" not in r["regex"]:
                    r["regex"] = "(?P<w>[A-Za-z]+).*"
            elif act in ("keep", "drop"):
                r.update(source_labels=src, regex=rnd.choice(regexes))
            elif act in ("keepequal", "dropequal"):
                r.update(source_labels=src[:1],
                         target_label=rnd.choice(names))
            elif act == "hashmod":
                r.update(source_labels=src, target_label=rnd.choice(names),
                         modulus=rnd.randint(1, 1000))
            elif act == "labelmap":
                r.update(regex="__m_(.*)",
                         replacement=rnd.choice(["$1", "${1}_m", "m_$1"]))
            elif act == "labeldrop":
                r.update(regex=rnd.choice(drops))
            elif act == "labelkeep":
                r.update(regex="__.*|job|" + rnd.choice(drops))
            else:
                r.update(source_labels=src, target_label=rnd.choice(names))
            rules.append(r)
        out.append(("random-%d-%d" % (seed, i), labels, rules))
    return out


def regex_cases(n, seed):
    """One replace rule with a random regex (groups, classes, lazy and
    greedy repeats, alternation, case folding) on random short values:
    the captures, through "$1|$2|$3", show the engine's choices."""
    import random
    rnd = random.Random(seed)
    atoms = ["a", "b", "c", "A", "\u00e9", "\u00c9", "1", " ", "-", ".",
             "[ab]", "[^a]", "[a-c\u00e9]", "\\d", "\\w", "\\s",
             "\\S", "\\W", "[[:alpha:]]", "\\pL", "(?i:a)", "(?i:\u00e9)",
             "\\b", "\\B", "^", "$"]
    quants = ["", "", "", "*", "+", "?", "{1,2}", "{2}", "*?", "+?", "??",
              "{0,2}?"]
    groups = [0]

    def expr(depth):
        parts = []
        for _ in range(rnd.randint(1, 3)):
            if depth < 3 and rnd.random() < 0.35:
                groups[0] += 1
                kind = rnd.choice(["(%s)", "(?:%s)", "(?P<g%d>%%s)"
                                   % groups[0], "(%s|%s)"])
                if kind == "(%s|%s)":
                    inner = kind % (expr(depth + 1), expr(depth + 1))
                else:
                    inner = kind % expr(depth + 1)
            else:
                inner = rnd.choice(atoms)
            parts.append(inner + rnd.choice(quants))
        return "".join(parts)

    chars = ["a", "b", "c", "A", "\u00e9", "\u00c9", "1", " ", "-"]
    out = []
    for i in range(n):
        groups[0] = 0
        re = expr(0)
        if rnd.random() < 0.2:
            re = "(?i)" + re
        if rnd.random() < 0.2:
            re = re + "|" + expr(1)
        val = "".join(rnd.choice(chars) for _ in range(rnd.randint(0, 6)))
        rules = [{"source_labels": ["v"], "regex": re, "target_label": "m",
                  "replacement": "<$0|$1|$2|$3>"}]
        out.append(("regex-%d-%d" % (seed, i), {"v": val} if val else {},
                    rules))
    return out


def main():
    global CASES, REJECT, SRC
    if len(sys.argv) == 4 and sys.argv[1] == "--regex":
        CASES = regex_cases(int(sys.argv[2]), int(sys.argv[3]))
        REJECT = []
        SRC += " (random regexes, gen-prom.py --regex %s %s)" % (
            sys.argv[2], sys.argv[3])
    if len(sys.argv) == 4 and sys.argv[1] == "--random":
        CASES = random_cases(int(sys.argv[2]), int(sys.argv[3]))
        REJECT = []
        SRC += " (random rules, gen-prom.py --random %s %s)" % (
            sys.argv[2], sys.argv[3])
    out = []
    d = tempfile.mkdtemp(prefix="gen-prom.")
    jobs = [job(i, c[1], c[2]) for i, c in enumerate(CASES)]
    cfg = os.path.join(d, "prometheus.yml")
    with open(cfg, "w") as f:
        json.dump(config(jobs), f)
    port = freeport()
    p = subprocess.Popen(["prometheus", "--config.file=" + cfg,
                          "--storage.tsdb.path=" + os.path.join(d, "data"),
                          "--web.listen-address=127.0.0.1:%d" % port],
                         stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(d, "log"), "w"))
    try:
        seen, ndropped = {}, 0
        for _ in range(300):
            time.sleep(0.2)
            try:
                r = urllib.request.urlopen(
                    "http://127.0.0.1:%d/api/v1/targets" % port, timeout=2)
            except OSError:
                continue
            data = json.load(r)["data"]
            # 2.42 changes a target's discoveredLabels in place while
            # relabeling: only the scrape pool and the final labels are
            # reliable, and a job with no active target was dropped
            seen = {t["scrapePool"]: t["labels"]
                    for t in data["activeTargets"]}
            ndropped = len(data["droppedTargets"])
            if len(seen) + ndropped == len(CASES):
                break
    finally:
        p.terminate()
        p.wait()
    if len(seen) + ndropped != len(CASES):
        sys.exit("prometheus listed %d + %d of %d jobs (log in %s)"
                 % (len(seen), ndropped, len(CASES), d))
    for i, (name, labels, rules) in enumerate(CASES):
        disc = dict(labels)
        disc.update({"__address__": "127.0.0.1:1", "job": "v%d" % i,
                     "__scheme__": "http", "__metrics_path__": "/metrics",
                     "__scrape_interval__": "1h",
                     "__scrape_timeout__": "10s"})
        out.append({"name": name, "src": SRC, "rules": rules, "in": disc,
                    "out": seen.get("v%d" % i), "post": "prometheus-target"})
    for name, rules in REJECT:
        c = os.path.join(d, name + ".yml")
        with open(c, "w") as f:
            json.dump(config([job(0, {"a": "x"}, rules)]), f)
        r = subprocess.run(["promtool", "check", "config", c],
                           capture_output=True, text=True)
        if r.returncode == 0:
            sys.exit("promtool accepted %s" % name)
        msg = (r.stdout + r.stderr).strip().splitlines()
        msg = [m.split(".yml: ", 1)[-1] for m in msg if "FAILED" in m]
        out.append({"name": name, "src": SRC + " (promtool check config)",
                    "rules": rules, "err": " ".join(msg)})
    for o in out:
        print(json.dumps(o, ensure_ascii=False, sort_keys=True))


main()
