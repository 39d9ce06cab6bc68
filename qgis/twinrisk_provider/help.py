"""Help as QGIS shows it: the dialog's side panel (shortHelpString) and the page behind its Help button.

Both are rendered from the algorithm's registry entry, the same entry `docs/algorithms/<id>.md` is
generated from, so the three never disagree.
"""

import html
import os
import re

GPKG_NAME = 'twinrisk.gpkg'
# A sentence ends at . ! or ? followed by a space and a capital (so "e.g. a" does not end one).
SENTENCE_END = re.compile(r'(?<=[.!?])\s+(?=[A-Z])')


def first_sentence(text):
    return SENTENCE_END.split(text.strip(), maxsplit=1)[0] if text else ''


def output_place(output):
    """Where an output is written, relative to the output folder."""
    kind = output.get('kind')
    if kind == 'layer':
        return f'{GPKG_NAME}, layer {output["name"]}'
    if kind == 'table':
        return f'tables/{output["name"]}.csv'
    return output['name']


def short_help_html(description):
    """The dialog's side panel. One line: QGIS turns each line of shortHelpString into a paragraph."""
    e = html.escape
    parts = [f'<p>{e(description.get("help", ""))}</p>', '<p><b>Outputs</b> (in the output folder)</p><ul>']
    for output in description.get('outputs', []):
        label = output.get('label') or output['name']
        parts.append(f'<li><b>{e(label)}</b> ({e(output_place(output))}): {e(output.get("help", ""))}</li>')
    parts.append('<li><b>Run manifest</b> (manifest.json): inputs, checksums, parameters and counts of the run</li>')
    parts.append('</ul>')
    parts.append(f'<p>Command line: <code>twinrisk {e(description["id"])} --help</code></p>')
    return ''.join(parts)


def _parameter_rows(parameters):
    e = html.escape
    rows = []
    for p in parameters:
        default = p.get('default')
        default_text = '' if default is None or default == [] else str(default)
        rows.append(f'<tr><td>{e(p.get("label", ""))}</td><td><code>{e(p["name"])}</code></td>'
                    f'<td>{e(p.get("type", ""))}</td><td>{e(default_text)}</td><td>{e(p.get("help", ""))}</td></tr>')
        for field in p.get('field_parameters', []):
            rows.append(f'<tr><td>{e(field["label"])}</td><td><code>{e(field["name"])}</code></td>'
                        f'<td>field of <code>{e(p["name"])}</code></td><td></td><td>{e(field.get("help", ""))}</td></tr>')
    return ''.join(rows)


def help_page_html(description, common):
    """A whole page: help, every parameter with its label, every output with its fields."""
    e = html.escape
    head = ('<tr><th>Label</th><th>Name (qgis_process, Python)</th><th>Type</th><th>Default</th>'
            '<th>Help</th></tr>')
    out = [
        '<!DOCTYPE html><html><head><meta charset="utf-8">',
        f'<title>{e(description.get("title", description["id"]))} — twinrisk</title>',
        '<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}'
        'table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;'
        'text-align:left}code{background:#f4f4f4}</style></head><body>',
        f'<h1>{e(description.get("title", ""))} <small>(twinrisk:{e(description["id"])})</small></h1>',
        f'<p>{e(description.get("help", ""))}</p>',
        f'<p>Group: {e(description.get("group", ""))}. Tags: {e(", ".join(description.get("tags", [])))}.</p>',
        f'<h2>Parameters</h2><table>{head}{_parameter_rows(description.get("parameters", []))}'
        f'{_parameter_rows(common)}</table>',
        '<h2>Outputs</h2>',
    ]
    for output in description.get('outputs', []):
        out.append(f'<h3>{e(output.get("label", output["name"]))} <small>({e(output_place(output))})</small></h3>')
        out.append(f'<p>{e(output.get("help", ""))}</p>')
        fields = output.get('fields') or []
        if fields:
            out.append('<table><tr><th>Field</th><th>Type</th></tr>')
            out.extend(f'<tr><td><code>{e(f["name"])}</code></td><td>{e(f["type"])}</td></tr>' for f in fields)
            out.append('</table>')
    out.append(f'<p>Command line: <code>twinrisk {e(description["id"])} --help</code></p></body></html>')
    return '\n'.join(out)


def write_help_page(folder, description, common):
    """Writes `<id>.html` into `folder` (once per session) and returns its path."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f'{description["id"]}.html')
    if not os.path.exists(path):
        with open(path, 'w', encoding='utf-8') as page:
            page.write(help_page_html(description, common))
    return path
