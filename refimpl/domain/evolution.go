package domain

import (
	"fmt"
	"strings"
	"time"
)

// Schema history.
//
// DownloadDenied
//   - v1: RequestID, DeviceID, TitleID, a free-text Reason, At.
//   - v2 (current): Reason became a machine-readable Reason value; the text
//     moved to Detail; PolicyVersion was added.
//
// Every other event and both snapshot types are at version 1. Golden
// payloads of every version live in testdata/ and are decoded by
// golden_test.go.

// downloadDeniedV1 is DownloadDenied as written by schema version 1. It
// stays so old streams keep replaying; nothing encodes it any more.
type downloadDeniedV1 struct {
	RequestID string
	DeviceID  string
	TitleID   string
	// Reason was free text ("too many devices", ...).
	Reason string
	At     time.Time
}

// upcastDownloadDeniedV1 turns a v1 DownloadDenied into v2: the free text
// becomes Detail and is classified into a Reason; PolicyVersion stays 0,
// meaning "recorded before decisions carried a policy version".
func upcastDownloadDeniedV1(old any) (any, error) {
	v1, ok := old.(*downloadDeniedV1)
	if !ok || v1 == nil {
		return nil, fmt.Errorf("DownloadDenied v1 upcaster got %T", old)
	}
	return &DownloadDenied{
		RequestID: v1.RequestID,
		DeviceID:  v1.DeviceID,
		TitleID:   v1.TitleID,
		Reason:    string(classifyV1Reason(v1.Reason)),
		Detail:    v1.Reason,
		At:        v1.At,
	}, nil
}

// classifyV1Reason maps the texts version 1 wrote to reasons. Text that
// already is a reason value is kept; anything else is ReasonUnspecified, so
// no old denial is misfiled.
func classifyV1Reason(text string) Reason {
	t := strings.ToLower(strings.TrimSpace(text))
	switch Reason(t) {
	case ReasonDeviceLimit, ReasonDownloadLimit, ReasonTitleYearLimit:
		return Reason(t)
	}
	switch {
	case strings.Contains(t, "too many devices"), strings.Contains(t, "device limit"):
		return ReasonDeviceLimit
	case strings.Contains(t, "too many downloads"), strings.Contains(t, "downloads on device"):
		return ReasonDownloadLimit
	case strings.Contains(t, "per year"), strings.Contains(t, "this year"), strings.Contains(t, "yearly"):
		return ReasonTitleYearLimit
	}
	return ReasonUnspecified
}
