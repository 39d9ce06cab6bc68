#!/usr/bin/env python3
"""The report in a real browser (Debian's chromium, headless): no console message (the report has
no script, so any message is an error: a blocked resource, a bad data URI …), every image decoded
with a size, and a screenshot that is not blank.

Usage: browser_check.py CHROMIUM REPORT_DIR WORK_DIR
Exit 0 ok, 1 with the reasons, 77 when chromium is missing.
"""
import os
import shutil
import struct
import subprocess
import sys
import zlib

chromium, report, work = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
if not shutil.which(chromium):
    print(f'SKIP: {chromium} is not installed (scripts/setup installs chromium)')
    sys.exit(77)
problems = []
base = [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-extensions', '--disable-sync', '--mute-audio', '--hide-scrollbars',
        f'--user-data-dir={os.path.join(work, "profile")}', '--enable-logging=stderr', '--v=0']
index = 'file://' + os.path.join(report, 'index.html')


def run(args):
    return subprocess.run(base + args, capture_output=True, text=True, timeout=120)


# 1. Console messages and a screenshot.
shot = os.path.join(work, 'report.png')
result = run([f'--screenshot={shot}', '--window-size=1280,2400', index])
for line in result.stderr.splitlines():
    if ':CONSOLE' in line:
        problems.append(f'console: {line.split("]", 1)[-1].strip()}')
if not os.path.exists(shot):
    problems.append(f'no screenshot (chromium exit {result.returncode}): {result.stderr[-500:]}')


def png_pixels(path):
    """RGB(A) rows of an 8-bit non-interlaced PNG, with the standard's five filters undone."""
    data = open(path, 'rb').read()
    pos, idat, width, height, colour = 8, b'', 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, colour = struct.unpack('>IIBB', body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    bpp = 4 if colour == 6 else 3
    raw, stride, rows, previous = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = previous[i], previous[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        previous = line
    return width, height, bpp, rows


if os.path.exists(shot):
    width, height, bpp, rows = png_pixels(shot)
    inked = sum(1 for row in rows[::4] for x in range(0, width * bpp, bpp * 4) if min(row[x:x + 3]) < 200)
    coloured = sum(1 for row in rows[::4] for x in range(0, width * bpp, bpp * 4)
                   if max(row[x:x + 3]) - min(row[x:x + 3]) > 40)
    total = len(rows[::4]) * len(range(0, width * bpp, bpp * 4))
    if inked < total * 0.02:
        problems.append(f'the page looks blank: {inked} of {total} sampled pixels inked')
    if coloured < total * 0.01:
        problems.append(f'no map colours on the page: {coloured} of {total} sampled pixels coloured')

# 2. Every image loaded: a harness page next to the report reads the images' decoded sizes.
harness = os.path.join(report, '.browser-check.html')
with open(harness, 'w') as f:
    f.write('''<!DOCTYPE html><html><body><pre id="out">pending</pre>
<iframe id="r" src="index.html" style="width:1280px;height:2000px" onload="
  const d = this.contentDocument, images = Array.from(d.images);
  const broken = images.filter(i => !i.complete || i.naturalWidth === 0 || i.naturalHeight === 0);
  document.getElementById('out').textContent =
    'images=' + images.length + ' broken=' + broken.length + ' title=' + d.title;"></iframe></body></html>''')


def harness_summary(budget_ms):
    result = run(['--allow-file-access-from-files', f'--virtual-time-budget={budget_ms}', '--dump-dom',
                  'file://' + harness])
    out = result.stdout
    start = out.find('<pre id="out">')
    return (out[start + 14:out.find('</pre>', start)] if start >= 0 else ''), result


try:
    summary, result = harness_summary(5000)
    if summary == 'pending':  # on a loaded machine the frame can need more virtual time to load
        summary, result = harness_summary(30000)
finally:
    os.remove(harness)
if not summary.startswith('images='):
    problems.append(f'the harness did not report ({summary!r}); chromium said: {result.stderr[-300:]}')
else:
    fields = dict(part.split('=', 1) for part in summary.split(' ', 2))
    if int(fields['images']) < 1:
        problems.append('the report has no image')
    if int(fields['broken']) > 0:
        problems.append(f'{fields["broken"]} of {fields["images"]} images did not load')
    print('browser:', summary)

for p in problems:
    print('FAIL:', p)
sys.exit(1 if problems else 0)
