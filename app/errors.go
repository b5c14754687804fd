package app

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error codes. They map to HTTP statuses in one place (web's error handler).
const (
	EINVALID      = "invalid"      // the input is wrong; the message says how
	ENOTFOUND     = "not_found"    // no such thing
	ECONFLICT     = "conflict"     // clashes with something that exists
	EUNAUTHORIZED = "unauthorized" // sign-in needed
	EFORBIDDEN    = "forbidden"    // signed in but not allowed
	EGONE         = "gone"         // existed, no longer valid (expired links)
	ETOOLARGE     = "too_large"    // body or file over its limit
	ERATELIMIT    = "rate_limited" // slow down
	EUNAVAILABLE  = "unavailable"  // a dependency (Stripe, mail) is down
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// Error is an application error: Code decides the status, Message is shown
// to people as it is, Field names the form field it belongs to (if any).
type Error struct {
	Code    string
	Message string
	Field   string
	Err     error // the cause, for logs
}

// errors.As finds both error types by their pointer.
var (
	_ error = (*Error)(nil)
	_ error = (*InvalidForm)(nil)
)

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an application error with a code and a readable message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error tied to a form field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an application error in err's chain,
// EINVALID for an InvalidForm, and EINTERNAL for anything else.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var inv *InvalidForm
	if errors.As(err, &inv) {
		return EINVALID
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the sentence a person may read: the message of an
// application error, the first field message (in field order) of an
// InvalidForm, and a generic sentence for anything else (whose detail
// belongs in the log, not on the page).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	var inv *InvalidForm
	if errors.As(err, &inv) && len(inv.Fields) > 0 {
		fields := make([]string, 0, len(inv.Fields))
		for f := range inv.Fields {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		return inv.Fields[fields[0]]
	}
	return "Something went wrong on our side. Please try again in a moment."
}

// IsNotFound reports whether err is an ENOTFOUND application error.
func IsNotFound(err error) bool { return ErrorCode(err) == ENOTFOUND }

// Found reads a lookup's error where absence is an answer, not a failure
// ("was this event seen?"): nil is (true, nil), ENOTFOUND is (false, nil),
// and any other error is returned as it is.
func Found(err error) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case IsNotFound(err):
		return false, nil
	}
	return false, err
}

// ValidationErrors collects field errors of one form so they can all be
// shown next to their fields at once.
type ValidationErrors map[string]string

// Add records msg for field unless the field already has a message.
func (v ValidationErrors) Add(field, msg string) {
	if _, ok := v[field]; !ok {
		v[field] = msg
	}
}

// Err returns nil when there are no messages, or an EINVALID error whose
// message is the first one (in field order) for callers that show one.
func (v ValidationErrors) Err() error {
	if len(v) == 0 {
		return nil
	}
	return &InvalidForm{Fields: v}
}

// InvalidForm is returned by Validate methods; web re-renders the form with
// each message next to its field and status 422.
type InvalidForm struct{ Fields ValidationErrors }

func (e *InvalidForm) Error() string {
	var b strings.Builder
	b.WriteString("invalid form:")
	for f, m := range e.Fields {
		fmt.Fprintf(&b, " %s: %s;", f, m)
	}
	return b.String()
}
