#!/usr/bin/python3
"""Compares two twinrisk output folders: same layers, features, attributes; areas within 1e-9.

Usage: compare_outputs.py EXPECTED_DIR ACTUAL_DIR [LAYER ...]   (default: every layer of EXPECTED)
Features are matched in order (twinrisk's output order is deterministic). Real attributes and
geometry areas must agree to a relative 1e-9; everything else exactly.
"""
import os
import sys

from osgeo import ogr

RELATIVE = 1e-9


def close(a, b):
    return a == b or abs(a - b) <= RELATIVE * max(abs(a), abs(b))


def rows(path, name):
    dataset = ogr.Open(path)
    if dataset is None:
        sys.exit(f'cannot open {path}')
    layer = dataset.GetLayerByName(name)
    if layer is None:
        sys.exit(f'{path}: no layer {name}')
    defn = layer.GetLayerDefn()
    fields = [(defn.GetFieldDefn(i).GetName(), defn.GetFieldDefn(i).GetType()) for i in range(defn.GetFieldCount())]
    out = []
    for feature in layer:
        geometry = feature.GetGeometryRef()
        values = {n: feature.GetField(n) for n, _ in fields}
        out.append((values, geometry.GetArea() if geometry else None))
    return fields, out


def main():
    expected_dir, actual_dir, *names = sys.argv[1:]
    expected_path = os.path.join(expected_dir, 'twinrisk.gpkg')
    actual_path = os.path.join(actual_dir, 'twinrisk.gpkg')
    if not names:
        ds = ogr.Open(expected_path)
        names = [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]
    problems = []
    total = 0
    for name in names:
        fields_e, rows_e = rows(expected_path, name)
        fields_a, rows_a = rows(actual_path, name)
        if fields_e != fields_a:
            problems.append(f'{name}: fields differ: {fields_e} vs {fields_a}')
            continue
        if len(rows_e) != len(rows_a):
            problems.append(f'{name}: {len(rows_e)} features expected, {len(rows_a)} found')
            continue
        total += len(rows_e)
        for i, ((ve, ae), (va, aa)) in enumerate(zip(rows_e, rows_a)):
            for field, kind in fields_e:
                e, a = ve[field], va[field]
                same = close(e, a) if kind == ogr.OFTReal and e is not None and a is not None else e == a
                if not same:
                    problems.append(f'{name} feature {i}: {field} = {a!r}, expected {e!r}')
            if (ae is None) != (aa is None) or (ae is not None and not close(ae, aa)):
                problems.append(f'{name} feature {i}: geometry area {aa!r}, expected {ae!r}')
    if problems:
        print('\n'.join(problems[:20]))
        sys.exit(1)
    print(f'same: {", ".join(names)} ({total} features)')


main()
