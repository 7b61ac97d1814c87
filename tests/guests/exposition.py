#!/usr/bin/env python3
"""Checks a Prometheus text exposition (format 0.0.4) line by line: each family's # HELP once, then
its # TYPE once, then only its samples, every sample NAME{LABEL="VALUE",...} NUMBER with the value
escaped as the format says. Exit 1 naming the first bad line.

usage: tests/guests/exposition.py FILE"""
import re
import sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^(%s)(\{%s(?:,%s)*\})? (-?[0-9.]+(?:e[-+]?[0-9]+)?|NaN|[-+]Inf)$' % (NAME, LABEL, LABEL))
TYPES = ('counter', 'gauge', 'histogram', 'summary', 'untyped')


def bad(number, line, why):
    sys.exit('%s:%d: %s: %s' % (sys.argv[1], number, why, line))


def main():
    helped, typed, family = set(), set(), None
    text = open(sys.argv[1]).read()
    if not text.endswith('\n'):
        sys.exit('%s: does not end with a newline' % sys.argv[1])
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split(' ', 3)
        if line.startswith('# HELP '):
            if words[2] in helped or len(words) < 4:
                bad(number, line, 'HELP repeated or empty')
            helped.add(words[2])
        elif line.startswith('# TYPE '):
            if words[2] not in helped or words[2] in typed or words[3:] not in ([t] for t in TYPES):
                bad(number, line, 'TYPE without its HELP, repeated, or of no known type')
            typed.add(words[2])
            family = words[2]
        else:
            match = SAMPLE.match(line)
            if not match:
                bad(number, line, 'not a sample')
            if match.group(1) != family:
                bad(number, line, 'a sample outside its family %s' % family)


main()
