package sandbox

import (
	"fmt"
	"net/http"
)

// apiError is Stripe's error envelope, with the HTTP status it travels
// with. Logic functions return it; the API writes it as
// {"error": {...}} and the hosted pages show its message.
type apiError struct {
	Status      int    `json:"-"`
	Type        string `json:"type"`
	Message     string `json:"message"`
	Param       string `json:"param,omitempty"`
	Code        string `json:"code,omitempty"`
	DeclineCode string `json:"decline_code,omitempty"`
	DocURL      string `json:"doc_url,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

// committedError is an answer that is an error but whose changes stand:
// a declined invoice payment still records its failed charge and events.
type committedError struct{ *apiError }

func (e committedError) Unwrap() error { return e.apiError }

func invalidParam(param, msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Message: msg, Param: param, Code: "parameter_invalid"}
}

func invalidRequest(param, msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Message: msg, Param: param}
}

func missingParam(param string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "parameter_missing", Param: param,
		Message: fmt.Sprintf("Missing required param: %s.", param)}
}

func unknownParam(path []string) *apiError {
	k := formatKey(path)
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "parameter_unknown", Param: k,
		Message: fmt.Sprintf("Received unknown parameter: %s", k)}
}

// noSuch is Stripe's 404 for an id it does not know. param names the
// parameter that carried the id ("id" for a path id).
func noSuch(object, id, param string) *apiError {
	return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "resource_missing", Param: param,
		Message: fmt.Sprintf("No such %s: '%s'", object, id)}
}

func cardError(code, declineCode, msg, param string) *apiError {
	return &apiError{Status: http.StatusPaymentRequired, Type: "card_error", Code: code, DeclineCode: declineCode, Message: msg, Param: param}
}

func idempotencyMismatch(key string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "idempotency_error",
		Message: fmt.Sprintf("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '%s' if you meant to execute a different request.", key)}
}

func unauthorized(msg string) *apiError {
	return &apiError{Status: http.StatusUnauthorized, Type: "invalid_request_error", Message: msg}
}
