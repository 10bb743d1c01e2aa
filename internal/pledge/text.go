package pledge

import (
	"strings"
	"unicode/utf8"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// Text is a text shown to applicants and officers: Simplified Chinese
// (required) with an optional English rendering.
type Text struct {
	Zh string `json:"zh"`
	En string `json:"en,omitempty"`
}

// Limits on free text, so a document stays small and printable.
const (
	maxText  = 4000
	maxShort = 200
	maxList  = 50
)

func checkText(field string, t Text, required bool, limit int) error {
	if strings.TrimSpace(t.Zh) == "" {
		if required || t.En != "" {
			return malformed(apperr.CodeFieldRequired, "%s: the Chinese text is required (%s：中文内容必填)", field, field)
		}
		return nil
	}
	if err := checkString(field+".zh", t.Zh, limit); err != nil {
		return err
	}
	return checkString(field+".en", t.En, limit)
}

func checkString(field, s string, limit int) error {
	if !utf8.ValidString(s) {
		return malformed(apperr.CodeFieldInvalid, "%s is not valid UTF-8", field)
	}
	if utf8.RuneCountInString(s) > limit {
		return malformed(apperr.CodeFieldTooLong, "%s is longer than %d characters", field, limit)
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return malformed(apperr.CodeFieldInvalid, "%s contains a control character", field)
		}
	}
	return nil
}

func requireString(field, s string, limit int) error {
	if strings.TrimSpace(s) == "" {
		return malformed(apperr.CodeFieldRequired, "%s is required", field)
	}
	return checkString(field, s, limit)
}

// checkCode accepts identifiers made of ASCII letters, digits, '-', '_' and
// '.', 1 to 64 long: matter, region, certificate and agency codes.
func checkCode(field, s string) error {
	if s == "" || len(s) > 64 {
		return malformed(apperr.CodeFieldInvalid, "%s must be 1 to 64 characters of A-Z a-z 0-9 - _ .", field)
	}
	for _, c := range []byte(s) {
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return malformed(apperr.CodeFieldInvalid, "%s must be 1 to 64 characters of A-Z a-z 0-9 - _ .", field)
		}
	}
	return nil
}

func malformed(code apperr.Code, format string, args ...any) error {
	return apperr.New(apperr.Malformed, format, args...).WithCode(code)
}
