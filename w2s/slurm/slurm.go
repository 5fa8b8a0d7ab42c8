// Package slurm runs a sweep as Slurm job arrays over a shared artifact
// store. A sweep's work splits into units, each one `w2s sweep unit …`
// command: first the supervisors and their weak labels (everything else
// depends on them), then, after those succeed (--dependency=afterok), the
// students and the ceilings. Every unit runs against the same store
// ($W2S_CACHE on a shared filesystem): the store's locks keep two array
// tasks from training the same stage at once, finished stages are skipped,
// and a killed task resumes from its last saved step, so resubmitting the
// same plan re-runs only what failed. Re-running the sweep command without
// --slurm then reads every result from the store (collect).
package slurm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
)

// Resources of one phase's array tasks (sbatch options).
type Resources struct {
	CPUs      int    // --cpus-per-task
	GPUs      int    // --gres=gpu:N (0: none)
	Mem       string // --mem, e.g. "4G"
	Time      string // --time, e.g. "01:00:00"
	Partition string // --partition ("" : the cluster's default)
	MaxActive int    // array tasks running at once (0: no limit)
}

// DefaultResources suit scale cpu on CPU nodes.
var DefaultResources = Resources{CPUs: 2, Mem: "4G", Time: "02:00:00"}

// Phase is one job array: its units run in any order, in parallel.
type Phase struct {
	Name      string
	Units     []Unit
	Resources Resources
	After     string // the phase that must succeed first ("" for none)
}

// Plan is the job arrays of one or more sweeps.
type Plan struct {
	Dir    string            // scripts, unit lists and logs
	Binary string            // the w2s executable every array task runs
	Env    map[string]string // exported to every array task
	Phases []Phase
}

// Units lists the work of sweeps, in two phases: "supervise" (one unit per
// task, seed and weak model: its supervisor and weak labels) and "train"
// (one per task, seed, pair and loss: the student; and one per task, seed
// and strong model: the ceiling). The units of a file task (file:PATH)
// read it as file says; every unit trains as how says.
func Units(specs []analysis.SweepSpec, file FileTask, how Training) (supervise, train []Unit) {
	for _, sp := range specs {
		base := Unit{Task: sp.Task, Scale: sp.Scale, Probe: sp.Probe, Train: how}
		if strings.HasPrefix(sp.Task, "file:") {
			base.File = file
		}
		for _, seed := range sp.Seeds {
			base.Seed = seed
			weaks, strongs := map[string]bool{}, map[string]bool{}
			for _, p := range sp.PairIndices() {
				w, s := sp.Models[p[0]], sp.Models[p[1]]
				if !weaks[w] {
					weaks[w] = true
					u := base
					u.Kind, u.Weak = Supervise, w
					supervise = append(supervise, u)
				}
				for _, loss := range sp.Losses {
					u := base
					u.Kind, u.Weak, u.Strong, u.Loss = Student, w, s, loss
					train = append(train, u)
				}
				if !strongs[s] {
					strongs[s] = true
					u := base
					u.Kind, u.Strong = Ceiling, s
					train = append(train, u)
				}
			}
		}
	}
	return supervise, train
}

// NewPlan lays out the sweeps' units (see Units) as two phases with the
// given resources, run by binary with env, writing into dir.
func NewPlan(specs []analysis.SweepSpec, file FileTask, how Training, dir, binary string, env map[string]string, supervise, train Resources) *Plan {
	su, tr := Units(specs, file, how)
	return &Plan{Dir: dir, Binary: binary, Env: env, Phases: []Phase{
		{Name: "supervise", Units: su, Resources: supervise},
		{Name: "train", Units: tr, Resources: train, After: "supervise"},
	}}
}

// quote shell-quotes an argument.
func quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == ',' || r == '=' || r == '+' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// line is a unit's arguments shell-quoted, as the units file lists them.
func (u Unit) line() string {
	args := u.Args()
	for i, a := range args {
		args[i] = quote(a)
	}
	return strings.Join(args, " ")
}

// UnitsFile is where a phase's units are listed, one per line.
func (p *Plan) UnitsFile(ph Phase) string { return filepath.Join(p.Dir, ph.Name+".units") }

// ScriptFile is a phase's sbatch script.
func (p *Plan) ScriptFile(ph Phase) string { return filepath.Join(p.Dir, ph.Name+".sbatch") }

// Script is a phase's sbatch script: array task i runs unit i.
func (p *Plan) Script(ph Phase) string {
	var b strings.Builder
	r := ph.Resources
	fmt.Fprintf(&b, "#!/bin/bash\n# w2s sweep: phase %s, %d units (one per array task). Resubmitting skips finished stages.\n", ph.Name, len(ph.Units))
	fmt.Fprintf(&b, "#SBATCH --job-name=w2s-%s\n", ph.Name)
	array := fmt.Sprintf("0-%d", len(ph.Units)-1)
	if r.MaxActive > 0 {
		array += fmt.Sprintf("%%%d", r.MaxActive)
	}
	fmt.Fprintf(&b, "#SBATCH --array=%s\n", array)
	if r.CPUs > 0 {
		fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", r.CPUs)
	}
	if r.GPUs > 0 {
		fmt.Fprintf(&b, "#SBATCH --gres=gpu:%d\n", r.GPUs)
	}
	if r.Mem != "" {
		fmt.Fprintf(&b, "#SBATCH --mem=%s\n", r.Mem)
	}
	if r.Time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", r.Time)
	}
	if r.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", r.Partition)
	}
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", filepath.Join(p.Dir, "logs", ph.Name+"-%A_%a.log"))
	b.WriteString("set -euo pipefail\n")
	keys := make([]string, 0, len(p.Env))
	for k := range p.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "export %s=%s\n", k, quote(p.Env[k]))
	}
	fmt.Fprintf(&b, "unit=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" %s)\n", quote(p.UnitsFile(ph)))
	fmt.Fprintf(&b, "echo \"w2s sweep unit $unit (array task $SLURM_ARRAY_TASK_ID on $(hostname))\"\n")
	fmt.Fprintf(&b, "eval exec %s sweep unit \"$unit\"\n", quote(p.Binary))
	return b.String()
}

// Write writes every phase's units and script into Dir.
func (p *Plan) Write() error {
	if err := os.MkdirAll(filepath.Join(p.Dir, "logs"), 0o755); err != nil {
		return err
	}
	for _, ph := range p.Phases {
		if len(ph.Units) == 0 {
			continue
		}
		var lines []string
		for _, u := range ph.Units {
			lines = append(lines, u.line())
		}
		if err := atomicfile.WriteBytes(p.UnitsFile(ph), []byte(strings.Join(lines, "\n")+"\n")); err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(p.ScriptFile(ph), []byte(p.Script(ph))); err != nil {
			return err
		}
		if err := os.Chmod(p.ScriptFile(ph), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// Submit writes the plan and submits its phases with sbatch, each after
// the one it depends on; it returns the job id of each phase.
func (p *Plan) Submit(ctx context.Context) (map[string]string, error) {
	if err := p.Write(); err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, ph := range p.Phases {
		if len(ph.Units) == 0 {
			continue
		}
		args := []string{"--parsable"}
		if ph.After != "" {
			if id, ok := ids[ph.After]; ok {
				args = append(args, "--dependency=afterok:"+id)
			}
		}
		args = append(args, p.ScriptFile(ph))
		out, err := exec.CommandContext(ctx, "sbatch", args...).CombinedOutput()
		if err != nil {
			return ids, fmt.Errorf("sbatch %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";") // "jobid[;cluster]"
		ids[ph.Name] = id
	}
	return ids, nil
}
