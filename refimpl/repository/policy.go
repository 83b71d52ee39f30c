package repository

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PolicyMode says when the repository writes a snapshot.
type PolicyMode int

// Snapshot policy modes.
const (
	// None never reads or writes snapshots: every load is a full replay.
	None PolicyMode = iota
	// EveryN writes a snapshot whenever a commit makes the stream cross a
	// multiple of Every events.
	EveryN
	// LoadTriggered writes a snapshot after a commit whose load replayed more
	// than MaxReplayed events or took longer than MaxLoadTime.
	LoadTriggered
)

// String names the mode as ParseSnapshotPolicy spells it.
func (m PolicyMode) String() string {
	switch m {
	case None:
		return "none"
	case EveryN:
		return "every"
	case LoadTriggered:
		return "load"
	}
	return "PolicyMode(" + strconv.Itoa(int(m)) + ")"
}

// ErrBadPolicy is wrapped by every snapshot policy parse or validation error.
var ErrBadPolicy = errors.New("repository: bad snapshot policy")

// SnapshotPolicy decides when a snapshot is written after a commit.
type SnapshotPolicy struct {
	Mode PolicyMode
	// Every is the interval of EveryN, in events.
	Every int
	// MaxReplayed triggers a snapshot (LoadTriggered) when a load replayed more
	// events than this; 0 disables the condition.
	MaxReplayed int
	// MaxLoadTime triggers a snapshot (LoadTriggered) when a load took longer
	// than this; 0 disables the condition.
	MaxLoadTime time.Duration
}

// ParseSnapshotPolicy reads the CLI/YAML spelling of a policy: "none",
// "every:N", or "load:" followed by one or both of "events>N" and "time>D"
// separated by a comma (for example "load:events>200,time>5ms").
func ParseSnapshotPolicy(s string) (SnapshotPolicy, error) {
	in := strings.TrimSpace(s)
	mode, arg, hasArg := strings.Cut(in, ":")
	bad := func(format string, a ...any) (SnapshotPolicy, error) {
		return SnapshotPolicy{}, fmt.Errorf("%w %q: %s", ErrBadPolicy, s, fmt.Sprintf(format, a...))
	}
	switch strings.ToLower(mode) {
	case "":
		return bad("empty (want none, every:N or load:events>N,time>D)")
	case "none":
		if hasArg {
			return bad("none takes no argument")
		}
		return SnapshotPolicy{Mode: None}, nil
	case "every":
		n, err := strconv.Atoi(strings.TrimSpace(arg))
		if err != nil || n < 1 {
			return bad("interval %q is not a whole number of events >= 1", arg)
		}
		return SnapshotPolicy{Mode: EveryN, Every: n}, nil
	case "load":
		p := SnapshotPolicy{Mode: LoadTriggered}
		if strings.TrimSpace(arg) == "" {
			return bad("load needs events>N and/or time>D")
		}
		for _, cond := range strings.Split(arg, ",") {
			key, val, ok := strings.Cut(strings.TrimSpace(cond), ">")
			key, val = strings.TrimSpace(key), strings.TrimSpace(val)
			if !ok {
				return bad("condition %q is not events>N or time>D", cond)
			}
			switch key {
			case "events":
				n, err := strconv.Atoi(val)
				if err != nil || n < 1 {
					return bad("events threshold %q is not a whole number >= 1", val)
				}
				p.MaxReplayed = n
			case "time":
				d, err := time.ParseDuration(val)
				if err != nil || d <= 0 {
					return bad("time threshold %q is not a positive duration like 5ms", val)
				}
				p.MaxLoadTime = d
			default:
				return bad("unknown condition %q (want events or time)", key)
			}
		}
		return p, nil
	}
	return bad("unknown mode %q (want none, every or load)", mode)
}

// String renders the policy in the form ParseSnapshotPolicy reads.
func (p SnapshotPolicy) String() string {
	switch p.Mode {
	case None:
		return "none"
	case EveryN:
		return "every:" + strconv.Itoa(p.Every)
	case LoadTriggered:
		var conds []string
		if p.MaxReplayed > 0 {
			conds = append(conds, "events>"+strconv.Itoa(p.MaxReplayed))
		}
		if p.MaxLoadTime > 0 {
			conds = append(conds, "time>"+p.MaxLoadTime.String())
		}
		return "load:" + strings.Join(conds, ",")
	}
	return p.Mode.String()
}

// Validate reports a policy that cannot work, such as every:0.
func (p SnapshotPolicy) Validate() error {
	switch p.Mode {
	case None:
		return nil
	case EveryN:
		if p.Every < 1 {
			return fmt.Errorf("%w: every needs an interval >= 1, got %d", ErrBadPolicy, p.Every)
		}
		return nil
	case LoadTriggered:
		if p.MaxReplayed < 0 || p.MaxLoadTime < 0 {
			return fmt.Errorf("%w: negative load threshold in %s", ErrBadPolicy, p)
		}
		if p.MaxReplayed == 0 && p.MaxLoadTime == 0 {
			return fmt.Errorf("%w: load-triggered policy needs events>N or time>D", ErrBadPolicy)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown mode %d", ErrBadPolicy, int(p.Mode))
}

// MarshalText implements encoding.TextMarshaler.
func (p SnapshotPolicy) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler, so the policy can be a
// YAML scalar.
func (p *SnapshotPolicy) UnmarshalText(b []byte) error {
	v, err := ParseSnapshotPolicy(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Set implements the flag.Value / pflag.Value interface.
func (p *SnapshotPolicy) Set(s string) error { return p.UnmarshalText([]byte(s)) }

// Type names the flag value kind for pflag's help output.
func (p *SnapshotPolicy) Type() string { return "policy" }

// due reports whether a commit that moved a stream from version from to
// version to, after a load described by ls, calls for a snapshot.
func (p SnapshotPolicy) due(from, to uint64, ls LoadStats) bool {
	switch p.Mode {
	case EveryN:
		n := uint64(p.Every)
		return to/n > from/n
	case LoadTriggered:
		return (p.MaxReplayed > 0 && ls.Replayed > p.MaxReplayed) ||
			(p.MaxLoadTime > 0 && ls.Total > p.MaxLoadTime)
	}
	return false
}
