package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/pledgeseal/pledgeseal/api"
)

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.Spec())
	if err != nil {
		t.Fatalf("api/openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("api/openapi.yaml is not valid: %v", err)
	}
	return doc
}

// enumValues collects, from a JSON value, every array under an "enum" key
// with the JSON path where it sits.
func enumValues(v any, path string, out map[string][]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if arr, ok := child.([]any); ok && k == "enum" {
				out[path] = arr
				continue
			}
			enumValues(child, path+"/"+k, out)
		}
	case []any:
		for i, child := range x {
			enumValues(child, fmt.Sprintf("%s/%d", path, i), out)
		}
	}
}

// TestEnumValuesAreStrings: every enum value survives the trip through
// kin-openapi (load, marshal) as a string. An unquoted FALSE, yes, off,
// null or 01 in the YAML would come back as a boolean, null or number, and
// a client generated from the file would reject the string the server
// sends.
func TestEnumValuesAreStrings(t *testing.T) {
	doc := loadSpec(t)
	raw, err := doc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	enums := map[string][]any{}
	enumValues(generic, "#", enums)
	if len(enums) < 20 {
		t.Fatalf("found only %d enums: the walk is broken", len(enums))
	}
	for path, values := range enums {
		for _, v := range values {
			if _, ok := v.(string); !ok {
				t.Errorf("%s: enum value %v is a %T, not a string (quote it in api/openapi.yaml)", path, v, v)
			}
		}
	}
	// Each enum value of a named schema validates as the string the server
	// sends.
	for name, ref := range doc.Components.Schemas {
		s := ref.Value
		for _, v := range s.Enum {
			str, ok := v.(string)
			if !ok {
				continue // reported above
			}
			if err := s.VisitJSON(str); err != nil {
				t.Errorf("schema %s rejects its own enum value %q: %v", name, str, err)
			}
		}
	}
	if v := doc.Components.Schemas["StateCode"]; v == nil || v.Value.VisitJSON("FALSE") != nil {
		t.Error(`StateCode does not accept the status "FALSE" the server returns`)
	}
}

// TestOperationsAreDocumented: every tag and every operation has a
// description, and every operation lists the 4XX responses a client must
// handle (the same rules the redocly lint of make test enforces as errors;
// see redocly.yaml).
func TestOperationsAreDocumented(t *testing.T) {
	doc := loadSpec(t)
	for _, tag := range doc.Tags {
		if strings.TrimSpace(tag.Description) == "" {
			t.Errorf("tag %s has no description", tag.Name)
		}
	}
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			ops = append(ops, name)
			if strings.TrimSpace(op.Description) == "" {
				t.Errorf("%s has no description", name)
			}
			has4xx := false
			for code := range op.Responses.Map() {
				has4xx = has4xx || strings.HasPrefix(code, "4")
			}
			if !has4xx {
				t.Errorf("%s lists no 4XX response", name)
			}
		}
	}
	sort.Strings(ops)
	if len(ops) < 40 {
		t.Fatalf("found only %d operations", len(ops))
	}
}
