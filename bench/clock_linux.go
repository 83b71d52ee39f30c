package bench

import (
	"syscall"
	"time"
)

// clockState reads the kernel's view of the clock (adjtimex): whether NTP
// has it synchronised, and its estimated and maximum error.
func clockState() (known, synced bool, est, maxErr time.Duration) {
	var tx syscall.Timex
	state, err := syscall.Adjtimex(&tx)
	if err != nil {
		return false, false, 0, 0
	}
	const staUnsync = 0x0040 // STA_UNSYNC
	const timeError = 5      // TIME_ERROR: the clock is not synchronised
	synced = tx.Status&staUnsync == 0 && state != timeError
	return true, synced, time.Duration(tx.Esterror) * time.Microsecond, time.Duration(tx.Maxerror) * time.Microsecond
}
