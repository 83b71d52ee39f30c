package domain

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors of the decide functions. They are returned wrapped in a
// *CommandError naming the command and field; match them with errors.Is. An
// error means the command could not be judged at all; a refusal under the
// policy is a denial (an Outcome with Allowed=false and an event), not an
// error.
var (
	// ErrInvalidCommand: a field is empty, too long or malformed.
	ErrInvalidCommand = errors.New("domain: invalid command")
	// ErrUnknownCustomer: the customer has no open account.
	ErrUnknownCustomer = errors.New("domain: unknown customer")
	// ErrUnknownDevice: the device is not registered on the account.
	ErrUnknownDevice = errors.New("domain: unknown device")
	// ErrUnknownLicense: no such license for this customer.
	ErrUnknownLicense = errors.New("domain: unknown license")
	// ErrAccountExists: OpenAccount for an account already open with another
	// plan (reopening with the same plan is an idempotent success).
	ErrAccountExists = errors.New("domain: account already open")
)

// MaxIDLen bounds every id in a command. Ids become stream ids and clustering
// keys; a megabyte "id" is an attack or a bug, not a customer.
const MaxIDLen = 256

// CommandError names the command and field that made it fail.
type CommandError struct {
	Command string
	Field   string
	// Value is the offending value, truncated for long input.
	Value string
	Err   error
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("%v: %s.%s = %q", e.Err, e.Command, e.Field, e.Value)
}

// Unwrap exposes the sentinel (ErrInvalidCommand, ErrUnknownDevice, ...).
func (e *CommandError) Unwrap() error { return e.Err }

func cmdErr(cmd, field, value string, err error) *CommandError {
	if len(value) > 64 {
		value = value[:64] + "..."
	}
	return &CommandError{Command: cmd, Field: field, Value: value, Err: err}
}

// checkID rejects empty, overlong, non-UTF-8 and control-character ids; the
// detail goes into the wrapped error so the message says what was wrong.
func checkID(cmd, field, v string) error {
	var why string
	switch {
	case v == "":
		why = "empty"
	case len(v) > MaxIDLen:
		why = fmt.Sprintf("longer than %d bytes", MaxIDLen)
	case !utf8.ValidString(v):
		why = "not valid UTF-8"
	default:
		for _, r := range v {
			if unicode.IsControl(r) {
				why = "contains a control character"
				break
			}
		}
	}
	if why == "" {
		return nil
	}
	return cmdErr(cmd, field, v, fmt.Errorf("%w: %s", ErrInvalidCommand, why))
}

// checkIDs validates name/value pairs in order and returns the first failure.
func checkIDs(cmd string, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := checkID(cmd, pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// OpenAccount creates a customer's DownloadAccount with a plan. Every other
// command requires an open account.
type OpenAccount struct {
	RequestID  string
	CustomerID string
	Plan       string
}

// Validate checks the ids and that a plan is named (whether the policy knows
// the plan is checked by DecideOpenAccount).
func (c OpenAccount) Validate() error {
	return checkIDs("OpenAccount", "RequestID", c.RequestID, "CustomerID", c.CustomerID, "Plan", c.Plan)
}

// AcquireLicense asks to download a title to a device.
type AcquireLicense struct {
	RequestID  string
	CustomerID string
	DeviceID   string
	TitleID    string
	StudioID   string
	// Restricted comes from the title catalogue: the studio limits downloads
	// per title and year.
	Restricted bool
}

// Validate checks every id.
func (c AcquireLicense) Validate() error {
	return checkIDs("AcquireLicense", "RequestID", c.RequestID, "CustomerID", c.CustomerID,
		"DeviceID", c.DeviceID, "TitleID", c.TitleID, "StudioID", c.StudioID)
}

// RenewLicense extends a license by the policy's duration.
type RenewLicense struct {
	RequestID  string
	CustomerID string
	LicenseID  string
}

// Validate checks every id.
func (c RenewLicense) Validate() error {
	return checkIDs("RenewLicense", "RequestID", c.RequestID, "CustomerID", c.CustomerID, "LicenseID", c.LicenseID)
}

// ReleaseLicense ends a license because the user deleted the download.
type ReleaseLicense struct {
	RequestID  string
	CustomerID string
	LicenseID  string
}

// Validate checks every id.
func (c ReleaseLicense) Validate() error {
	return checkIDs("ReleaseLicense", "RequestID", c.RequestID, "CustomerID", c.CustomerID, "LicenseID", c.LicenseID)
}

// StartPlayback asks to play a downloaded title.
type StartPlayback struct {
	RequestID  string
	CustomerID string
	LicenseID  string
}

// Validate checks every id.
func (c StartPlayback) Validate() error {
	return checkIDs("StartPlayback", "RequestID", c.RequestID, "CustomerID", c.CustomerID, "LicenseID", c.LicenseID)
}

// RegisterDevice adds a device to the account.
type RegisterDevice struct {
	RequestID  string
	CustomerID string
	DeviceID   string
}

// Validate checks every id.
func (c RegisterDevice) Validate() error {
	return checkIDs("RegisterDevice", "RequestID", c.RequestID, "CustomerID", c.CustomerID, "DeviceID", c.DeviceID)
}

// RemoveDevice removes a device and releases its active downloads.
type RemoveDevice struct {
	RequestID  string
	CustomerID string
	DeviceID   string
}

// Validate checks every id.
func (c RemoveDevice) Validate() error {
	return checkIDs("RemoveDevice", "RequestID", c.RequestID, "CustomerID", c.CustomerID, "DeviceID", c.DeviceID)
}

// CheckDownload asks, without recording anything, whether a device may
// download a title now and why not.
type CheckDownload struct {
	CustomerID string
	DeviceID   string
	TitleID    string
	StudioID   string
	Restricted bool
}

// Validate checks every id.
func (c CheckDownload) Validate() error {
	return checkIDs("CheckDownload", "CustomerID", c.CustomerID, "DeviceID", c.DeviceID,
		"TitleID", c.TitleID, "StudioID", c.StudioID)
}
