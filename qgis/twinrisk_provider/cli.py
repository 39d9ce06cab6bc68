"""Talking to the twinrisk executable: where it is, what it offers, and running it.

Nothing here knows an algorithm by name: the registry (`twinrisk algorithms --json`) is the
only description of the algorithms and their parameters.
"""

import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time

PLUGIN_DIR = os.path.dirname(os.path.realpath(__file__))
# The build folder of the checkout this plugin lives in (qgis/twinrisk_provider → build/).
BUILD_BINARY = os.path.normpath(os.path.join(PLUGIN_DIR, '..', '..', 'build', 'twinrisk'))


class TwinriskError(Exception):
    """The executable is missing, or it failed; the message is meant for the user."""


def default_binary():
    """`twinrisk` on PATH, else the build folder next to the plugin's checkout."""
    on_path = shutil.which('twinrisk')
    if on_path:
        return on_path
    return BUILD_BINARY


def resolve_binary(configured):
    binary = (configured or '').strip() or default_binary()
    if os.path.sep not in binary:
        binary = shutil.which(binary) or binary
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        raise TwinriskError(
            f"twinrisk executable not found at '{binary}': build it (cmake --build build) or set its path "
            "in Settings → Options → Processing → Providers → twinrisk")
    return binary


def describe(binary, timeout_s=30):
    """The registry as printed by `twinrisk algorithms --json`."""
    try:
        done = subprocess.run([binary, 'algorithms', '--json'], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise TwinriskError(f"could not run '{binary} algorithms --json': {error}") from error
    if done.returncode != 0:
        raise TwinriskError(f"'{binary} algorithms --json' exited with {done.returncode}: {done.stderr.strip()}")
    try:
        return json.loads(done.stdout)
    except ValueError as error:
        raise TwinriskError(f"'{binary} algorithms --json' printed invalid JSON: {error}") from error


def _pump(stream, sink, tag):
    for line in iter(stream.readline, ''):
        sink.put((tag, line.rstrip('\n')))
    sink.put((tag, None))


# Progress tasks as the log shows them; others ("shared-zones", a step's own) as they are.
TASK_TEXT = {'load': 'Loading the input layers', 'write': 'Writing the results'}
NBSP = '\u00a0'


def task_text(task):
    task = str(task)
    if task in TASK_TEXT:
        return TASK_TEXT[task]
    if task.startswith('load '):
        return f'Loading {task[5:]}'
    return task


def in_dialog_words(message, wording):
    """A CLI message with its flags named as the dialog names them.

    `wording` maps a flag ("--overwrite", "-o", "--hazard-field class") to a label; a flag with a
    value ("--hazard-field class=FIELD") becomes the label alone.
    """
    if not wording:
        return message
    flags = sorted(wording, key=len, reverse=True)
    pattern = re.compile(r'(?<![\w-])(' + '|'.join(re.escape(f) for f in flags) + r')(?:=\S+)?(?![\w-])')
    return pattern.sub(lambda m: f"‘{wording[m.group(1)]}’", message)


def run(command, feedback, wording=None, poll_s=0.1):
    """Runs `command` (which includes `--progress json`) and reports to a QgsProcessingFeedback.

    Each progress task is logged once, as the progress text; warnings as warnings; stdout (the run
    summary, aligned tables) as console output, its spaces kept. Cancelling the feedback terminates
    the process. Returns normally on exit code 0, raises TwinriskError with the CLI's message
    otherwise, its flags named as the dialog names them (`wording`, see in_dialog_words).
    """
    feedback.pushCommandInfo(' '.join(_quote(part) for part in command))
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, encoding='utf-8', errors='replace')
    except OSError as error:
        raise TwinriskError(f"could not start {command[0]}: {error}") from error

    lines = queue.Queue()
    readers = [threading.Thread(target=_pump, args=(process.stdout, lines, 'out'), daemon=True),
               threading.Thread(target=_pump, args=(process.stderr, lines, 'err'), daemon=True)]
    for reader in readers:
        reader.start()

    error_message = None
    other_stderr = []
    open_streams = 2
    task = None
    cancelled = False
    while open_streams:
        if feedback.isCanceled() and not cancelled:
            cancelled = True
            _stop(process)
        try:
            tag, line = lines.get(timeout=poll_s)
        except queue.Empty:
            continue
        if line is None:
            open_streams -= 1
            continue
        if tag == 'out':
            # The log is HTML: runs of spaces would collapse and the columns with them.
            feedback.pushConsoleInfo(line.replace(' ', NBSP) or NBSP)
            continue
        event = _event(line)
        if event is None:
            if line.strip():
                other_stderr.append(line)
                feedback.pushWarning(line)
            continue
        kind = event.get('type')
        if kind == 'progress':
            if event.get('task') != task:
                task = event.get('task')
                # The dialog logs the progress text itself: one line per task.
                feedback.setProgressText(task_text(task))
            percent = float(event.get('percent', 0))
            stages = int(event.get('stages', 1)) or 1
            # One bar for the whole run: each stage (load, each step, write) gets its share.
            feedback.setProgress(100.0 * (int(event.get('stage', 0)) + percent / 100.0) / stages)
        elif kind == 'message':
            feedback.pushWarning(in_dialog_words(str(event.get('text', '')), wording))
        elif kind == 'error':
            error_message = str(event.get('message', ''))
        else:
            feedback.pushDebugInfo(line)
    exit_code = process.wait()
    for reader in readers:
        reader.join(timeout=1)
    process.stdout.close()
    process.stderr.close()

    if cancelled:
        raise TwinriskError('cancelled: twinrisk was stopped before it finished')
    if exit_code != 0:
        message = error_message or '\n'.join(other_stderr[-5:]) or 'no message'
        raise TwinriskError(f"twinrisk failed (exit code {exit_code}): {in_dialog_words(message, wording)}")


def _event(line):
    if not line.startswith('{'):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def _stop(process, grace_s=5.0):
    process.terminate()
    deadline = time.monotonic() + grace_s
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()


def _quote(part):
    return part if part and all(c.isalnum() or c in '-_./:=,+@' for c in part) else "'" + part.replace("'", "'\\''") + "'"
