#!/usr/bin/python3
"""The twinrisk dialogs in Debian's QGIS, built as the Processing Toolbox builds them.

Usage: dialog_test.py REPO_ROOT WORK_DIR CASE [SCREENSHOT_DIR]
  dialogs      each twinrisk algorithm's dialog (processing.createAlgorithmDialog) and
               native:intersection's: twinrisk's parameter panel is no wider than native's; labels
               are the registry's, short, without a doubled "[optional]"; tooltips carry the help;
               help panel, tags and icons
  auto-field   choosing the demo's hazard layer picks its class field (ffreq), a same-named field
               is picked (name), and a layer with two plausible fields picks none
  log          shared-zones on the demo run through the dialog's own feedback: each progress step
               logged once, the summary tables aligned with fixed decimals, the layers and the CSV
               tables (as typed table layers) loaded into the project
  every-type-dialog  the dialog of a registry algorithm declaring every parameter type
               (TWINRISK_TEST_BINARY describes it): it builds, fits like native:intersection's, and
               a table's field pickers follow the table
  screenshots  the dialogs (and the log after a run) as PNGs in SCREENSHOT_DIR, for people to look at
The QGIS GUI runs offscreen (or under Xvfb for screenshots) with a stand-in for the desktop's iface.
"""
import json
import os
import subprocess
import sys
from unittest import mock

REPO, WORK, CASE = sys.argv[1:4]
SHOTS = sys.argv[4] if len(sys.argv) > 4 else None
sys.path[:0] = ['/usr/share/qgis/python/plugins', os.path.join(REPO, 'qgis')]

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsProcessingContext,
    QgsProject,
    QgsVectorLayer,
)
from qgis.gui import (  # noqa: E402
    QgisInterface,
    QgsBrowserGuiModel,
    QgsMapCanvas,
    QgsMessageBar,
    QgsProcessingToolboxProxyModel,
)
from qgis.PyQt.QtWidgets import QLabel, QCheckBox, QMainWindow, QScrollArea, QTextEdit  # noqa: E402

app = QgsApplication([], True, os.path.join(WORK, 'profile'))
app.initQgis()

# What processing.createAlgorithmDialog needs of the desktop.
import qgis.utils  # noqa: E402
iface = mock.Mock(spec=QgisInterface)
main_window = QMainWindow()
iface.mainWindow.return_value = main_window
iface.mapCanvas.return_value = QgsMapCanvas(main_window)
iface.activeLayer.return_value = None
browser_model = QgsBrowserGuiModel()
iface.browserModel.return_value = browser_model
message_bar = QgsMessageBar()
iface.messageBar.return_value = message_bar
qgis.utils.iface = iface

from processing.core.Processing import Processing  # noqa: E402
Processing.initialize()
import processing  # noqa: E402
import twinrisk_provider  # noqa: E402

plugin = twinrisk_provider.classFactory(None)
plugin.initProcessing()
REGISTRY = json.loads(subprocess.run(['twinrisk', 'algorithms', '--json'], capture_output=True, text=True,
                                     check=True).stdout)
TWINRISK = ['twinrisk:' + a['id'] for a in REGISTRY['algorithms']]
DEMO = os.path.join(REPO, 'layers', 'demo', 'meuse_nl_be.gpkg')
OPTIONAL = ' [optional]'


def fail(message):
    print(f'FAIL [{CASE}]: {message}')
    sys.stdout.flush()
    os._exit(1)


def demo_layer(name):
    layer = QgsVectorLayer(f'{DEMO}|layername={name}', name, 'ogr')
    if not layer.isValid():
        fail(f'cannot open {DEMO} layer {name}')
    QgsProject.instance().addMapLayer(layer)
    return layer


def scroll_area(dialog):
    return dialog.mainWidget().findChild(QScrollArea)


def panel_min_width(dialog):
    """The width the parameter panel needs before it scrolls sideways."""
    return scroll_area(dialog).widget().minimumSizeHint().width()


def registry_labels(entry):
    labels = {}
    for p in entry['parameters']:
        labels[p['name']] = p['label']
        for f in p.get('field_parameters', []):
            labels[f['name']] = f['label']
    for p in REGISTRY['common_parameters']:
        labels[p['name']] = p['label']
    return labels


def screenshot(widget, name):
    widget.show()
    for _ in range(5):
        app.processEvents()
    path = os.path.join(SHOTS, name)
    if not widget.grab().save(path):
        fail(f'cannot save {path}')
    print('screenshot:', path)


if CASE in ('dialogs', 'screenshots'):
    demo_layer('ne_admin1')
    demo_layer('meuse_flood_freq_zones')
    native = processing.createAlgorithmDialog('native:intersection')
    native_width = panel_min_width(native)
    if SHOTS:
        native.resize(900, 700)
        screenshot(native, 'native-intersection.png')
    for alg_id in TWINRISK:
        entry = next(a for a in REGISTRY['algorithms'] if 'twinrisk:' + a['id'] == alg_id)
        dialog = processing.createAlgorithmDialog(alg_id)
        width = panel_min_width(dialog)
        print(f'{alg_id}: parameter panel needs {width} px, native:intersection {native_width} px')
        if SHOTS:
            dialog.resize(900, 700)
            screenshot(dialog, f'{alg_id.split(":")[1]}.png')
            continue
        if width > native_width:
            fail(f'{alg_id}: the parameter panel needs {width} px, wider than native:intersection\'s {native_width} px')
        dialog.resize(900, 700)
        dialog.show()
        app.processEvents()
        if scroll_area(dialog).horizontalScrollBar().maximum() > 0:
            fail(f'{alg_id}: the panel scrolls sideways at 900 px')
        labels = registry_labels(entry)
        algorithm = dialog.algorithm()
        for definition in algorithm.parameterDefinitions():
            expected = labels.get(definition.name())
            if definition.description() != expected:
                fail(f'{alg_id}: {definition.name()} is labelled {definition.description()!r}, the registry says {expected!r}')
            if len(expected) > 40:
                fail(f'{alg_id}: label {expected!r} is longer than 40 characters')
            help_text = next((p.get('help') for p in entry['parameters'] + REGISTRY['common_parameters']
                              if p['name'] == definition.name()), None)
            if help_text and help_text not in definition.toolTip():
                fail(f'{alg_id}: the tooltip of {definition.name()} lacks its help: {definition.toolTip()!r}')
        shown = [w.text() for w in scroll_area(dialog).widget().findChildren((QLabel, QCheckBox)) if w.text()]
        for text in shown:
            if text.count('[optional]') > 1 or '(optional)' in text:
                fail(f'{alg_id}: label {text!r} says optional twice')
        if 'Hazard class field' + OPTIONAL not in shown and entry['id'] == 'shared-zones':
            fail(f'shared-zones: no "Hazard class field [optional]" label among {shown}')
        help_html = algorithm.shortHelpString()
        if '\n' in help_html or not help_html.startswith('<p>') or '<b>' not in help_html:
            fail(f'{alg_id}: shortHelpString is not one line of HTML: {help_html[:120]!r}')
        first = algorithm.shortDescription()
        if not entry['help'].startswith(first) or not first.endswith('.') or len(first) >= len(entry['help']):
            fail(f'{alg_id}: shortDescription {first!r} is not the help\'s first sentence')
        if not algorithm.helpUrl().endswith('.html') or not os.path.exists(algorithm.helpUrl()[len('file://'):]):
            fail(f'{alg_id}: help URL {algorithm.helpUrl()!r} is not an HTML page')
        if os.path.basename(algorithm.svgIconPath()) != entry['icon'] + '.svg' or algorithm.icon().isNull():
            fail(f'{alg_id}: icon {algorithm.svgIconPath()} is not the {entry["icon"]} group icon')
        dialog.close()
    provider = QgsApplication.processingRegistry().providerById('twinrisk')
    if provider.icon().isNull() or not os.path.exists(provider.svgIconPath()):
        fail('the provider has no icon')
    # The toolbox search: words of the tags, not only of the title.
    toolbox = QgsProcessingToolboxProxyModel(None, QgsApplication.processingRegistry())
    for word, expected in (('border', 'twinrisk:shared-zones'), ('municipal', 'twinrisk:shared-zones'),
                           ('clip', 'twinrisk:intersection')):
        toolbox.setFilterString(word)
        found = set()
        stack = [toolbox.index(r, 0) for r in range(toolbox.rowCount())]
        while stack:
            index = stack.pop()
            algorithm = toolbox.toolboxModel().algorithmForIndex(toolbox.mapToSource(index))
            if algorithm is not None:
                found.add(algorithm.id())
            stack += [toolbox.index(r, 0, index) for r in range(toolbox.rowCount(index))]
        if expected not in found:
            fail(f'searching the toolbox for {word!r} finds {sorted(found)}, not {expected}')
    print(f'native:intersection needs {native_width} px; labels, tooltips, help, tags and icons as the registry says')

if CASE in ('auto-field', 'screenshots'):
    municipalities = demo_layer('ne_admin1')
    hazard = demo_layer('meuse_flood_freq_zones')
    dialog = processing.createAlgorithmDialog('twinrisk:shared-zones')
    wrappers = dialog.mainWidget().wrappers
    context = dialog.mainWidget().processing_context
    wrappers['municipalities'].setParameterValue(municipalities.id(), context)
    wrappers['hazard'].setParameterValue(hazard.id(), context)
    app.processEvents()
    picked = {name: wrappers[name].parameterValue() for name in
              ('municipalities_name_field', 'hazard_class_field', 'municipalities_country_field')}
    if CASE == 'screenshots':
        dialog.resize(900, 700)
        screenshot(dialog, 'shared-zones-demo-layers.png')
    if picked['hazard_class_field'] != 'ffreq':
        fail(f'the hazard class field is {picked["hazard_class_field"]!r}, not the demo layer\'s only field ffreq')
    if picked['municipalities_name_field'] != 'name':
        fail(f'the name field is {picked["municipalities_name_field"]!r}, not the field called name')
    if picked['municipalities_country_field']:
        fail(f'a country field was guessed among ten text fields: {picked["municipalities_country_field"]!r}')
    # Two fields that could each be a class: the user chooses.
    two = QgsVectorLayer('Polygon?crs=EPSG:4326&field=ffreq:integer&field=zone:string', 'two classes', 'memory')
    QgsProject.instance().addMapLayer(two)
    wrappers['hazard'].setParameterValue(two.id(), context)
    app.processEvents()
    if wrappers['hazard_class_field'].parameterValue():
        fail(f'a class field was guessed among two: {wrappers["hazard_class_field"].parameterValue()!r}')
    print(f'auto-field: picked {picked}; none for a layer with two plausible class fields')

if CASE in ('log', 'screenshots'):
    from processing.gui.Postprocessing import handleAlgorithmResults
    QgsProject.instance().removeAllMapLayers()
    dialog = processing.createAlgorithmDialog('twinrisk:shared-zones')
    out = os.path.join(WORK, 'log-run')
    parameters = {'municipalities': f'{DEMO}|layername=ne_admin1', 'municipalities_id_field': 'woe_label',
                  'municipalities_name_field': 'name', 'municipalities_country_field': 'iso_a2',
                  'hazard': f'{DEMO}|layername=meuse_flood_freq_zones', 'hazard_class_field': 'ffreq',
                  'output': out}
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = dialog.createFeedback()  # writes into the dialog's log, as a run from the dialog does
    progress_texts = []
    feedback.progressTextChanged.connect(progress_texts.append)
    results, ok = dialog.algorithm().run(parameters, context, feedback)
    if not ok:
        fail('the run failed')
    log = dialog.findChild(QTextEdit, 'txtLog').toPlainText().replace('\u00a0', ' ')
    if CASE == 'screenshots':
        dialog.showLog()
        dialog.resize(1100, 800)
        screenshot(dialog, 'shared-zones-log.png')
    lines = log.splitlines()
    if progress_texts[:1] != ['Loading the input layers'] or progress_texts[-1:] != ['Writing the results']:
        fail(f'progress steps {progress_texts}')
    for step in progress_texts:
        if lines.count(step) != 1:
            fail(f'progress step {step!r} is logged {lines.count(step)} times:\n{log}')
    header = next((line for line in lines if line.lstrip().startswith('class') and 'area_m2' in line), None)
    if header is None:
        fail(f'no zone_summary table in the log:\n{log}')
    rows = lines[lines.index(header) + 1:lines.index(header) + 4]
    # Right-aligned numbers with fixed decimals: every row's area ends where the header's column does.
    end = header.index('area_m2') + len('area_m2')
    for row in rows:
        cell = row[:end].split()[-1]
        if not (row[end:end + 1] in (' ', '') and '.' in cell and len(cell.split('.')[1]) == 2):
            fail(f'zone_summary row not aligned with fixed decimals under {header!r}: {row!r}')
    if 'e+' in log:
        fail(f'a number in exponent notation in the log:\n{log}')
    handleAlgorithmResults(dialog.algorithm(), context, feedback)
    loaded = {layer.name(): layer for layer in QgsProject.instance().mapLayers().values()}
    for label in ('Shared zones', 'Zone parts by municipality'):
        if label not in loaded or not loaded[label].isSpatial():
            fail(f'layer {label!r} not loaded ({sorted(loaded)})')
    table = loaded.get('Summary by hazard class')
    if table is None or table.isSpatial() or table.featureCount() != 3:
        fail(f'zone_summary.csv not loaded as a table of 3 rows ({sorted(loaded)})')
    types = {f.name(): f.typeName() for f in table.fields()}
    if types.get('area_m2') != 'Real' or types.get('zones') != 'Integer':
        fail(f'zone_summary columns not typed: {types}')
    print(f'log: each progress step once, summary aligned; loaded {sorted(loaded)}')

if CASE == 'every-type-dialog' or (CASE == 'screenshots' and os.environ.get('TWINRISK_TEST_BINARY')):
    from processing.core.ProcessingConfig import ProcessingConfig
    ProcessingConfig.setSettingValue('TWINRISK_BINARY', os.environ['TWINRISK_TEST_BINARY'])
    QgsApplication.processingRegistry().providerById('twinrisk').refreshAlgorithms()
    twinning = QgsVectorLayer(os.path.join(REPO, 'tests', 'data', 'twinning.csv'), 'twinning', 'ogr')
    QgsProject.instance().addMapLayer(twinning)
    native_width = panel_min_width(processing.createAlgorithmDialog('native:intersection'))
    dialog = processing.createAlgorithmDialog('twinrisk:every-type')
    if dialog is None:
        fail('no dialog for twinrisk:every-type')
    width = panel_min_width(dialog)
    wrappers = dialog.mainWidget().wrappers
    wrappers['pairs'].setParameterValue(twinning.id(), dialog.mainWidget().processing_context)
    app.processEvents()
    if SHOTS:
        dialog.resize(900, 900)
        screenshot(dialog, 'every-type.png')
    if width > native_width:
        fail(f'every-type: the parameter panel needs {width} px, native:intersection {native_width} px')
    picked = (wrappers['pairs_a_field'].parameterValue(), wrappers['pairs_b_field'].parameterValue())
    if picked != ('a', 'b'):
        fail(f'the twinning table\'s fields a and b were not picked: {picked}')
    print(f'every-type-dialog: panel needs {width} px (native {native_width}); table fields picked {picked}')

sys.stdout.flush()
# exitQgis() after dialogs and layers have lived can crash in 3.22's teardown; every check has run.
os._exit(0)
