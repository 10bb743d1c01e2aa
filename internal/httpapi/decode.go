package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// validator is implemented by request structs.
type validator interface{ Validate() error }

// decodeJSON decodes exactly one JSON value into dst, refusing unknown
// fields, member names that match a field only case-insensitively,
// duplicate member names at any depth, invalid UTF-8, trailing data, wrong
// media types and oversized bodies, then runs dst.Validate when it has one.
func decodeJSON(c *gin.Context, dst any) error {
	if err := checkJSONMediaType(c); err != nil {
		return err
	}
	return decodeJSONFrom(c.Request.Body, dst)
}

// checkJSONMediaType refuses a Content-Type other than JSON (none is taken
// as JSON).
func checkJSONMediaType(c *gin.Context) error {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "application/problem+json") {
			return apperr.New(apperr.Unsupported, "send the body as application/json")
		}
	}
	return nil
}

// strictJSON are the decoding rules of every request body. encoding/json
// (v1) keeps the last of two equal names and matches names
// case-insensitively, so `{"package":A,"package":B}` or `{"Package":A}`
// used to be read; the JSON v2 decoder (go-json-experiment/json, the
// basis of encoding/json/v2) refuses duplicate names and invalid UTF-8 by
// default and matches names exactly.
var strictJSON = json.JoinOptions(json.RejectUnknownMembers(true))

// decodeJSONFrom is decodeJSON's decoding, from any reader.
func decodeJSONFrom(r io.Reader, dst any) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return jsonError(err)
	}
	return decodeJSONBytes(body, dst)
}

// decodeJSONBytes is decodeJSON's decoding of a body already read.
func decodeJSONBytes(body []byte, dst any) error {
	if len(bytes.Trim(body, jsonSpace)) == 0 {
		return jsonError(io.EOF)
	}
	if err := json.Unmarshal(body, dst, strictJSON); err != nil {
		return jsonError(err)
	}
	if v, ok := dst.(validator); ok {
		return v.Validate()
	}
	return nil
}

// jsonSpace is the whitespace RFC 8259 allows between tokens.
const jsonSpace = " \t\r\n"

func jsonError(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *jsontext.SyntacticError
		ue  *json.SemanticError
	)
	switch {
	case errors.As(err, &mbe):
		return apperr.New(apperr.TooLarge, "the request body exceeds %d bytes", mbe.Limit)
	case errors.Is(err, io.EOF):
		return apperr.New(apperr.Malformed, "the request body is empty; a JSON object is required")
	case errors.Is(err, jsontext.ErrDuplicateName):
		return apperr.New(apperr.Malformed, "a JSON object names member %s twice / JSON 对象中成员名重复", pointerOf(err)).WithCode(apperr.CodeJSONDuplicateName)
	case errors.Is(err, json.ErrUnknownName):
		return apperr.New(apperr.Malformed, "unknown member %s (member names are case-sensitive) / 未知成员（成员名区分大小写）", pointerOf(err)).WithCode(apperr.CodeJSONUnknownName)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.Malformed, "the JSON body ends too early")
	case errors.As(err, &se):
		if strings.Contains(se.Error(), "invalid UTF-8") {
			return apperr.New(apperr.Malformed, "the JSON body is not valid UTF-8 (byte %d)", se.ByteOffset)
		}
		if strings.Contains(se.Error(), "after top-level value") {
			return apperr.New(apperr.Malformed, "the body must hold exactly one JSON value")
		}
		return apperr.New(apperr.Malformed, "malformed JSON at byte %d", se.ByteOffset)
	case errors.As(err, &ue):
		return apperr.New(apperr.Malformed, "member %s has the wrong type or value", pointerOf(err))
	default:
		return apperr.New(apperr.Malformed, "invalid JSON body")
	}
}

// pointerOf quotes the JSON pointer an error names ("/" for the top).
func pointerOf(err error) string {
	var (
		se *jsontext.SyntacticError
		ue *json.SemanticError
		p  jsontext.Pointer
	)
	switch {
	case errors.As(err, &se):
		p = se.JSONPointer
	case errors.As(err, &ue):
		p = ue.JSONPointer
	}
	if p == "" {
		p = "/"
	}
	return strconv.Quote(string(p))
}
