package httpadapter

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/rosterkit/roster"
)

// query is a request's validated query string. A parameter with an empty
// value counts as absent, as an empty form field would.
type query struct {
	values url.Values
}

// parseQuery parses r's query string and rejects parameters outside single
// and multi, and repeats of a parameter in single. Parameters in multi may
// repeat.
func parseQuery(r *http.Request, single, multi []string) (query, error) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return query{}, &roster.Error{Kind: roster.KindMalformed, Err: err,
			Message: "The query string is malformed; percent-encode reserved characters and separate parameters with &."}
	}
	var fields []roster.FieldError
	for _, name := range sortedKeys(values) {
		switch {
		case slices.Contains(multi, name):
		case !slices.Contains(single, name):
			fields = append(fields, roster.FieldError{Field: name, Message: unknownParameterMessage(single, multi)})
		case len(values[name]) > 1:
			fields = append(fields, roster.FieldError{Field: name,
				Message: fmt.Sprintf("appears %d times; send it at most once", len(values[name]))})
		}
	}
	if len(fields) > 0 {
		return query{}, &roster.Error{Kind: roster.KindMalformed, Message: "The query string has unknown or repeated parameters.", Fields: fields}
	}
	return query{values: values}, nil
}

func unknownParameterMessage(single, multi []string) string {
	accepted := slices.Concat(single, multi)
	if len(accepted) == 0 {
		return "unknown query parameter; this route takes none"
	}
	slices.Sort(accepted)
	return "unknown query parameter; use " + strings.Join(accepted, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// get returns the value of a single-value parameter, or "".
func (q query) get(name string) string {
	return q.values.Get(name)
}

// all returns the non-empty values of a repeatable parameter.
func (q query) all(name string) []string {
	var out []string
	for _, v := range q.values[name] {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// fieldErrors collects the malformed and the invalid fields of a request,
// so that one response lists all of them.
type fieldErrors struct {
	malformed []roster.FieldError
	invalid   []roster.FieldError
}

func (e *fieldErrors) addMalformed(field, message string) {
	e.malformed = append(e.malformed, roster.FieldError{Field: field, Message: message})
}

func (e *fieldErrors) addInvalid(field, message string) {
	e.invalid = append(e.invalid, roster.FieldError{Field: field, Message: message})
}

// addErr adds the fields of a KindInvalid error and returns any other
// error unchanged.
func (e *fieldErrors) addErr(err error) error {
	re, ok := err.(*roster.Error)
	if !ok || re.Kind != roster.KindInvalid || len(re.Fields) == 0 {
		return err
	}
	e.invalid = append(e.invalid, re.Fields...)
	return nil
}

// err returns a KindMalformed error when any field is malformed, else a
// KindInvalid error when any is invalid, else nil.
func (e *fieldErrors) err() error {
	switch {
	case len(e.malformed) > 0:
		return &roster.Error{Kind: roster.KindMalformed, Message: "The request has malformed fields.", Fields: e.malformed}
	case len(e.invalid) > 0:
		return roster.Invalid(e.invalid...)
	}
	return nil
}

// limit reads the limit parameter: absent is 0, which selects the
// service's default page size, and a present one must be a whole number of
// at least 1. The services check the maximum.
func (e *fieldErrors) limit(q query, maxLimit int) int {
	s := q.get("limit")
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		e.addMalformed("limit", fmt.Sprintf("must be a whole number from 1 to %d, got %.40q", maxLimit, s))
		return 0
	}
	if n < 1 {
		e.addInvalid("limit", fmt.Sprintf("must be between 1 and %d, got %d", maxLimit, n))
		return 0
	}
	return n
}

// optionalID reads a user id parameter; absent is uuid.Nil.
func (e *fieldErrors) optionalID(q query, name string) uuid.UUID {
	s := q.get(name)
	if s == "" {
		return uuid.Nil
	}
	id, err := parseID(name, s)
	if err != nil {
		e.malformed = append(e.malformed, err.(*roster.Error).Fields...)
		return uuid.Nil
	}
	if id == uuid.Nil {
		e.addInvalid(name, "must not be the nil UUID; omit the parameter to select every user")
	}
	return id
}

// parseID parses a user id in the canonical 36-character UUID form.
func parseID(field, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return uuid.Nil, roster.Malformed(field,
			fmt.Sprintf("must be a UUID such as 0190b5f4-7c0a-7d2e-9b1c-3f4e5a6b7c8d, got %.64q", s))
	}
	return id, nil
}

// pathID reads the {id} path variable.
func pathID(r *http.Request) (uuid.UUID, error) {
	return parseID("id", mux.Vars(r)["id"])
}

// noQuery rejects every query parameter, for routes that take none.
func noQuery(r *http.Request) error {
	_, err := parseQuery(r, nil, nil)
	return err
}

// ifMatchVersion reads the If-Match header as a user version. It accepts
// W/"<n>" as sent in the ETag header, "<n>", and * for any version; an
// absent header is 0, which skips the check.
func ifMatchVersion(r *http.Request) (int64, error) {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		return 0, nil
	}
	malformed := func(s string) error {
		return roster.Malformed("If-Match",
			fmt.Sprintf("must be one entity tag such as W/\"3\", as sent in the user's ETag header, got %.64q", s))
	}
	if len(values) > 1 {
		return 0, malformed(strings.Join(values, ", "))
	}
	s := strings.TrimSpace(values[0])
	if s == "*" {
		return 0, nil
	}
	tag := strings.TrimPrefix(s, "W/")
	if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return 0, malformed(s)
	}
	digits := tag[1 : len(tag)-1]
	if strings.Trim(digits, "0123456789") != "" {
		return 0, malformed(s)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 1 {
		return 0, malformed(s)
	}
	return n, nil
}

// etag returns the entity tag of a user version.
func etag(version int64) string {
	return `W/"` + strconv.FormatInt(version, 10) + `"`
}
