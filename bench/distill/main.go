// Command distill is the Go side of bench/distill/run.sh: core/distill's
// loss kernels timed on the shapes torch_bench.py times, printing the same
// key=value line, and a check that both compute the same values on one
// shared input.
//
//	distill sparse T                 RCSD's released loss (forward, τ 1.2, teacher top-20
//	                                 renormalised, per-entry clip 0.05, token mean) over T
//	                                 positions of pre-gathered top-20 log-probs (Kernel.AlignedToken)
//	distill dense DIV T V [-grad]    forward | reverse | jsd (β 0.5) over the full vocabulary
//	                                 (Kernel.Token), token mean; -grad also writes ∂loss/∂z
//	distill check FILE               recompute torch_bench.py check's values; exit 1 on a mismatch
//
// The dense path streams positions: one row pair at a time through the
// kernel's O(V) scratch, the gradient written into one reused row (a
// trainer would consume it there). -pool P holds only P distinct rows and
// cycles through them, so the process's memory does not grow with T.
//
// Each benchmark warms up, sizes an inner loop to about 0.2 s, and keeps
// the best wall time and the least CPU time (user+sys, getrusage) of -reps
// repetitions; tokens/s and ns per vocabulary entry come from the best wall
// time. peak_rss_mib is the process's ru_maxrss, rss_data_mib its RSS
// once the data are made.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/rcsd-dev/rcsd/core/distill"

	"github.com/rcsd-dev/rcsd/core/distill/distilltest"

	"github.com/rcsd-dev/rcsd/bench/internal/rusage"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("distill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	grad := fs.Bool("grad", false, "dense: compute the gradient too")
	reps := fs.Int("reps", 7, "timed repetitions; the best is kept")
	pool := fs.Int("pool", 0, "dense: distinct rows held (0: T)")
	k := fs.Int("k", 20, "sparse: support size")
	usage := func() int {
		fmt.Fprintln(stderr, "usage: distill [-reps N] sparse T | dense [-grad] [-pool P] forward|reverse|jsd T V | check FILE")
		return 2
	}
	if len(args) == 0 {
		return usage()
	}
	cmd := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return usage()
	}
	rest := fs.Args()
	// Flags may also follow the positional arguments.
	for i := 0; i < len(rest); i++ {
		if strings.HasPrefix(rest[i], "-") {
			if err := fs.Parse(rest[i:]); err != nil {
				return usage()
			}
			rest = append(rest[:i:i], fs.Args()...)
			i--
		}
	}
	var err error
	switch {
	case cmd == "sparse" && len(rest) == 1:
		err = runSparse(stdout, atoi(rest[0]), *k, *reps)
	case cmd == "dense" && len(rest) == 3:
		err = runDense(stdout, rest[0], atoi(rest[1]), atoi(rest[2]), *pool, *grad, *reps)
	case cmd == "check" && len(rest) == 1:
		var ok bool
		ok, err = runCheck(stdout, rest[0])
		if err == nil && !ok {
			return 1
		}
	default:
		return usage()
	}
	if err != nil {
		fmt.Fprintln(stderr, "distill:", err)
		return 1
	}
	return 0
}

func atoi(s string) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil || n <= 0 {
		fmt.Fprintf(os.Stderr, "distill: bad size %q\n", s)
		os.Exit(2)
	}
	return n
}

// ----------------------------------------------------------------- data

// -------------------------------------------------------------- timing

func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, res int64
	fmt.Sscan(string(b), &size, &res)
	return float64(res*int64(os.Getpagesize())) / (1 << 20)
}

// bench warms fn up, sizes an inner loop to about 0.2 s, and returns the
// best wall time and the least CPU time per call over reps repetitions.
func bench(fn func() error, reps int) (wall, cpu time.Duration, inner int, err error) {
	for range 2 {
		if err = fn(); err != nil {
			return
		}
	}
	t0 := time.Now()
	if err = fn(); err != nil {
		return
	}
	one := max(time.Since(t0), time.Microsecond)
	inner = max(1, int(math.Ceil(float64(200*time.Millisecond)/float64(one))))
	wall, cpu = time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	for range reps {
		c0, w0 := rusage.CPUTime(), time.Now()
		for range inner {
			if err = fn(); err != nil {
				return
			}
		}
		w, c := time.Since(w0), rusage.CPUTime()-c0
		wall = min(wall, w/time.Duration(inner))
		cpu = min(cpu, c/time.Duration(inner))
	}
	return
}

func emit(w io.Writer, mode, div string, grad bool, t, v int, wall, cpu time.Duration, loss float64, inner int, rss0, input float64) {
	g := 0
	if grad {
		g = 1
	}
	s := wall.Seconds()
	fmt.Fprintf(w, "side=go mode=%s div=%s dtype=float64 grad=%d T=%d V=%d wall_s=%.6g cpu_s=%.6g tokens_per_s=%.6g ns_per_entry=%.4g loss=%.17g inner=%d rss_data_mib=%.1f peak_rss_mib=%.1f input_mib=%.1f\n",
		mode, div, g, t, v, s, cpu.Seconds(), float64(t)/s, s*1e9/(float64(t)*float64(v)), loss, inner, rss0, rusage.PeakRSSMiB(), input)
}

func runSparse(w io.Writer, t, k, reps int) error {
	kern, err := distill.NewKernel(distill.RCSDReleased())
	if err != nil {
		return err
	}
	student, teacher := distilltest.Sparse(t, k)
	rss0 := rssMiB()
	var loss float64
	fn := func() error {
		sum := 0.0
		for i := range t {
			r, err := kern.AlignedToken(student[i*k:(i+1)*k], teacher[i*k:(i+1)*k])
			if err != nil {
				return err
			}
			sum += r.Divergence
		}
		loss = sum / float64(t)
		return nil
	}
	wall, cpu, inner, err := bench(fn, reps)
	if err != nil {
		return err
	}
	emit(w, "sparse", "forward", false, t, k, wall, cpu, loss, inner, rss0, float64(16*t*k)/(1<<20))
	return nil
}

func denseOptions(div string) (distill.Options, error) {
	switch div {
	case "forward":
		return distill.Options{Divergence: distill.Forward}, nil
	case "reverse":
		return distill.Options{Divergence: distill.Reverse}, nil
	case "jsd":
		return distill.Options{Divergence: distill.JSD, Beta: 0.5}, nil
	}
	return distill.Options{}, fmt.Errorf("unknown divergence %q", div)
}

func runDense(w io.Writer, div string, t, v, pool int, grad bool, reps int) error {
	o, err := denseOptions(div)
	if err != nil {
		return err
	}
	kern, err := distill.NewKernel(o)
	if err != nil {
		return err
	}
	if pool <= 0 || pool > t {
		pool = t
	}
	student, teacher := distilltest.Dense(pool, v)
	var g []float64
	if grad {
		g = make([]float64, v)
	}
	rss0 := rssMiB()
	wt := 1 / float64(t)
	var loss float64
	fn := func() error {
		sum := 0.0
		for i := range t {
			r, err := kern.Token(student[i%pool], teacher[i%pool], -1, g)
			if err != nil {
				return err
			}
			sum += r.Divergence
			if g != nil {
				for j := range g {
					g[j] *= wt
				}
			}
		}
		loss = sum * wt
		return nil
	}
	wall, cpu, inner, err := bench(fn, reps)
	if err != nil {
		return err
	}
	emit(w, "dense", div, grad, t, v, wall, cpu, loss, inner, rss0, float64(16*pool*v)/(1<<20))
	return nil
}

// --------------------------------------------------------------- check

type checkCase struct {
	Name        string      `json:"name"`
	Mode        string      `json:"mode"`
	Divergence  string      `json:"divergence"`
	Beta        float64     `json:"beta"`
	Temperature float64     `json:"temperature"`
	ClipEntry   float64     `json:"clip_entry"`
	Student     [][]float64 `json:"student"`
	Teacher     [][]float64 `json:"teacher"`
	Loss        float64     `json:"loss"`
	Grad        [][]float64 `json:"grad"`
}

// relErr is |a − b| / max(|a|, |b|) (0 when both are 0).
func relErr(a, b float64) float64 {
	d := math.Abs(a - b)
	if d == 0 {
		return 0
	}
	return d / math.Max(math.Abs(a), math.Abs(b))
}

// runCheck recomputes each case of torch_bench.py's check file through
// the same entry points the benchmarks time: the loss to 1e-9 relative,
// and for the dense cases each gradient entry to 1e-9 relative to the
// row's largest |entry| (entries near 0 have no meaningful relative error).
func runCheck(w io.Writer, path string) (bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	var fx struct {
		Provenance string      `json:"provenance"`
		Cases      []checkCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		return false, err
	}
	if len(fx.Cases) == 0 {
		return false, fmt.Errorf("%s: no cases", path)
	}
	const tol = 1e-9
	ok := true
	for _, c := range fx.Cases {
		o := distill.Options{Divergence: distill.Divergence(c.Divergence), Temperature: c.Temperature, ClipEntry: c.ClipEntry}
		if c.Divergence == "jsd" {
			o.Beta = c.Beta
		}
		if c.Mode == "sparse" {
			o.Support, o.TopK = distill.TeacherTopK, len(c.Student[0])
		}
		kern, err := distill.NewKernel(o)
		if err != nil {
			return false, fmt.Errorf("%s: %w", c.Name, err)
		}
		n := len(c.Student)
		sum, gerr := 0.0, 0.0
		for i := range n {
			var r distill.TokenResult
			if c.Mode == "sparse" {
				r, err = kern.AlignedToken(c.Student[i], c.Teacher[i])
			} else {
				g := make([]float64, len(c.Student[i]))
				r, err = kern.Token(c.Student[i], c.Teacher[i], -1, g)
				scale := 0.0
				for _, v := range c.Grad[i] {
					scale = math.Max(scale, math.Abs(v))
				}
				for j, v := range g {
					gerr = math.Max(gerr, math.Abs(v/float64(n)-c.Grad[i][j])/scale)
				}
			}
			if err != nil {
				return false, fmt.Errorf("%s: position %d: %w", c.Name, i, err)
			}
			sum += r.Divergence
		}
		loss := sum / float64(n)
		e := relErr(loss, c.Loss)
		verdict := "ok"
		if e > tol || gerr > tol {
			verdict = "MISMATCH"
			ok = false
		}
		fmt.Fprintf(w, "check %-22s go %.17g torch %.17g rel %.2g", c.Name, loss, c.Loss, e)
		if c.Mode == "dense" {
			fmt.Fprintf(w, " grad max rel %.2g", gerr)
		}
		fmt.Fprintf(w, " %s\n", verdict)
	}
	return ok, nil
}
