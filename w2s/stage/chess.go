package stage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/chess"
	"github.com/w2s-lab/w2s/w2s/generate"
	"github.com/w2s-lab/w2s/w2s/internal/checksum"
	"github.com/w2s-lab/w2s/w2s/internal/paths"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/split"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
	"github.com/w2s-lab/w2s/w2s/train"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// ChessTask is the chess puzzles task (the paper's third domain): the
// input is the position after the opponent's move (chess.Text), the
// answer the first solution move, which the model generates. Its runners
// train with the next-token loss on the move and score generated moves;
// everything after the moves (PGR, agreement, intervals) is the
// classification tasks' code, on Results of the same shape.
const ChessTask = "chess_puzzles"

// ChessBudget is a scale's budget for the chess task.
type ChessBudget struct {
	NDocs int // puzzles for training, halved into A (supervisor) and B (student, ceiling)
	NTest int // test puzzles, the same for every seed
	// Epochs and LR are the finetuning length and peak rate of every model.
	Epochs float64
	LR     float64
	Batch  int
	// Seeds, when set, replace the budget's seeds for the chess task
	// (Budget.SeedsFor).
	Seeds []uint64
	// LadderDocs, when set, replaces NDocs for the ladder's own table
	// (analysis.RunChessLadder): each rung finetuned on gold half B of
	// this many puzzles, to say what the ladder can do when gold puzzles
	// are plenty, apart from what a sweep of 30 experiments per seed can
	// afford.
	LadderDocs int
}

// String says what the budget trains and tests on.
func (b ChessBudget) String() string {
	s := fmt.Sprintf("chess: %d test puzzles; %d training puzzles (halves A and B of %d); finetuning for %g epochs at lr %g, batch %d, on the move",
		b.NTest, b.NDocs, b.NDocs/2, b.Epochs, b.LR, b.Batch)
	if b.LadderDocs > 0 {
		s += fmt.Sprintf("; the ladder's table finetunes each rung on %d gold puzzles", b.LadderDocs/2)
	}
	return s
}

// chessShare is the share of games whose puzzles form the test set.
const chessShare = 0.2

// versionChess counts changes to what the chess stages produce.
const versionChess = 2 // 2: answers generated in sequences of the split's length, not the context

// ChessSplit identifies the chess data of an experiment: the puzzles'
// file by content, the sizes and the seed.
type ChessSplit struct {
	Data         string
	NDocs, NTest int
	Seed         uint64
	Extra        int `json:",omitempty"`
}

// chessSplits are the puzzles of one runner's sets.
type chessSplits struct {
	spec ChessSplit
	sets map[string][]chess.Puzzle
	pool int // puzzles in the training pool
	test int // puzzles in the test pool
}

// chessData caches the loaded puzzles by path: loading checks every
// puzzle's moves (about 20 s), once per process.
var chessData = struct {
	sync.Mutex
	byPath map[string]*chess.Data
	sums   map[string]string
}{byPath: map[string]*chess.Data{}, sums: map[string]string{}}

func loadPuzzles(roots []string) (*chess.Data, string, error) {
	if roots == nil {
		roots = paths.Data()
	}
	var path string
	for _, r := range roots {
		p := filepath.Join(r, chess.File)
		if _, err := checksum.Cached(p); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		return nil, "", fmt.Errorf("task %s: no %s under the data folders %v (set W2S_DATA)", ChessTask, chess.File, roots)
	}
	chessData.Lock()
	defer chessData.Unlock()
	if d, ok := chessData.byPath[path]; ok {
		return d, chessData.sums[path], nil
	}
	sum, err := checksum.Cached(path)
	if err != nil {
		return nil, "", err
	}
	d, err := chess.Load(path)
	if err != nil {
		return nil, "", err
	}
	chessData.byPath[path], chessData.sums[path] = d, sum
	return d, sum, nil
}

// chessSets loads the puzzles (once) and splits them: the test set is the
// first NTest puzzles of the test games in a fixed order (the same rows
// for every seed); A, B and the extra halves B1, B2, … are drawn from the
// pool in the seed's order.
func (r *Runner) chessSets(ctx context.Context) (*chessSplits, error) {
	r.mu.Lock()
	cs := r.chess
	r.mu.Unlock()
	if cs != nil {
		return cs, nil
	}
	d, sum, err := loadPuzzles(r.Data.Roots)
	if err != nil {
		return nil, err
	}
	b := r.Budget.Chess
	if b.NDocs < 4 || b.NTest < 1 {
		return nil, fmt.Errorf("task %s: scale %s has no chess budget", ChessTask, r.Budget.Scale)
	}
	pool, test := chess.Split(d.Puzzles, chessShare)
	half := b.NDocs / 2
	need := half * (2 + r.Extra)
	if len(pool) < need || len(test) < b.NTest {
		return nil, fmt.Errorf("task %s: %d pool and %d test puzzles in %s, the budget needs %d and %d", ChessTask, len(pool), len(test), d.Path, need, b.NTest)
	}
	order := rand.New(rand.NewPCG(r.Seed, 0xc4e55)).Perm(len(pool))
	pick := func(from, n int) []chess.Puzzle {
		out := make([]chess.Puzzle, n)
		for i := range n {
			out[i] = pool[order[from+i]]
		}
		return out
	}
	cs = &chessSplits{spec: ChessSplit{Data: sum, NDocs: b.NDocs, NTest: b.NTest, Seed: r.Seed, Extra: r.Extra},
		sets: map[string][]chess.Puzzle{SetA: pick(0, half), SetB: pick(half, half)}, pool: len(pool), test: len(test)}
	for k := 1; k <= r.Extra; k++ {
		cs.sets[fmt.Sprintf("B%d", k)] = pick((1+k)*half, half)
	}
	testOrder := rand.New(rand.NewPCG(0, 0x7e57)).Perm(len(test))
	for _, i := range testOrder[:b.NTest] {
		cs.sets[SetTest] = append(cs.sets[SetTest], test[i])
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.chess = cs
	r.mu.Unlock()
	return cs, nil
}

// chessSet returns the puzzles of a set.
func (cs *chessSplits) set(name string) ([]chess.Puzzle, error) {
	p, ok := cs.sets[name]
	if !ok {
		return nil, fmt.Errorf("task %s: unknown set %q (sets: A, B, test, and B1…B%d)", ChessTask, name, cs.spec.Extra)
	}
	return p, nil
}

// Moves are a model's answers to the puzzles of some sets: for each set,
// the text it generated for each puzzle, in the set's order. Gold moves
// are the puzzles' targets.
type Moves struct {
	Model     string                     // the trained model's base model
	Trained   *ChessTrained              // the model that answered
	Sets      map[string][]string        // by set, the text generated for each puzzle
	Artifacts map[string]*store.Artifact // by set, the stored stage that holds them
}

// ChessTrainSpec identifies a model finetuned on puzzle answers.
type ChessTrainSpec struct {
	Split  ChessSplit
	Model  ModelRef
	Half   string // the set trained on
	Labels string // Gold, or the key of the moves used as labels
	Epochs float64
	LR     float64
	Batch  int
	Decay  float64
	Warmup float64
	// WeakRead counts changes to how a supervisor's answers become a
	// student's labels (chessLabels); 1: a UCI-shaped answer is read as
	// UCI only (chess.Normalize). Gold trainings leave it 0, so their
	// stored stages stay valid.
	WeakRead int `json:",omitempty"`
}

// ChessTrained is a finetuned chess model.
type ChessTrained struct {
	Artifact *store.Artifact
	Spec     ChessTrainSpec
	Info     TrainInfo
}

// chessWeakRead is ChessTrainSpec.WeakRead of a training on weak moves.
const chessWeakRead = 1

// chessLabels are the answers a model is trained on: the puzzle's target,
// or the move the supervisor generated (its first word, in UCI when it is
// a legal move, as written otherwise: the student learns what it was
// told).
func chessLabels(puzzles []chess.Puzzle, moves []string) ([]string, error) {
	out := make([]string, len(puzzles))
	for i, p := range puzzles {
		if moves == nil {
			out[i] = p.Target
			continue
		}
		if len(moves) != len(puzzles) {
			return nil, fmt.Errorf("stage: %d weak moves for %d puzzles", len(moves), len(puzzles))
		}
		if m, ok, err := chess.Normalize(p.FEN, moves[i]); err == nil && ok {
			out[i] = m
		} else if f := strings.Fields(moves[i]); len(f) > 0 {
			out[i] = f[0]
		}
	}
	return out, nil
}

// ChessTrain finetunes base model modelName on a set of puzzles with the
// next-token loss on the answer (the move, then end-of-text): the gold
// targets (weak nil) or the moves a supervisor generated.
func (r *Runner) ChessTrain(ctx context.Context, modelName, set string, weak *Moves) (*ChessTrained, error) {
	cs, err := r.chessSets(ctx)
	if err != nil {
		return nil, err
	}
	puzzles, err := cs.set(set)
	if err != nil {
		return nil, err
	}
	ref, dir, err := r.modelRef(ctx, modelName)
	if err != nil {
		return nil, err
	}
	b := r.Budget
	spec := ChessTrainSpec{Split: cs.spec, Model: ref, Half: set, Labels: Gold, Epochs: b.Chess.Epochs, LR: b.Chess.LR,
		Batch: b.Chess.Batch, Decay: b.WeightDecay, Warmup: b.Warmup}
	var weakMoves []string
	if weak != nil {
		a, ok := weak.Artifacts[set]
		if weakMoves = weak.Sets[set]; !ok || weakMoves == nil {
			return nil, fmt.Errorf("stage: the weak moves of %s hold no set %s", weak.Model, set)
		}
		spec.Labels, spec.WeakRead = a.Key, chessWeakRead
	}
	labels, err := chessLabels(puzzles, weakMoves)
	if err != nil {
		return nil, err
	}
	key, _, err := store.Key("chesstrain", versionChess, spec)
	if err != nil {
		return nil, err
	}
	a, err := r.do(ctx, "chesstrain", versionChess, spec, func(out string) error {
		return r.chessTrain(ctx, spec, modelName, dir, puzzles, labels, r.Store.WorkDir("chesstrain", key), out)
	})
	if err != nil {
		return nil, err
	}
	t := &ChessTrained{Artifact: a, Spec: spec}
	if err := a.ReadJSON("train.json", &t.Info); err != nil {
		return nil, err
	}
	return t, nil
}

// chessSequences are the token rows of puzzles answered by labels: the
// prompt, the answer and end-of-text, with the positions whose next token
// belongs to the answer marked for the loss; prompts keep their end when
// a row is longer than length.
func chessSequences(tok tokenizer.Tokenizer, puzzles []chess.Puzzle, labels []string, length int) (ids, targets, mask, tmask [][]int32, truncated int) {
	for i, p := range puzzles {
		prompt := tok.Encode(p.Text())
		answer := append(tok.Encode(chess.Answer(labels[i])), tok.EOS())
		if labels[i] == "" {
			answer = []int32{tok.EOS()}
		}
		if keep := length + 1 - len(answer); len(prompt) > keep {
			prompt = prompt[len(prompt)-keep:]
			truncated++
		}
		seq := append(append([]int32(nil), prompt...), answer...)
		n := len(seq) - 1
		row, tg, m, tm := make([]int32, length), make([]int32, length), make([]int32, length), make([]int32, length)
		copy(row, seq[:n])
		copy(tg, seq[1:])
		for t := range n {
			m[t] = 1
			if t >= len(prompt)-1 {
				tm[t] = 1
			}
		}
		ids, targets, mask, tmask = append(ids, row), append(targets, tg), append(mask, m), append(tmask, tm)
	}
	return ids, targets, mask, tmask, truncated
}

// chessLength is the padded length of the runner's sequences: the longest
// prompt of any set plus the longest answer (6 tokens and end-of-text),
// rounded up to 8, at most the context.
func chessLength(tok tokenizer.Tokenizer, cs *chessSplits, context int) int {
	longest := 0
	for _, ps := range cs.sets {
		for _, p := range ps {
			longest = max(longest, len(tok.Encode(p.Text())))
		}
	}
	return min(context, (longest+7+7)/8*8)
}

// chessTrain fills the artifact of a finetune on puzzle answers.
func (r *Runner) chessTrain(ctx context.Context, spec ChessTrainSpec, modelName, dir string, puzzles []chess.Puzzle, labels []string, work, out string) error {
	start := time.Now()
	m, tok, err := zoo.LoadDir(dir, checkpoint.LoadOptions{Head: "lm"})
	if err != nil {
		return err
	}
	cs, err := r.chessSets(ctx)
	if err != nil {
		return err
	}
	length := chessLength(tok, cs, m.Config.NPositions)
	ids, targets, mask, tmask, truncated := chessSequences(tok, puzzles, labels, length)
	B := spec.Batch
	perEpoch := max(1, len(ids)/B)
	steps := max(1, int(spec.Epochs*float64(perEpoch)))
	batches := func(step, _ int) ([]*tensors.Tensor, error) {
		epoch, k := step/perEpoch, step%perEpoch
		order := rand.New(rand.NewPCG(r.Seed, uint64(epoch))).Perm(len(ids))
		flat := make([][]int32, 4)
		for i := range flat {
			flat[i] = make([]int32, 0, B*length)
		}
		for b := range B {
			j := order[(k*B+b)%len(order)]
			flat[0], flat[1] = append(flat[0], ids[j]...), append(flat[1], mask[j]...)
			flat[2], flat[3] = append(flat[2], targets[j]...), append(flat[3], tmask[j]...)
		}
		out := make([]*tensors.Tensor, 4)
		for i, f := range flat {
			out[i] = tensors.FromFlatDataAndDimensions(f, B, length)
		}
		return out, nil
	}
	cfg := m.Config
	tr := &train.Trainer{Backend: r.Backend, Ctx: m.Ctx,
		Loss: func(ctx *mlctx.Context, b []*graph.Node, _ *graph.Node) *graph.Node {
			return model.LMLoss(ctx, cfg, b[0], b[1], b[2], b[3], true)
		},
		Progress: r.progress(fmt.Sprintf("%s on %s %s (%s labels)", modelName, ChessTask, spec.Half, labelsName(spec.Labels))),
		Config: train.Config{Steps: steps, LR: spec.LR, Warmup: int(spec.Warmup * float64(steps)), WeightDecay: spec.Decay, ClipNorm: 1,
			Dir: filepath.Join(work, "state"), Seed: r.Seed}}
	res, err := tr.Run(ctx, batches)
	if err != nil {
		return err
	}
	total, nonEmb := cfg.NumParams()
	info := TrainInfo{Steps: steps, Examples: len(ids), Truncated: truncated, Seconds: time.Since(start).Seconds(),
		ResumedFrom: res.ResumedFrom, Params: total, NonEmbeddingParams: nonEmb}
	if n := len(res.Curve); n > 0 {
		info.FinalLoss = res.Curve[n-1].Loss
	}
	if err := saveModel(out, m, tok, nil); err != nil {
		return err
	}
	r.logf("trained %s on %s %s with %s moves: %d steps, final loss %.3f (%s)%s", modelName, ChessTask, spec.Half, labelsName(spec.Labels),
		steps, info.FinalLoss, time.Since(start).Round(time.Second), resumedNote(res.ResumedFrom))
	return store.WriteJSON(out, "train.json", info)
}

func labelsName(labels string) string {
	if labels == Gold {
		return "gold"
	}
	return "weak"
}

// ChessMovesSpec identifies the moves a finetuned model generates.
type ChessMovesSpec struct {
	Trained string // the trained model's artifact key
	Split   ChessSplit
	Set     string
	Tokens  int // generated at most
}

// maxMoveTokens bounds a generated answer: a move is at most 5
// characters after its space ("e7e8q"), 4 or 5 tokens.
const maxMoveTokens = 6

// ChessAnswer has a finetuned model answer the puzzles of the sets by
// greedy decoding (each set one stored stage).
func (r *Runner) ChessAnswer(ctx context.Context, t *ChessTrained, sets ...string) (*Moves, error) {
	return r.chessMoves(ctx, t, t.Artifact.Key, t.Artifact.Dir, sets)
}

// ChessZeroShot has base model modelName answer the puzzles of the sets
// without finetuning: a chess ladder model read game text in the puzzles'
// own format, so it writes a move after "move" from pretraining alone.
func (r *Runner) ChessZeroShot(ctx context.Context, modelName string, sets ...string) (*Moves, error) {
	ref, dir, err := r.modelRef(ctx, modelName)
	if err != nil {
		return nil, err
	}
	cfg, err := checkpoint.ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	total, nonEmb := cfg.NumParams()
	t := &ChessTrained{Spec: ChessTrainSpec{Model: ref}, Info: TrainInfo{Params: total, NonEmbeddingParams: nonEmb}}
	return r.chessMoves(ctx, t, "zero-shot "+ref.SHA256, dir, sets)
}

// chessMoves has the model in dir (t, stored under key) answer the
// puzzles of the sets.
func (r *Runner) chessMoves(ctx context.Context, t *ChessTrained, key, dir string, sets []string) (*Moves, error) {
	cs, err := r.chessSets(ctx)
	if err != nil {
		return nil, err
	}
	mv := &Moves{Model: t.Spec.Model.Name, Trained: t, Sets: map[string][]string{}, Artifacts: map[string]*store.Artifact{}}
	for _, set := range sets {
		puzzles, err := cs.set(set)
		if err != nil {
			return nil, err
		}
		spec := ChessMovesSpec{Trained: key, Split: cs.spec, Set: set, Tokens: maxMoveTokens}
		a, err := r.do(ctx, "chessmoves", versionChess, spec, func(out string) error {
			return r.chessAnswer(ctx, t.Spec.Model.Name, dir, cs, puzzles, spec, out)
		})
		if err != nil {
			return nil, err
		}
		var moves []string
		if err := a.ReadJSON("moves.json", &moves); err != nil {
			return nil, err
		}
		if len(moves) != len(puzzles) {
			return nil, fmt.Errorf("stage: %s holds %d moves for %d puzzles", a.Dir, len(moves), len(puzzles))
		}
		mv.Sets[set], mv.Artifacts[set] = moves, a
	}
	return mv, nil
}

// chessAnswer generates the moves of one set.
func (r *Runner) chessAnswer(ctx context.Context, modelName, dir string, cs *chessSplits, puzzles []chess.Puzzle, spec ChessMovesSpec, out string) error {
	start := time.Now()
	m, tok, err := zoo.LoadDir(dir, checkpoint.LoadOptions{Head: "lm"})
	if err != nil {
		return err
	}
	prompts := make([][]int32, len(puzzles))
	for i, p := range puzzles {
		prompts[i] = tok.Encode(p.Text())
	}
	eos := tok.EOS()
	// Padded to the longest prompt and answer of the split, not the
	// whole context: the same moves (attention is causal), in a graph
	// about half as long.
	length := chessLength(tok, cs, m.Config.NPositions)
	res, err := generate.Greedy(ctx, r.Backend, m, prompts, generate.Options{MaxTokens: spec.Tokens, Batch: 64, Length: length,
		Stop: func(g []int32) bool {
			if g[len(g)-1] == eos {
				return true
			}
			text := tok.Decode(g)
			return strings.ContainsRune(text, '\n') || len(strings.Fields(text)) > 1
		}})
	if err != nil {
		return err
	}
	moves := make([]string, len(puzzles))
	legal := 0
	for i, g := range res.Tokens {
		if len(g) > 0 && g[len(g)-1] == eos {
			g = g[:len(g)-1]
		}
		moves[i] = tok.Decode(g)
		if chess.Legal(puzzles[i].FEN, moves[i]) {
			legal++
		}
	}
	r.logf("%s answered %d %s puzzles of %s: %d legal moves (%s)", modelName, len(puzzles), spec.Set, ChessTask, legal, time.Since(start).Round(time.Second))
	return store.WriteJSON(out, "moves.json", moves)
}

// ChessSupervise is the supervisor's stages: finetuned on gold A, its
// moves on B (the weak labels), the test set and A (its training
// accuracy).
func (r *Runner) ChessSupervise(ctx context.Context, weak string) (*Moves, error) {
	sup, err := r.ChessTrain(ctx, weak, SetA, nil)
	if err != nil {
		return nil, err
	}
	return r.ChessAnswer(ctx, sup, SetB, SetTest, SetA)
}

// RunChess is Run for the chess task: the supervisor on A, its moves on
// B, the student trained on them, the ceiling on gold B, all three
// scored on the test set by their first move.
func (r *Runner) RunChess(ctx context.Context, weak, strong string, loss losses.Spec) (*Result, error) {
	if err := ChessLoss(loss); err != nil {
		return nil, err
	}
	labels, err := r.ChessSupervise(ctx, weak)
	if err != nil {
		return nil, err
	}
	student, err := r.ChessTrain(ctx, strong, SetB, labels)
	if err != nil {
		return nil, err
	}
	ceiling, err := r.ChessTrain(ctx, strong, SetB, nil)
	if err != nil {
		return nil, err
	}
	return r.ChessCompare(ctx, labels, student, ceiling)
}

// ChessScores are what scoring generated moves adds to Scores: how often
// each model's move is legal in the position, and its accuracy by rating
// band (chess.Bands).
type ChessScores struct {
	Legal        [3]metrics.Float            `json:"legal"` // weak, student, ceiling on the test set
	BandAccuracy map[string][3]metrics.Float `json:"band_accuracy"`
	BandRows     map[string]int              `json:"band_rows"`
}

// moveIDs numbers the answers of a set for agreement: the same legal move
// (in any notation) the same number across models; an answer that is no
// legal move by its first word, so a student that copies its supervisor's
// illegal answer agrees with it. No illegal answer matches a target.
type moveIDs map[string]int

func (ids moveIDs) of(p chess.Puzzle, generated string) int {
	if m, ok, err := chess.Normalize(p.FEN, generated); err == nil && ok {
		return ids.id(p.ID + " " + m)
	}
	word := ""
	if f := strings.Fields(generated); len(f) > 0 {
		word = f[0]
	}
	return ids.id(p.ID + " not a move: " + word)
}

func (ids moveIDs) id(key string) int {
	if id, ok := ids[key]; ok {
		return id
	}
	ids[key] = len(ids)
	return ids[key]
}

// chessScore scores generated moves of puzzles: their ids, hits and
// legal rate.
func chessScore(ids moveIDs, puzzles []chess.Puzzle, moves []string) (pred []int, hits metrics.Hits, legal float64) {
	pred, hits = make([]int, len(puzzles)), make(metrics.Hits, len(puzzles))
	n := 0
	for i, p := range puzzles {
		pred[i] = ids.of(p, moves[i])
		ok, isLegal := p.Score(moves[i])
		hits[i] = ok
		if isLegal {
			n++
		}
	}
	return pred, hits, float64(n) / float64(max(1, len(puzzles)))
}

func accuracyOf(h metrics.Hits) metrics.Float {
	n := 0
	for _, x := range h {
		if x {
			n++
		}
	}
	return metrics.Float(float64(n) / float64(max(1, len(h))))
}

// ChessCompare scores a student and a ceiling against the supervisor whose
// moves the student learnt from: a Result as for the other tasks (AUROC
// and calibration undefined), with ChessScores.
func (r *Runner) ChessCompare(ctx context.Context, weak *Moves, student, ceiling *ChessTrained) (*Result, error) {
	cs, err := r.chessSets(ctx)
	if err != nil {
		return nil, err
	}
	sm, err := r.ChessAnswer(ctx, student, SetB, SetTest)
	if err != nil {
		return nil, err
	}
	cm, err := r.ChessAnswer(ctx, ceiling, SetB, SetTest)
	if err != nil {
		return nil, err
	}
	test, b := cs.sets[SetTest], cs.sets[SetB]
	if weak.Sets[SetTest] == nil || weak.Sets[SetB] == nil {
		return nil, fmt.Errorf("stage: the supervisor's moves lack the test set or half B")
	}
	ids := moveIDs{}
	gold := make([]int, len(test))
	for i, p := range test {
		gold[i] = ids.id(p.ID + " " + p.Target)
	}
	wp, wh, wl := chessScore(ids, test, weak.Sets[SetTest])
	sp, sh, sl := chessScore(ids, test, sm.Sets[SetTest])
	_, ch, cl := chessScore(ids, test, cm.Sets[SetTest])
	score := func(h metrics.Hits) Scores {
		return Scores{Accuracy: accuracyOf(h), AUROC: metrics.NaN(), ECE: metrics.NaN()}
	}
	res := &Result{Task: ChessTask, Scale: r.Budget.Scale, Seed: r.Seed, Loss: "xent",
		WeakModel: weak.Model, StrongModel: student.Spec.Model.Name,
		WeakParams: weak.Trained.Info.NonEmbeddingParams, StrongParams: student.Info.NonEmbeddingParams,
		Weak: score(wh), Student: score(sh), Ceiling: score(ch),
		Counts:    split.Counts{Pool: cs.pool, PoolTest: cs.test, A: len(cs.sets[SetA]), B: len(b), Test: len(test)},
		Truncated: student.Info.Truncated, CurveTest: len(test),
		WeakCurveAcc: metrics.NaN(), CeilingCurveAcc: metrics.NaN(), PGRAUROC: metrics.PGR{Value: metrics.NaN(), Gap: metrics.NaN()},
	}
	res.Hits = metrics.SeedHits{Weak: wh, Student: sh, Ceiling: ch, Agree: metrics.HitsOf(sp, wp)}
	res.PGR = metrics.ComputePGR(float64(res.Weak.Accuracy), float64(res.Student.Accuracy), float64(res.Ceiling.Accuracy))
	res.Agreement = metrics.ComputeAgreement(sp, wp, gold)
	// Training rows: the supervisor on A, the student and ceiling on B,
	// and how often the student repeats the move it was taught.
	_, wa, _ := chessScore(ids, cs.sets[SetA], weak.Sets[SetA])
	_, sb, _ := chessScore(ids, b, sm.Sets[SetB])
	_, cb, _ := chessScore(ids, b, cm.Sets[SetB])
	_, wb, _ := chessScore(ids, b, weak.Sets[SetB])
	taught, err := chessLabels(b, weak.Sets[SetB])
	if err != nil {
		return nil, err
	}
	fits := make(metrics.Hits, len(b))
	for i, p := range b {
		m, ok, err := chess.Normalize(p.FEN, sm.Sets[SetB][i])
		fits[i] = err == nil && ok && m == taught[i]
	}
	res.TrainAcc = TrainAccuracies{Weak: accuracyOf(wa), Student: accuracyOf(sb), Ceiling: accuracyOf(cb), StudentFitsWeak: accuracyOf(fits)}
	res.WeakLabelAcc = accuracyOf(wb)
	res.Chess = &ChessScores{Legal: [3]metrics.Float{metrics.Float(wl), metrics.Float(sl), metrics.Float(cl)},
		BandAccuracy: map[string][3]metrics.Float{}, BandRows: map[string]int{}}
	for _, band := range chess.Bands {
		var rows []int
		for i, p := range test {
			if chess.Band(p.Rating) == band {
				rows = append(rows, i)
			}
		}
		if len(rows) == 0 {
			continue
		}
		var acc [3]metrics.Float
		for k, h := range []metrics.Hits{wh, sh, ch} {
			sub := make(metrics.Hits, len(rows))
			for j, i := range rows {
				sub[j] = h[i]
			}
			acc[k] = accuracyOf(sub)
		}
		res.Chess.BandAccuracy[band], res.Chess.BandRows[band] = acc, len(rows)
	}
	res.Backend = madeBy(weak.Artifacts[SetB], weak.Artifacts[SetTest], student.Artifact, ceiling.Artifact, sm.Artifacts[SetTest], cm.Artifacts[SetTest], weak.Trained.Artifact)
	return res, nil
}

// IsChess tells whether a task is the chess puzzles task.
func IsChess(task string) bool { return task == ChessTask }

// ChessLadder is the ladder the chess task's models come from at a scale:
// zoo's chess ladder of that scale (zoo.ChessScale).
func ChessLadder(scale string) []string {
	s, err := zoo.GetScale(zoo.ChessScale(scale))
	if err != nil {
		return nil
	}
	out := make([]string, len(s.Sizes))
	for i, z := range s.Sizes {
		out[i] = zoo.Name(s.Name, z.Name)
	}
	return out
}

// ChessHits says which puzzles of a set the moves got right (the first
// move exactly).
func (r *Runner) ChessHits(ctx context.Context, mv *Moves, set string) (metrics.Hits, error) {
	cs, err := r.chessSets(ctx)
	if err != nil {
		return nil, err
	}
	puzzles, err := cs.set(set)
	if err != nil {
		return nil, err
	}
	moves, ok := mv.Sets[set]
	if !ok || len(moves) != len(puzzles) {
		return nil, fmt.Errorf("stage: the moves of %s hold no answers to set %s", mv.Model, set)
	}
	_, h, _ := chessScore(moveIDs{}, puzzles, moves)
	return h, nil
}

// ChessLegal is the share of a set's puzzles whose answer is a legal
// move in the position.
func (r *Runner) ChessLegal(ctx context.Context, mv *Moves, set string) (metrics.Float, error) {
	cs, err := r.chessSets(ctx)
	if err != nil {
		return 0, err
	}
	puzzles, err := cs.set(set)
	if err != nil {
		return 0, err
	}
	moves, ok := mv.Sets[set]
	if !ok || len(moves) != len(puzzles) {
		return 0, fmt.Errorf("stage: the moves of %s hold no answers to set %s", mv.Model, set)
	}
	_, _, legal := chessScore(moveIDs{}, puzzles, moves)
	return metrics.Float(legal), nil
}

// ChessPuzzles are the puzzles of a set, in the set's order (the order of
// every Moves of it).
func (r *Runner) ChessPuzzles(ctx context.Context, set string) ([]chess.Puzzle, error) {
	cs, err := r.chessSets(ctx)
	if err != nil {
		return nil, err
	}
	return cs.set(set)
}

// ChessLoss refuses a loss other than the next-token loss on the move
// (xent, or none named): the confidence loss and its kin are for classes.
func ChessLoss(loss losses.Spec) error {
	if l := string(loss); l != "" && l != "xent" {
		return fmt.Errorf("task %s: loss %s: the chess task trains with the next-token loss on the move (xent) only", ChessTask, loss)
	}
	return nil
}

// ChessTrainAndTest finetunes modelName on a set (gold moves, or the
// supervisor's when weak is set), has it answer the test set and the
// other sets named, and says which test puzzles it solved.
func (r *Runner) ChessTrainAndTest(ctx context.Context, modelName, set string, weak *Moves, sets ...string) (*Moves, metrics.Hits, error) {
	t, err := r.ChessTrain(ctx, modelName, set, weak)
	if err != nil {
		return nil, nil, err
	}
	mv, err := r.ChessAnswer(ctx, t, append([]string{SetTest}, sets...)...)
	if err != nil {
		return nil, nil, err
	}
	h, err := r.ChessHits(ctx, mv, SetTest)
	return mv, h, err
}
