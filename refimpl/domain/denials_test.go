package domain

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// sliceDenials is a DenialList over a slice, standing in for a codec's
// undecoded list in this unit test of the account's bookkeeping (the binary
// codec's own list is tested in its package).
type sliceDenials []Denial

func (l sliceDenials) Len() int { return len(l) }

func (l sliceDenials) Find(from int, requestID string) (Denial, bool) {
	for i := len(l) - 1; i >= from; i-- {
		if l[i].RequestID == requestID {
			return l[i], true
		}
	}
	return Denial{}, false
}

func (l sliceDenials) AppendTo(dst []Denial) []Denial { return append(dst, l...) }

// TestDenialsOverSnapshotList: an account restored from a snapshot whose
// denials are an undecoded list, with denials added after it, keeps and
// finds exactly the latest MaxRecentDenials of the list and the additions
// together, as a plain list of all of them would, however many of the
// list's were dropped (none, some, all) and whether a request id repeats
// across the two.
func TestDenialsOverSnapshotList(t *testing.T) {
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	denial := func(id string, i int) Denial {
		return Denial{RequestID: id, DeviceID: "d", TitleID: fmt.Sprint("t", i), Reason: ReasonDeviceLimit, At: at.Add(time.Duration(i) * time.Minute)}
	}
	for _, listLen := range []int{1, 5, 19, MaxRecentDenials} {
		for _, adds := range []int{0, 1, 3, 15, MaxRecentDenials - 1, MaxRecentDenials, 25, 41} {
			t.Run(fmt.Sprintf("list=%d/adds=%d", listLen, adds), func(t *testing.T) {
				var all []Denial
				for i := range listLen {
					// Ids repeat within the list and reappear among the additions.
					all = append(all, denial(fmt.Sprint("r", i%4), i))
				}
				snap := &AccountSnapshot{CustomerID: "c", Plan: "basic"}
				snap.SetDenialList(sliceDenials(append([]Denial(nil), all...)))
				a := NewAccount("c")
				if err := a.RestoreOwnedSnapshot(7, snap); err != nil {
					t.Fatal(err)
				}
				for i := range adds {
					d := denial(fmt.Sprint("r", 2+i%5), listLen+i)
					a.addDenial(d)
					all = append(all, d)
				}
				want := all[max(0, len(all)-MaxRecentDenials):]
				if got := a.RecentDenials(); !reflect.DeepEqual(got, want) {
					t.Fatalf("RecentDenials:\n got %v\nwant %v", got, want)
				}
				for k := range 8 {
					id := fmt.Sprint("r", k)
					var wantD Denial
					wantOK := false
					for _, d := range want {
						if d.RequestID == id {
							wantD, wantOK = d, true
						}
					}
					if got, ok := a.findDenial(id); ok != wantOK || got != wantD {
						t.Errorf("findDenial(%q) = %v, %v; want %v, %v", id, got, ok, wantD, wantOK)
					}
				}
			})
		}
	}
}
