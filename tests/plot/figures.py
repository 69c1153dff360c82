#!/usr/bin/env python3
"""figures.py - read what a chart shows, for tests/plot.bats.

    figures.py texts SVG              every text: x y angle size anchor text
    figures.py ylabel-clear SVG       the y labels stand clear of their ticks
    figures.py legend-clear SVG T...  the legend entries T... do not run together
    figures.py texts-clear SVG        no two unrotated texts overlap
    figures.py box-labels SVG TASKS   each box label of a timeline (TASKS:
                                      its .tasks file) starts with "#" and
                                      lies inside its box; prints them
    figures.py png-ink PNG            distinct colours and the share of
                                      pixels that are not the background
    figures.py report HTML            the figures embedded in an index.html,
                                      as JSON on one line

Text extents are estimated from the font size: a character is at most
0.62 of the size wide, a line 1.0 of the size tall. Exit status 1, with a
sentence on stderr, when a check fails.
"""
import json
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

CHAR = 0.62


def texts(path):
    """(x, y, angle, size, anchor, text) of every text gnuplot drew."""
    out = []
    root = ET.parse(path).getroot()
    for g in root.iter('{http://www.w3.org/2000/svg}g'):
        m = re.match(r'translate\(([-\d.]+),([-\d.]+)\)(?: rotate\(([-\d.]+)\))?',
                     g.get('transform', ''))
        if not m:
            continue
        for t in g.findall('{http://www.w3.org/2000/svg}text'):
            s = ''.join(t.itertext())
            if s.strip():
                out.append((float(m.group(1)), float(m.group(2)),
                            float(m.group(3) or 0), float(g.get('font-size', 12)),
                            g.get('text-anchor', 'start'), s))
    return out


def hspan(t):
    """Horizontal extent of an unrotated text."""
    x, _, _, size, anchor, s = t
    w = CHAR * size * len(s)
    if anchor == 'end':
        return x - w, x
    if anchor == 'middle':
        return x - w / 2, x + w / 2
    return x, x + w


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def ylabel_clear(path):
    ts = texts(path)
    ylabels = [t for t in ts if t[2] in (90, 270)]
    if not ylabels:
        fail('%s: no y label' % path)
    numbers = [t for t in ts if t[2] == 0 and re.fullmatch(r'\s*-?[\d.]+%?\s*', t[5])]
    for yl in ylabels:
        x, size = yl[0], yl[3]
        lo, hi = x - size, x + 0.3 * size      # a rotated line's thickness
        # The ticks on the label's side: the closest column of numbers.
        side = [t for t in numbers if (hspan(t)[0] > x) == (x < 800)]
        if not side:
            fail('%s: no tick labels next to the y label %r' % (path, yl[5]))
        if x < 800:
            edge = min(hspan(t)[0] for t in side)
            gap = edge - hi
        else:
            edge = max(hspan(t)[1] for t in side)
            gap = lo - edge
        if gap < 4:
            fail('%s: the y label %r is %.0f px from its tick labels' % (path, yl[5], gap))
        print('%s %.0f' % (yl[5], gap))


def legend_clear(path, titles):
    ts = [t for t in texts(path) if t[5] in titles]
    found = {t[5] for t in ts}
    missing = [s for s in titles if s not in found]
    if missing:
        fail('%s: legend entries missing: %s' % (path, ', '.join(missing)))
    rows = {}
    for t in ts:
        rows.setdefault(round(t[1]), []).append(t)
    for row in rows.values():
        row.sort(key=lambda t: hspan(t)[0])
        for a, b in zip(row, row[1:]):
            gap = hspan(b)[0] - hspan(a)[1]
            # The next entry's sample (about 4 characters) sits in the gap.
            if gap < 4 * CHAR * b[3]:
                fail('%s: legend entries %r and %r are %.0f px apart' % (path, a[5], b[5], gap))
    print('%d entries in %d rows' % (len(ts), len(rows)))


def texts_clear(path):
    # One text drawn twice on one spot is one text: gnuplot writes a boxed
    # label twice (once to size its ground).
    ts = sorted({t for t in texts(path) if t[2] == 0})
    for i, a in enumerate(ts):
        for b in ts[i + 1:]:
            (a0, a1), (b0, b1) = hspan(a), hspan(b)
            # Baselines closer than a line, and extents that cross.
            if abs(a[1] - b[1]) < 0.8 * max(a[3], b[3]) and a0 < b1 and b0 < a1:
                fail('%s: texts %r and %r overlap' % (path, a[5], b[5]))
    print('%d texts, none overlap' % len(ts))


def box_labels(path, tasks):
    """The labels tracestat gave the boxes, found in the SVG: each starts
    with '#' and sits inside its box (x from the axis' tick labels)."""
    ts = texts(path)
    ticks = sorted((float(t[5]), t[0]) for t in ts
                   if t[2] == 0 and re.fullmatch(r'\s*[\d.]+\s*', t[5]) and t[1] > 600)
    if len(ticks) < 2:
        fail('%s: no time axis ticks' % path)
    (v0, x0), (v1, x1) = ticks[0], ticks[-1]
    px = lambda v: x0 + (x1 - x0) * (v - v0) / (v1 - v0)
    for line in open(tasks):
        f = line.rstrip('\n').split('\t')
        lo, hi = px(float(f[2])), px(float(f[3]))
        for label in (f[7], f[10]):
            if not label.strip():
                continue
            if f[10] != label and not label.startswith('#'):
                fail('%s: a label %r without its "#"' % (path, label))
            drawn = [t for t in ts if t[5] == label and t[2] == 0]
            if not drawn:
                fail('%s: the label %r is not drawn' % (path, label))
            if not any(lo - 1 <= hspan(t)[0] and hspan(t)[1] <= hi + 1 for t in drawn):
                fail('%s: the label %r runs out of its box (%.0f to %.0f px)' % (path, label, lo, hi))
            print(label)


def png_pixels(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        fail('%s: not a PNG' % path)
    pos, idat = 8, b''
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    if depth != 8 or ctype not in (2, 6):
        fail('%s: PNG colour type %d, depth %d not read here' % (path, ctype, depth))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def png_ink(path):
    w, h, bpp, rows = png_pixels(path)
    colours, ink = set(), 0
    bg = rows[0][:3]
    for r in rows[::2]:
        for i in range(0, len(r), bpp * 2):
            px = r[i:i + 3]
            colours.add(px)
            if px != bg:
                ink += 1
    total = len(rows[::2]) * len(range(0, w * bpp, bpp * 2))
    print('%d %.3f' % (len(colours), ink / total))


def report(path):
    html = open(path, encoding='utf-8').read()
    m = re.search(r'const DATA =\n(.*?)\n;\n</script>', html, re.S)
    if not m:
        fail('%s: no embedded figures' % path)
    print(json.dumps(json.loads(m.group(1))))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'texts':
        for t in texts(args[0]):
            print('%.1f\t%.1f\t%g\t%g\t%s\t%s' % t)
    elif cmd == 'ylabel-clear':
        ylabel_clear(args[0])
    elif cmd == 'legend-clear':
        legend_clear(args[0], args[1:])
    elif cmd == 'texts-clear':
        texts_clear(args[0])
    elif cmd == 'box-labels':
        box_labels(args[0], args[1])
    elif cmd == 'png-ink':
        png_ink(args[0])
    elif cmd == 'report':
        report(args[0])
    else:
        fail('unknown command ' + cmd)


if __name__ == '__main__':
    main()
