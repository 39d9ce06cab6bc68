"""QGIS 3.22 opens twinrisk's GeoPackage styled from layer_styles, with the colours of the Mapnik
style generated from the same styles/*.yaml, and QGIS puts each feature in the class twinrisk does.

Usage (Debian's QGIS Python, QT_QPA_PLATFORM=offscreen):
  qgis_styles.py RUN.gpkg ZONES_MAPNIK.xml
"""
import sys
import xml.etree.ElementTree as ET

from qgis.core import (QgsApplication, QgsExpression, QgsExpressionContext, QgsExpressionContextUtils,
                       QgsProject, QgsRenderContext, QgsSymbolLayer, QgsVectorLayer)

gpkg, zones_xml = sys.argv[1], sys.argv[2]
app = QgsApplication([], False)
app.initQgis()
problems = []


def fail(message):
    problems.append(message)


def rgba(colour):
    return (colour.red(), colour.green(), colour.blue(), colour.alpha())


def hex_rgb(text, opacity):
    text = text.lstrip('#')
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16), round(float(opacity) * 255))


def load(name):
    layer = QgsVectorLayer(f'{gpkg}|layername={name}', name, 'ogr')
    if not layer.isValid():
        fail(f'{name}: QGIS cannot open the layer')
        return None
    message, ok = layer.loadDefaultStyle()
    if not ok:
        fail(f'{name}: no default style in layer_styles ({message})')
    renderer = layer.renderer()
    if renderer.type() != 'RuleRenderer':
        fail(f'{name}: renderer {renderer.type()}, not the generated rule renderer')
    if not renderer.usingSymbolLevels():
        fail(f'{name}: symbol levels are off, classes would draw in feature order')
    QgsProject.instance().addMapLayer(layer)  # aggregate() in automatic colours needs the layer in a project
    return layer


# ---- zones: every class and outline has the Mapnik style's colour and opacity
mapnik = {}
for rule in ET.parse(zones_xml).getroot().iter('Rule'):
    polygon, line = rule.find('PolygonSymbolizer'), rule.find('LineSymbolizer')
    if polygon is not None:
        mapnik[rule.get('name')] = ('fill', hex_rgb(polygon.get('fill'), polygon.get('fill-opacity', '1')))
    elif line is not None:
        mapnik[rule.get('name')] = ('line', hex_rgb(line.get('stroke'), line.get('stroke-opacity', '1')))
zones = load('zones')
if zones:
    qgis_rules = {}
    for rule in zones.renderer().rootRule().children():
        layer = rule.symbol().symbolLayer(0)
        if layer.layerType() == 'SimpleFill':
            qgis_rules[rule.label()] = ('fill', rgba(layer.color()))
        else:
            qgis_rules[rule.label()] = ('line', rgba(layer.color()))
    if set(qgis_rules) != set(mapnik):
        fail(f'zones: QGIS rules {sorted(qgis_rules)} != Mapnik rules {sorted(mapnik)}')
    for label, (kind, colour) in mapnik.items():
        if label in qgis_rules and qgis_rules[label] != (kind, colour):
            fail(f'zones: "{label}" is {qgis_rules[label]} in QGIS, {(kind, colour)} in Mapnik')
    # Each feature falls in the class its value names (as twinrisk's classify() puts it).
    expected_label = {'1': 'Class 1 (frequent)', '2': 'Class 2', '3': 'Class 3 (rare)'}
    context = QgsRenderContext()
    renderer = zones.renderer().clone()
    renderer.startRender(context, zones.fields())
    seen = set()
    for feature in zones.getFeatures():
        labels = [r.label() for r in renderer.rootRule().children() if r.isFilterOK(feature, context)]
        fills = [l for l in labels if l in expected_label.values() or l in ('No class', 'Other class')]
        want = expected_label.get(str(feature['class']), 'Other class')
        if fills != [want]:
            fail(f'zones: zone {feature["zone_id"]} class {feature["class"]!r} matches {fills}, not [{want!r}]')
        outline = [l for l in labels if l.startswith('Shared')]
        want_outline = (['Shared across a national border'] if feature['cross_national'] == 1 else
                        ['Shared by municipalities of one country'] if feature['cross_border'] == 1 else [])
        if outline != want_outline:
            fail(f'zones: zone {feature["zone_id"]} outlines {outline}, not {want_outline}')
        seen.add(want)
    renderer.stopRender(context)
    if not seen:
        fail('zones: no feature checked')

# ---- zone_parts: countries take Okabe & Ito's colours in sorted order, as twinrisk's maps do
OKABE_ITO = ['#e69f00', '#56b4e9', '#009e73', '#f0e442', '#0072b2', '#d55e00', '#cc79a7']
parts = load('zone_parts')
if parts:
    countries = sorted({f['country'] for f in parts.getFeatures() if f['country'] not in (None, '')})
    rule = [r for r in parts.renderer().rootRule().children() if r.label() == 'Zone parts by country']
    if not rule:
        fail('zone_parts: no rule for the countries')
    else:
        layer = rule[0].symbol().symbolLayer(0)
        prop = layer.dataDefinedProperties().property(QgsSymbolLayer.PropertyFillColor)
        expression = QgsExpression(prop.expressionString())
        context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(parts))
        expression.prepare(context)
        checked = 0
        for feature in parts.getFeatures():
            if feature['country'] in (None, ''):
                continue
            context.setFeature(feature)
            got = expression.evaluate(context)
            if expression.hasEvalError():
                fail(f'zone_parts: {expression.evalErrorString()}')
                break
            want = OKABE_ITO[countries.index(feature['country']) % len(OKABE_ITO)]
            r, g, b, a = (int(x) for x in str(got).split(','))
            if f'#{r:02x}{g:02x}{b:02x}' != want:
                fail(f'zone_parts: {feature["country"]} is #{r:02x}{g:02x}{b:02x}, not {want}')
            checked += 1
        if checked == 0:
            fail('zone_parts: no part with a country')

# ---- exposed_assets: points, road pieces and buildings in one table, which QGIS opens as one
# sublayer per geometry type; the mixed style applies to each, and each feature matches one rule,
# whose symbol is of its geometry's kind (a road piece a line, not a marker it cannot draw) and
# whose colour is its category's Okabe & Ito colour by rank among all the table's categories, as
# on twinrisk's maps (not among its sublayer's)
SYMBOL_OF = {'Point': 0, 'LineString': 1, 'Polygon': 2}  # QgsSymbol.Marker, Line, Fill
categories = sorted({f['category'] for g in SYMBOL_OF
                     for f in QgsVectorLayer(f'{gpkg}|layername=exposed_assets|geometrytype={g}', g, 'ogr').getFeatures()})


def drawn_colour(symbol, context):
    """The colour the symbol's data-defined layer gives the context's feature, as #rrggbb."""
    for layer in symbol.symbolLayers():
        for key in (QgsSymbolLayer.PropertyFillColor, QgsSymbolLayer.PropertyStrokeColor):
            prop = layer.dataDefinedProperties().property(key)
            if prop.isActive():
                expression = QgsExpression(prop.expressionString())
                got = expression.evaluate(context)
                r, g, b, a = (int(x) for x in str(got).split(','))
                return f'#{r:02x}{g:02x}{b:02x}'
    return None


for geometry, symbol_type in SYMBOL_OF.items():
    sublayer = QgsVectorLayer(f'{gpkg}|layername=exposed_assets|geometrytype={geometry}', geometry, 'ogr')
    if not sublayer.isValid() or sublayer.featureCount() == 0:
        fail(f'exposed_assets: no {geometry} sublayer with features')
        continue
    message, ok = sublayer.loadDefaultStyle()
    if not ok:
        fail(f'exposed_assets {geometry}: the default style does not load ({message})')
        continue
    QgsProject.instance().addMapLayer(sublayer)
    context = QgsRenderContext()
    renderer = sublayer.renderer().clone()
    renderer.startRender(context, sublayer.fields())
    checked = 0
    colour_context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(sublayer))
    for feature in sublayer.getFeatures():
        rules = [r for r in renderer.rootRule().children() if r.isFilterOK(feature, context)]
        if [r.symbol().type() for r in rules] != [symbol_type]:
            fail(f'exposed_assets {geometry}: feature {feature.id()} matches symbols '
                 f'{[r.symbol().type() for r in rules]}, not [{symbol_type}]')
            continue
        colour_context.setFeature(feature)
        want = OKABE_ITO[categories.index(feature['category']) % len(OKABE_ITO)]
        got = drawn_colour(rules[0].symbol(), colour_context)
        if got != want:
            fail(f'exposed_assets {geometry}: {feature["category"]} is {got}, not {want}')
        checked += 1
    renderer.stopRender(context)
    if checked == 0:
        fail(f'exposed_assets {geometry}: no feature checked')

for p in problems:
    print('FAIL:', p)
print(f'{len(problems)} problem(s)')
app.exitQgis()
sys.exit(1 if problems else 0)
