"""Execute one notebook headless and save it with its outputs.

Usage: execute.py NOTEBOOK TARGET KERNEL TIMEOUT

Used by kernel/run (run with Debian's /usr/bin/python3, which has nbclient).
Each code cell's progress and time is printed on standard output as it
runs, so a long notebook shows where it is. On a cell error the notebook is
still saved, up to and including the failing cell, and that cell's error
and stderr are printed: GoNB reports a failed cell only as "exit status 2",
the reason is in the cell's stderr.
"""

import os
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


def failed_cell(nb):
    """Returns (index, cell) of the first cell with an error output."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return i, cell
    return None, None


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

    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}},
                            on_cell_execute=on_start, on_cell_executed=on_done)
    try:
        client.execute()
    except CellExecutionError as err:
        drop_cleared_displays(nb)
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
    save(nb, target)


if __name__ == "__main__":
    main()
