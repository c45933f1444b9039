package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/pipeline"
)

// Stage kinds that exist only in the test binary. They make the executor's
// behaviour observable from outside: test/count leaves one line in a file
// each time it really runs, test/slow announces that it is mid-stage by
// creating a marker file and then waits to be killed, interrupted or
// released, and test/fail fails.
//
// The test binary registers them in both of its roles: running the tests,
// and acting as pipe when a test starts it with PIPE_TEST_AS_MAIN=1.
func init() {
	pipeline.Register(countStage{})
	pipeline.Register(slowStage{})
	pipeline.Register(failStage{})
}

// optionalInputs are the slots the test kinds take: none is required, so
// a spec can chain them freely.
var optionalInputs = []pipeline.Input{
	{Name: "a", Optional: true, Doc: "any stage; its out.txt is copied into ours"},
	{Name: "b", Optional: true, Doc: "any stage; its out.txt is copied into ours"},
}

type countStage struct{}

func (countStage) Kind() string { return "test/count" }
func (countStage) Version() int { return 1 }

func (countStage) Schema() pipeline.Schema {
	return pipeline.Schema{
		Doc: "test only: appends its name to a file each time it runs",
		Params: []pipeline.Param{
			{Name: "file", Type: pipeline.String, Required: true, Doc: "file to append to"},
			{Name: "sleep", Type: pipeline.Float, Default: 0.05, Doc: "seconds to take"},
		},
		Inputs: optionalInputs,
	}
}

func (countStage) Run(ctx context.Context, rc *pipeline.RunContext) error {
	// One write of a short line with O_APPEND is atomic, so two processes
	// counting into the same file never interleave within a line.
	f, err := os.OpenFile(rc.Params.String("file"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(rc.Name + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := sleep(ctx, rc.Params.Float("sleep")); err != nil {
		return err
	}
	body, err := withInputs(rc, "output of "+rc.Name+"\n")
	if err != nil {
		return err
	}
	rc.Metric("inputs", float64(len(rc.Inputs)))
	return os.WriteFile(rc.Out+"/out.txt", []byte(body), 0o644)
}

type slowStage struct{}

func (slowStage) Kind() string { return "test/slow" }
func (slowStage) Version() int { return 1 }

func (slowStage) Schema() pipeline.Schema {
	return pipeline.Schema{
		Doc: "test only: writes part of its output, creates a marker file, then waits",
		Params: []pipeline.Param{
			{Name: "marker", Type: pipeline.String, Required: true,
				Doc: "file created once the stage is under way"},
			{Name: "release", Type: pipeline.String, Default: "",
				Doc: "the stage finishes as soon as this file exists"},
			{Name: "seconds", Type: pipeline.Float, Default: 60.0,
				Doc: "the stage finishes after this long at the latest"},
		},
		Inputs: optionalInputs,
	}
}

func (slowStage) Run(ctx context.Context, rc *pipeline.RunContext) error {
	if err := os.WriteFile(rc.Out+"/part.txt", []byte(partialOutput(rc.Name)), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(rc.Params.String("marker"), nil, 0o644); err != nil {
		return err
	}
	release := rc.Params.String("release")
	deadline := time.Now().Add(time.Duration(rc.Params.Float("seconds") * float64(time.Second)))
	for time.Now().Before(deadline) {
		if release != "" {
			if _, err := os.Stat(release); err == nil {
				break
			}
		}
		if err := sleep(ctx, 0.01); err != nil {
			return err
		}
	}
	body, err := withInputs(rc, "output of "+rc.Name+"\n")
	if err != nil {
		return err
	}
	return os.WriteFile(rc.Out+"/done.txt", []byte(body), 0o644)
}

// partialOutput is what test/slow writes before it waits; a test looks for
// an object with this content to show that nothing partial was stored.
func partialOutput(stage string) string { return "partial output of " + stage + "\n" }

type failStage struct{}

func (failStage) Kind() string { return "test/fail" }
func (failStage) Version() int { return 1 }

func (failStage) Schema() pipeline.Schema {
	return pipeline.Schema{
		Doc: "test only: writes an output, then fails",
		Params: []pipeline.Param{
			{Name: "msg", Type: pipeline.String, Default: "boom", Doc: "the error"},
		},
		Inputs: optionalInputs,
	}
}

func (failStage) Run(ctx context.Context, rc *pipeline.RunContext) error {
	if err := os.WriteFile(rc.Out+"/out.txt", []byte("never committed\n"), 0o644); err != nil {
		return err
	}
	return errors.New(rc.Params.String("msg"))
}

// withInputs appends the out.txt of each connected input to head, so an
// output depends on its inputs' outputs.
func withInputs(rc *pipeline.RunContext, head string) (string, error) {
	slots := make([]string, 0, len(rc.Inputs))
	for s := range rc.Inputs {
		slots = append(slots, s)
	}
	sort.Strings(slots)
	var sb strings.Builder
	sb.WriteString(head)
	for _, s := range slots {
		in := rc.Inputs[s]
		if !in.Has("out.txt") {
			fmt.Fprintf(&sb, "%s: %s (%d files)\n", s, in.Stage, len(in.Files))
			continue
		}
		b, err := os.ReadFile(in.Path("out.txt"))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&sb, "%s: %s", s, b)
	}
	return sb.String(), nil
}

// sleep waits for seconds or until ctx is done, whichever comes first.
func sleep(ctx context.Context, seconds float64) error {
	t := time.NewTimer(time.Duration(seconds * float64(time.Second)))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
