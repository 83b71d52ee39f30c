package ascii

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestIs: every length up to two words and a half, all ASCII and with a
// non-ASCII byte at every position, as a string and as bytes.
func TestIs(t *testing.T) {
	for n := range 20 {
		s := strings.Repeat("a", n)
		if !Is(s) || !Bytes([]byte(s)) {
			t.Fatalf("%q: not ASCII", s)
		}
		for i := range n {
			for _, c := range []byte{0x80, 0xc3, 0xff} {
				b := []byte(s)
				b[i] = c
				if Is(string(b)) || Bytes(b) {
					t.Fatalf("% x (byte %d is %#x): ASCII", b, i, c)
				}
			}
			b := []byte(s)
			b[i] = utf8.RuneSelf - 1
			if !Is(string(b)) || !Bytes(b) {
				t.Fatalf("% x: 0x7f is ASCII", b)
			}
		}
	}
}
