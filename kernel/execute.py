"""Execute one notebook headless and save it with its outputs.

Usage: execute.py NOTEBOOK TARGET KERNEL TIMEOUT

Used by kernel/run (run with Debian's /usr/bin/python3, which has nbclient).
Each code cell's progress and time is printed on standard output as it
runs, so a long notebook shows where it is; while a cell runs, the
progress lines it shows in the notebook (the training step, rate and time
left; how many experiments of a sweep are done) are relayed there too, at
most every RELAY_SECONDS per line, and the summary line of each call when
it ends. On a cell error the notebook is
still saved, up to and including the failing cell, and that cell's error
and stderr are printed: GoNB reports a failed cell only as "exit status 2",
the reason is in the cell's stderr.
"""

import html
import os
import re
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def save(nb, target):
    """Writes the notebook atomically: a temporary file, then a rename."""
    d = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(prefix=".execute-", suffix=".ipynb", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def drop_cleared_displays(nb):
    """Removes the outputs that progress lines leave behind: a display that
    was updated in place and finally cleared to nothing (GoNB's UpdateHTML
    with ""). Left in, each one is an empty box in the HTML export."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data", {}) if out.get("output_type") == "display_data" else None
            if data is not None and set(data) <= {"text/html", "text/plain"} and \
                    not "".join(data.get("text/html", "")).strip() and not "".join(data.get("text/plain", "")).strip():
                continue
            kept.append(out)
        cell.outputs = kept


def coalesce_streams(nb):
    """Joins consecutive stream outputs of the same name (stdout, stderr)
    into one. A loaded machine can deliver a cell's output in many small
    messages (a panic one word at a time); joined, the saved notebook and
    the failure report show it as the cell wrote it."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged = []
        for out in cell.get("outputs", []):
            prev = merged[-1] if merged else None
            if out.get("output_type") == "stream" and prev is not None and \
                    prev.get("output_type") == "stream" and prev.get("name") == out.get("name"):
                prev["text"] = "".join(prev.get("text", "")) + "".join(out.get("text", ""))
                continue
            merged.append(out)
        cell.outputs = merged


def go_highlighting(nb):
    """GoNB leaves the language's pygments lexer and CodeMirror mode empty,
    so an HTML export shows the code unhighlighted: name Go."""
    info = nb.metadata.setdefault("language_info", {})
    info["pygments_lexer"] = "go"
    info["codemirror_mode"] = "go"


def failed_cell(nb):
    """Returns (index, cell) of the first cell with an error output."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return i, cell
    return None, None


RELAY_SECONDS = 15

_TAG = re.compile(r"<[^>]+>")


def text_of(markup):
    """The visible text of a bit of HTML, on one line."""
    return " ".join(html.unescape(_TAG.sub(" ", markup)).split())


class RelayClient(NotebookClient):
    """A NotebookClient that relays the notebook's progress lines (displays
    of class w2s-status) and call summaries (<summary>) to standard output
    while a cell runs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shown = {}  # display id -> (time shown, text)

    def process_message(self, msg, cell, cell_index):
        try:
            self._relay(msg)
        except Exception:  # a relay must never break the execution
            pass
        return super().process_message(msg, cell, cell_index)

    def _relay(self, msg):
        if msg.get("msg_type") not in ("display_data", "update_display_data"):
            return
        content = msg.get("content", {})
        markup = content.get("data", {}).get("text/html", "")
        if isinstance(markup, list):
            markup = "".join(markup)
        if "<summary>" in markup:
            summary = markup.split("<summary>", 1)[1].split("</summary>", 1)[0]
            print(f"    {text_of(summary)}", flush=True)
            return
        if "w2s-status" not in markup:
            return
        key = content.get("transient", {}).get("display_id", "")
        text = text_of(markup)
        shown, last = self._shown.get(key, (0.0, ""))
        now = time.monotonic()
        # The first line of a new stage at once, then at most every
        # RELAY_SECONDS.
        if text and (not last or now - shown >= RELAY_SECONDS or text.split(":")[0] != last.split(":")[0]):
            self._shown[key] = (now, text)
            print(f"    {text}", flush=True)


def main():
    src, target, kernel, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    nb = nbformat.read(src, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    started = {}

    def first_line(cell):
        for line in cell.source.splitlines():
            line = line.strip()
            if line and not line.startswith(("//", "%", "!")):
                return line[:60]
        return ""

    def on_start(cell, cell_index):
        started[cell_index] = time.monotonic()
        n = code.index(cell_index) + 1 if cell_index in code else 0
        print(f"  cell {n}/{len(code)}: {first_line(cell)}", flush=True)

    def on_done(cell, cell_index, **_):
        if cell_index in started:
            print(f"  cell {code.index(cell_index) + 1}/{len(code)} done in {time.monotonic() - started[cell_index]:.1f}s", flush=True)

    client = RelayClient(nb, timeout=timeout, kernel_name=kernel,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}},
                            on_cell_execute=on_start, on_cell_executed=on_done)
    try:
        client.execute()
    except CellExecutionError as err:
        drop_cleared_displays(nb)
        coalesce_streams(nb)
        save(nb, target)
        i, cell = failed_cell(nb)
        print(f"{src}: cell {i if i is not None else '?'} failed; the notebook so far is saved in {target}", file=sys.stderr)
        if cell is not None:
            print("--- cell source:\n" + "".join(cell.source)[:2000], file=sys.stderr)
            for out in cell.outputs:
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    print("--- cell stderr:\n" + "".join(out.get("text", ""))[-4000:], file=sys.stderr)
                elif out.get("output_type") == "error":
                    print(f"--- cell error: {out.get('ename')}: {out.get('evalue')}", file=sys.stderr)
        else:
            print(str(err)[-4000:], file=sys.stderr)
        sys.exit(1)
    drop_cleared_displays(nb)
    coalesce_streams(nb)
    go_highlighting(nb)
    save(nb, target)


if __name__ == "__main__":
    main()
