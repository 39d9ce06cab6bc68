#!/usr/bin/env python3
"""Reopens a workbook with openpyxl and compares every sheet with the CSV of the same table.

Usage: check_workbook.py WORKBOOK.xlsx CSV...   (sheet name = CSV file name without .csv)
Exit 0 when equal; 1 with one line per difference; 77 when openpyxl is missing.
Numbers exactly: integers, and reals (both files write the shortest text that reads back as the
same double). Text exactly, and as text cells (never formulas), but for the
' the CSV puts before text that starts like a formula. NULL ("" in the CSV, not "\"\"") is an
empty cell.
"""
import csv
import os
import re
import sys

try:
    import openpyxl
except ImportError:
    print('SKIP: python3-openpyxl is not installed')
    sys.exit(77)

def ooxml_text(value):
    """Decodes OOXML's _xHHHH_ escapes (ECMA-376 ST_Xstring), as Excel and LibreOffice do when they
    read a cell; openpyxl 3.0 leaves them as they are."""
    return re.sub(r'_x([0-9A-Fa-f]{4})_', lambda m: chr(int(m.group(1), 16)), value)


INTEGER = re.compile(r'-?[0-9]+')
FORMULA = re.compile("'[=+\\-@\t\r]")
NUMBER = re.compile(r'[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?')
problems = []
wb = openpyxl.load_workbook(sys.argv[1])  # not read_only: freeze panes and filters are read too
for path in sys.argv[2:]:
    name = os.path.splitext(os.path.basename(path))[0]
    if name not in wb.sheetnames:
        problems.append(f'{name}: no sheet (sheets: {wb.sheetnames})')
        continue
    ws = wb[name]
    with open(path, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f))
    # csv.reader cannot tell "" (empty text) from an empty field (NULL): read the raw lines for that.
    header, body = rows[0], rows[1:]
    cells = list(ws.iter_rows(values_only=False))
    if ws.freeze_panes != 'A2':
        problems.append(f'{name}: frozen at {ws.freeze_panes}, not below the header')
    if not ws.auto_filter.ref:
        problems.append(f'{name}: no autofilter')
    if len(cells) != len(rows):
        problems.append(f'{name}: {len(cells) - 1} data rows, the CSV has {len(body)}')
        continue
    for c, column in enumerate(header):
        got = cells[0][c].value
        if not (got == column or got.startswith(column + ' (')):
            problems.append(f'{name}: header {c} is {got!r}, the CSV says {column!r}')
        letter = openpyxl.utils.get_column_letter(c + 1)
        if not ws.column_dimensions[letter].width:
            problems.append(f'{name}: column {column} has no width')
    for r, row in enumerate(body, start=1):
        for c, text in enumerate(row):
            cell = cells[r][c]
            value = cell.value
            where = f'{name}!{cell.coordinate} ({header[c]})'
            if cell.data_type == 'f':
                problems.append(f'{where}: a formula {value!r}')
                continue
            if text == '':
                if value not in (None, ''):
                    problems.append(f'{where}: {value!r}, the CSV has an empty field')
                continue
            if isinstance(value, bool):
                problems.append(f'{where}: a boolean')
            elif isinstance(value, int) or isinstance(value, float):
                if INTEGER.fullmatch(text):
                    if value != int(text):
                        problems.append(f'{where}: {value!r} != {text}')
                elif value != float(text):
                    problems.append(f'{where}: {value!r} != {text}')
            else:
                value = ooxml_text(value)
                # The CSV writes text a spreadsheet would run as a formula with a leading ' (OWASP);
                # a workbook's text cell needs none.
                if FORMULA.match(text) and not NUMBER.fullmatch(text[1:]):
                    text = text[1:]
                if value != text:
                    problems.append(f'{where}: {value!r} != {text!r}')
                if cell.data_type != 's':
                    problems.append(f'{where}: type {cell.data_type}, not text')
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
