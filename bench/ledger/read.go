package ledger

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/esbench/esbench/refimpl/store"
)

// Append is one recorded append to one stream: its events at versions
// First, First+1, ...
type Append struct {
	Stream   store.StreamID
	First    uint64
	EventIDs []string
}

// Ledger is a ledger file read back.
type Ledger struct {
	Path   string
	Header Header
	// Acked are the appends the store acknowledged.
	Acked []Append
	// Unknown groups the appends of each call whose outcome is unknown (one
	// call may append to several streams of a customer, atomically).
	Unknown [][]Append
	// TornTail is set when the last line was cut short (esbench was killed
	// while writing it); that line is ignored.
	TornTail bool
}

// Read reads the ledger file at path.
func Read(path string) (*Ledger, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer f.Close()
	l, err := parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	l.Path = path
	return l, nil
}

func parse(r io.Reader) (*Ledger, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	l := &Ledger{}
	streams := map[int64]store.StreamID{}
	unknown := map[int64]int{} // call -> index in l.Unknown
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			if line != "" {
				l.TornTail = true
			}
			break
		}
		if err != nil {
			return nil, err
		}
		line = strings.TrimSuffix(line, "\n")
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%w: line %d: %s", ErrFormat, lineNo, fmt.Sprintf(format, a...))
		}
		if lineNo == 1 {
			js, ok := strings.CutPrefix(line, "# ")
			if !ok {
				return nil, bad("no header (is this an esbench ledger?)")
			}
			dec := json.NewDecoder(bytes.NewReader([]byte(js)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&l.Header); err != nil {
				return nil, bad("header: %v", err)
			}
			if l.Header.Format != Format {
				return nil, bad("format %q, want %q", l.Header.Format, Format)
			}
			continue
		}
		tok := strings.Split(line, " ")
		switch tok[0] {
		case "S":
			if len(tok) != 5 {
				return nil, bad("stream line has %d fields, want 5", len(tok))
			}
			n, err := strconv.ParseInt(tok[1], 10, 64)
			if err != nil || n <= 0 {
				return nil, bad("stream number %q", tok[1])
			}
			var f [3]string
			for i := range f {
				if f[i], err = parseField(tok[2+i]); err != nil {
					return nil, bad("stream field %q: %v", tok[2+i], err)
				}
			}
			if _, dup := streams[n]; dup {
				return nil, bad("stream %d defined twice", n)
			}
			streams[n] = store.StreamID{Customer: f[0], AggregateType: f[1], AggregateID: f[2]}
		case "A", "U":
			rest := tok[1:]
			var call int64
			if tok[0] == "U" {
				if len(rest) == 0 {
					return nil, bad("unknown-outcome line without a call number")
				}
				if call, err = strconv.ParseInt(rest[0], 10, 64); err != nil || call <= 0 {
					return nil, bad("call number %q", rest[0])
				}
				rest = rest[1:]
			}
			if len(rest) < 3 {
				return nil, bad("append line has %d fields, want stream, version and at least one event id", len(rest))
			}
			n, err := strconv.ParseInt(rest[0], 10, 64)
			st, ok := streams[n]
			if err != nil || !ok {
				return nil, bad("stream %q was not defined before", rest[0])
			}
			first, err := strconv.ParseUint(rest[1], 10, 64)
			if err != nil || first == 0 {
				return nil, bad("version %q", rest[1])
			}
			a := Append{Stream: st, First: first, EventIDs: make([]string, len(rest)-2)}
			for i, t := range rest[2:] {
				if a.EventIDs[i], err = parseField(t); err != nil {
					return nil, bad("event id %q: %v", t, err)
				}
			}
			if tok[0] == "A" {
				l.Acked = append(l.Acked, a)
			} else if i, ok := unknown[call]; ok {
				l.Unknown[i] = append(l.Unknown[i], a)
			} else {
				unknown[call] = len(l.Unknown)
				l.Unknown = append(l.Unknown, []Append{a})
			}
		default:
			return nil, bad("unknown record type %q", tok[0])
		}
	}
	if l.Header.Format == "" {
		return nil, fmt.Errorf("%w: empty file", ErrFormat)
	}
	return l, nil
}
