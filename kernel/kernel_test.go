package kernel

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/w2s-lab/w2s/w2s/testgate"
)

type notebook struct {
	Cells []struct {
		CellType string          `json:"cell_type"`
		Source   json.RawMessage `json:"source"`
		Outputs  []struct {
			OutputType string          `json:"output_type"`
			Name       string          `json:"name"`
			Text       json.RawMessage `json:"text"`
			Data       map[string]json.RawMessage
			EName      string `json:"ename"`
			EValue     string `json:"evalue"`
		} `json:"outputs"`
	} `json:"cells"`
	Metadata struct {
		Kernelspec   struct{ Name string } `json:"kernelspec"`
		LanguageInfo struct {
			PygmentsLexer string `json:"pygments_lexer"`
		} `json:"language_info"`
	} `json:"metadata"`
}

func joined(raw json.RawMessage) string {
	var lines []string
	if json.Unmarshal(raw, &lines) == nil {
		return strings.Join(lines, "")
	}
	var s string
	json.Unmarshal(raw, &s)
	return s
}

// readNotebook reads an .ipynb file.
func readNotebook(t *testing.T, path string) notebook {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb notebook
	if err := json.Unmarshal(raw, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return nb
}

// checkExecuted reports what is wrong with an executed notebook: errors,
// panics, no figure, or a cell that states sentences (plots.Text) but
// showed none (a loop whose condition never held).
func checkExecuted(t *testing.T, path string) {
	t.Helper()
	nb := readNotebook(t, path)
	if nb.Metadata.Kernelspec.Name != "w2s" {
		t.Errorf("%s: kernel %q, want w2s", path, nb.Metadata.Kernelspec.Name)
	}
	if nb.Metadata.LanguageInfo.PygmentsLexer != "go" {
		t.Errorf("%s: pygments lexer %q, want go (an HTML export highlights the code by it)", path, nb.Metadata.LanguageInfo.PygmentsLexer)
	}
	figures := 0
	for i, c := range nb.Cells {
		sentences := 0
		for _, o := range c.Outputs {
			if strings.Contains(joined(o.Data["text/html"]), `<p style="font-family:sans-serif;max-width:760px">`) {
				sentences++
			}
		}
		if src := joined(c.Source); c.CellType == "code" && strings.Contains(src, "plots.Text(") && sentences == 0 {
			t.Errorf("%s: cell %d states sentences (plots.Text) but showed none:\n%s", path, i, src)
		}
		for _, o := range c.Outputs {
			switch {
			case o.OutputType == "error":
				t.Errorf("%s: cell error %s: %s", path, o.EName, o.EValue)
			case o.Name == "stderr" && strings.Contains(joined(o.Text), "panic"):
				t.Errorf("%s: a cell panicked: %.300s", path, joined(o.Text))
			}
			h := joined(o.Data["text/html"])
			if strings.Contains(h, `class="w2s-figure"><svg`) && strings.Contains(h, "</svg>") {
				figures++
			}
			if o.OutputType == "display_data" && strings.TrimSpace(h) == "" && strings.TrimSpace(joined(o.Data["text/plain"])) == "" {
				t.Errorf("%s: an empty display output (a cleared progress line left behind)", path)
			}
		}
	}
	if figures == 0 {
		t.Errorf("%s: no figure (inline SVG) in the outputs", path)
	}
}

func notebooks(t *testing.T) []string {
	nbs, err := filepath.Glob("../notebooks/*.ipynb")
	if err != nil || len(nbs) < 7 {
		t.Fatalf("notebooks: %v %v", nbs, err)
	}
	return nbs
}

// TestCommittedNotebooksHaveOutputs: the notebooks in the repository were
// executed (at scale cpu or gpu, as each says) and show their figures.
func TestCommittedNotebooksHaveOutputs(t *testing.T) {
	for _, nb := range notebooks(t) {
		checkExecuted(t, nb)
	}
}

// TestNotebooksExecute runs every notebook headless at scale ci with
// kernel/run and checks the executed notebooks and their HTML exports.
func TestNotebooksExecute(t *testing.T) {
	testgate.Integration(t, "executes every notebook at scale ci")
	needKernel(t)
	out := t.TempDir()
	cmd := exec.Command("./run", append([]string{"--scale", "ci", "--out", out}, notebooks(t)...)...)
	cmd.Env = os.Environ()
	if os.Getenv("W2S_CACHE") == "" {
		cmd.Env = append(cmd.Env, "W2S_CACHE="+filepath.Join(out, "cache"))
	}
	start := time.Now()
	log, err := cmd.CombinedOutput()
	t.Logf("kernel/run at scale ci (%s):\n%s", time.Since(start).Round(time.Second), log)
	if err != nil {
		t.Fatalf("kernel/run failed: %v", err)
	}
	for _, nb := range notebooks(t) {
		name := strings.TrimSuffix(filepath.Base(nb), ".ipynb")
		checkExecuted(t, filepath.Join(out, name+".ipynb"))
		html, err := os.ReadFile(filepath.Join(out, name+".html"))
		if err != nil {
			t.Error(err)
			continue
		}
		if !strings.Contains(string(html), `class="w2s-figure"><svg`) {
			t.Errorf("%s.html: no inline SVG figure", name)
		}
	}
}

// needKernel skips the test (or fails it, in CI) when the kernel cannot run
// this checkout's code: no kernelspec, no jupyter, no W2S_DATA, or a
// kernelspec wired to another checkout's module.
func needKernel(t *testing.T) {
	t.Helper()
	msg := ""
	wired, errKernel := kernelModule(jupyterDataDir())
	_, errJupyter := exec.LookPath("jupyter")
	switch {
	case errKernel != nil || errJupyter != nil || os.Getenv("W2S_DATA") == "":
		msg = "needs kernel/setup, jupyter on PATH and W2S_DATA"
	case !sameDir(wired, mustAbs(t, "..")):
		msg = fmt.Sprintf("the Go (w2s) kernel runs the module at %s, not this checkout %s: run kernel/setup --no-build here", wired, mustAbs(t, ".."))
	}
	testgate.Require(t, testgate.Notebooks, msg == "", msg)
}

// sameDir reports whether a and b name the same existing folder.
func sameDir(a, b string) bool {
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(ia, ib)
}

// jupyterDataDir is where Jupyter looks for kernelspecs first.
func jupyterDataDir() string {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "share", "jupyter")
}

// kernelModule is the module folder the "w2s" kernelspec in dataDir wires
// its cells to (GoNB's --go_work flag).
func kernelModule(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "kernels", "w2s", "kernel.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var spec struct{ Argv []string }
	if err := json.Unmarshal(raw, &spec); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	for _, a := range spec.Argv {
		if dir, ok := strings.CutPrefix(a, "--go_work="); ok {
			return filepath.Clean(dir), nil
		}
	}
	return "", fmt.Errorf("%s: no --go_work in argv", path)
}

// TestRunRefusesAnotherCheckoutsKernel: a kernelspec wired to another
// checkout's module (left by kernel/setup run there) stops kernel/run with
// an error naming both folders, before anything executes.
func TestRunRefusesAnotherCheckoutsKernel(t *testing.T) {
	data := t.TempDir()
	kdir := filepath.Join(data, "kernels", "w2s")
	if err := os.MkdirAll(kdir, 0o755); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other-checkout")
	spec := fmt.Sprintf(`{"argv": ["gonb", "--kernel", "{connection_file}", "--go_work=%s"], "display_name": "Go (w2s)", "language": "go"}`, other)
	if err := os.WriteFile(filepath.Join(kdir, "kernel.json"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(filepath.Join(mustAbs(t, "."), "run"), "--scale", "ci", "--out", out,
		filepath.Join(mustAbs(t, ".."), "notebooks", "01_weak_to_strong.ipynb"))
	cmd.Env = append(os.Environ(), "JUPYTER_DATA_DIR="+data)
	log, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("kernel/run ran with another checkout's kernel:\n%s", log)
	}
	for _, want := range []string{other, mustAbs(t, ".."), "kernel/setup --no-build"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("the error does not name %q:\n%s", want, log)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "01_weak_to_strong.ipynb")); err == nil {
		t.Error("a notebook was executed anyway")
	}
	if got, err := kernelModule(data); err != nil || got != other {
		t.Errorf("kernelModule = %q, %v; want %q", got, err, other)
	}
}

// TestRunReportsCellErrors: a failing cell stops kernel/run with a non-zero
// exit that shows the cell's panic, the notebook so far is saved, and a
// relative W2S_DATA reaches the cells as an absolute path.
func TestRunReportsCellErrors(t *testing.T) {
	needKernel(t)
	dir := t.TempDir()
	cell := func(src string) map[string]any {
		return map[string]any{"cell_type": "code", "execution_count": nil, "metadata": map[string]any{}, "outputs": []any{}, "source": src}
	}
	nb := map[string]any{
		"cells": []any{
			cell("import (\n\t\"fmt\"\n\t\"os\"\n)\n\n%%\nfmt.Println(\"data:\", os.Getenv(\"W2S_DATA\"))"),
			cell("%%\npanic(\"boom-7f3a\")"),
			cell("%%\nfmt.Println(\"never\")"),
		},
		"metadata":       map[string]any{"kernelspec": map[string]any{"name": "w2s", "display_name": "Go (w2s)", "language": "go"}},
		"nbformat":       4,
		"nbformat_minor": 4,
	}
	raw, _ := json.Marshal(nb)
	src := filepath.Join(dir, "fails.ipynb")
	if err := os.WriteFile(src, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cmd := exec.Command(filepath.Join(mustAbs(t, "."), "run"), "--scale", "ci", "--out", out, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "W2S_DATA=relative/data")
	log, err := cmd.CombinedOutput()
	t.Logf("kernel/run: %v\n%s", err, log)
	if err == nil {
		t.Fatalf("kernel/run passed a panicking notebook:\n%s", log)
	}
	if !strings.Contains(string(log), "boom-7f3a") || !strings.Contains(string(log), "cell 1 failed") {
		t.Errorf("the failure does not show the cell and its panic:\n%s", log)
	}
	saved, err := os.ReadFile(filepath.Join(out, "fails.ipynb"))
	if err != nil {
		t.Fatalf("the notebook so far was not saved: %v", err)
	}
	want := "data: " + filepath.Join(dir, "relative", "data")
	if !strings.Contains(string(saved), want) {
		t.Errorf("saved notebook lacks %q:\n%s", want, saved)
	}
	if strings.Contains(string(saved), "never\\n") {
		t.Error("a cell after the failing one was executed")
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// interval matches a number with its 95% interval as the notebooks print
// it: "0.316 [0.181, 0.452]".
var interval = regexp.MustCompile(`-?\d+\.\d{3} \[-?\d+\.\d{3}, -?\d+\.\d{3}\]`)

// TestReadmeQuotesTheNotebooks: every interval notebooks/README.md reports
// is printed, digit for digit, by a committed notebook, so the results
// page and the notebooks cannot drift apart.
func TestReadmeQuotesTheNotebooks(t *testing.T) {
	readme, err := os.ReadFile("../notebooks/README.md")
	if err != nil {
		t.Fatal(err)
	}
	var outputs strings.Builder
	for _, path := range notebooks(t) {
		for _, c := range readNotebook(t, path).Cells {
			for _, o := range c.Outputs {
				outputs.WriteString(html.UnescapeString(joined(o.Data["text/html"])))
				outputs.WriteString(joined(o.Data["text/plain"]))
				outputs.WriteString(joined(o.Text))
			}
		}
	}
	// The README writes minus signs as "−" (U+2212); the notebooks print "-".
	quoted := interval.FindAllString(strings.ReplaceAll(string(readme), "−", "-"), -1)
	if len(quoted) < 10 {
		t.Fatalf("notebooks/README.md quotes %d intervals; expected the results tables", len(quoted))
	}
	for _, q := range quoted {
		if !strings.Contains(outputs.String(), q) {
			t.Errorf("notebooks/README.md reports %q, which no committed notebook prints", q)
		}
	}
}

// TestCoalesceStreams: execute.py joins a cell's consecutive stream
// outputs of one name, as a loaded machine can deliver a panic one word
// at a time.
func TestCoalesceStreams(t *testing.T) {
	probe := exec.Command("/usr/bin/python3", "-c", "import nbformat")
	if err := probe.Run(); err != nil {
		testgate.Require(t, testgate.Notebooks, false, "needs Debian's python3 with nbformat (kernel/setup installs it)")
	}
	script := `
import importlib.util, nbformat
spec = importlib.util.spec_from_file_location("execute", "execute.py")
ex = importlib.util.module_from_spec(spec); spec.loader.exec_module(ex)
nb = nbformat.v4.new_notebook()
c = nbformat.v4.new_code_cell("x")
s = lambda name, text: nbformat.v4.new_output("stream", name=name, text=text)
c.outputs = [s("stderr", "panic: "), s("stderr", "boom"), s("stdout", "a"), s("stderr", "x")]
nb.cells = [c]
ex.coalesce_streams(nb)
print("|".join(o.name + "=" + o.text for o in nb.cells[0].outputs))
`
	out, err := exec.Command("/usr/bin/python3", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "stderr=panic: boom|stdout=a|stderr=x" {
		t.Errorf("coalesced %q", got)
	}
}
