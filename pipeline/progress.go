package pipeline

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress reports how far a long stage has got. Methods are safe for
// concurrent use and on a nil *Progress (they do nothing), so stages can
// report unconditionally.
type Progress struct {
	stage string
	board *ProgressBoard

	mu      sync.Mutex
	total   int64
	done    int64
	unit    string
	started time.Time
}

// Start announces the amount of work, in units such as "steps".
func (p *Progress) Start(total int64, unit string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.total, p.done, p.unit, p.started = total, 0, unit, time.Now()
	p.mu.Unlock()
	p.board.update(p)
}

// Add records n more units done.
func (p *Progress) Add(n int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.done += n
	p.mu.Unlock()
	p.board.update(p)
}

// Set records the units done so far (after a resume, say).
func (p *Progress) Set(done int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.done = done
	p.mu.Unlock()
	p.board.update(p)
}

func (p *Progress) line() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := fmt.Sprintf("%s: %d/%d %s", p.stage, p.done, p.total, p.unit)
	if p.total > 0 {
		s += fmt.Sprintf(" %3.0f%%", 100*float64(p.done)/float64(p.total))
	}
	el := time.Since(p.started)
	if p.done > 0 && p.total > p.done && el > time.Second {
		eta := time.Duration(float64(el) / float64(p.done) * float64(p.total-p.done))
		s += " eta " + eta.Round(time.Second).String()
	}
	return s
}

// ProgressBoard draws the progress of running stages on a terminal: one
// line, redrawn at most ten times a second, showing the stage that moved
// last. When the output is not a terminal it writes nothing; logs carry the
// milestones there.
type ProgressBoard struct {
	w       io.Writer
	enabled bool

	mu    sync.Mutex
	last  time.Time
	width int
}

// NewProgressBoard draws on w when tty is true.
func NewProgressBoard(w io.Writer, tty bool) *ProgressBoard {
	return &ProgressBoard{w: w, enabled: tty}
}

// For returns the reporter of one stage.
func (b *ProgressBoard) For(stage string) *Progress {
	return &Progress{stage: stage, board: b, started: time.Now()}
}

func (b *ProgressBoard) update(p *Progress) {
	if b == nil || !b.enabled {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Since(b.last) < 100*time.Millisecond {
		return
	}
	b.last = time.Now()
	s := p.line()
	pad := b.width - len(s)
	b.width = len(s)
	if pad < 0 {
		pad = 0
	}
	fmt.Fprintf(b.w, "\r%s%*s", s, pad, "")
}

// Clear erases the progress line, before a log line or at the end.
func (b *ProgressBoard) Clear() {
	if b == nil || !b.enabled {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.width > 0 {
		fmt.Fprintf(b.w, "\r%*s\r", b.width, "")
		b.width = 0
	}
}
