package kernel

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type notebook struct {
	Cells []struct {
		CellType string `json:"cell_type"`
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
		Kernelspec struct{ Name string } `json:"kernelspec"`
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

// checkExecuted reports what is wrong with an executed notebook: errors,
// panics, or no figure.
func checkExecuted(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb notebook
	if err := json.Unmarshal(raw, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if nb.Metadata.Kernelspec.Name != "w2s" {
		t.Errorf("%s: kernel %q, want w2s", path, nb.Metadata.Kernelspec.Name)
	}
	figures := 0
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			switch {
			case o.OutputType == "error":
				t.Errorf("%s: cell error %s: %s", path, o.EName, o.EValue)
			case o.Name == "stderr" && strings.Contains(joined(o.Text), "panic"):
				t.Errorf("%s: a cell panicked: %.300s", path, joined(o.Text))
			}
			if h := joined(o.Data["text/html"]); strings.Contains(h, `class="w2s-figure"><svg`) && strings.Contains(h, "</svg>") {
				figures++
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
	home, _ := os.UserHomeDir()
	dataDir := os.Getenv("JUPYTER_DATA_DIR")
	if dataDir == "" {
		dataDir = filepath.Join(home, ".local", "share", "jupyter")
	}
	_, errKernel := os.Stat(filepath.Join(dataDir, "kernels", "w2s", "kernel.json"))
	_, errJupyter := exec.LookPath("jupyter")
	if errKernel != nil || errJupyter != nil || os.Getenv("W2S_DATA") == "" {
		msg := "needs kernel/setup, jupyter on PATH and W2S_DATA"
		if os.Getenv("W2S_REQUIRE_NOTEBOOKS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if testing.Short() {
		t.Skip("executes every notebook")
	}
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
