package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// validator is implemented by request structs.
type validator interface{ Validate() error }

// decodeJSON decodes exactly one JSON value into dst, refusing unknown
// fields, trailing data, wrong media types and oversized bodies, then runs
// dst.Validate when it has one.
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

// decodeJSONFrom is decodeJSON's decoding, from any reader.
func decodeJSONFrom(r io.Reader, dst any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return apperr.New(apperr.Malformed, "the body must hold exactly one JSON value")
	}
	if v, ok := dst.(validator); ok {
		return v.Validate()
	}
	return nil
}

func jsonError(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return apperr.New(apperr.TooLarge, "the request body exceeds %d bytes", mbe.Limit)
	case errors.Is(err, io.EOF):
		return apperr.New(apperr.Malformed, "the request body is empty; a JSON object is required")
	case errors.As(err, &se):
		return apperr.New(apperr.Malformed, "malformed JSON at byte %d", se.Offset)
	case errors.As(err, &ute):
		return apperr.New(apperr.Malformed, "field %q has the wrong type (want %s)", ute.Field, ute.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.Malformed, "the JSON body ends too early")
	default:
		// Unknown fields and other decoder complaints: the message names the field.
		return apperr.New(apperr.Malformed, "invalid JSON body: %s", err.Error())
	}
}
