package httpadapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rosterkit/roster"
)

// maxJSONDepth bounds the nesting of request bodies; the deepest body the
// routes accept has two levels.
const maxJSONDepth = 16

// decodeBody reads r's JSON object body into dst, a pointer to a struct
// whose fields carry json tags, and checks that the body sets every field
// in required. It rejects a wrong Content-Type, an oversized body, invalid
// UTF-8 and malformed JSON. It also rejects a value that is not an object,
// duplicate keys, trailing data, null values, unknown fields, values of the
// wrong JSON type and missing fields.
func (h *Handler) decodeBody(w http.ResponseWriter, r *http.Request, dst any, required ...string) error {
	if err := checkContentType(r); err != nil {
		return err
	}
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	keys, err := checkJSONObject(body)
	if err != nil {
		return err
	}
	if err := checkKeys(keys, jsonFieldNames(dst), required); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	return nil
}

// decodeEmptyBody checks the body of a write that takes no fields. Like
// every write it needs the JSON content type, which a cross-site HTML form
// cannot send, and its body is empty or an empty JSON object.
func (h *Handler) decodeEmptyBody(w http.ResponseWriter, r *http.Request) error {
	if err := checkContentType(r); err != nil {
		return err
	}
	body, err := h.readBody(w, r)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return err
	}
	keys, err := checkJSONObject(body)
	if err != nil {
		return err
	}
	return checkKeys(keys, nil, nil)
}

// checkContentType accepts application/json with any parameters, except a
// charset other than UTF-8, because JSON is UTF-8.
func checkContentType(r *http.Request) error {
	values := r.Header.Values("Content-Type")
	unsupported := func(detail string) error {
		return &statusError{http.StatusUnsupportedMediaType, &roster.Error{Kind: roster.KindMalformed, Message: detail}}
	}
	if len(values) != 1 {
		return unsupported("The request needs one Content-Type header, application/json.")
	}
	mediaType, params, err := mime.ParseMediaType(values[0])
	if err != nil || mediaType != "application/json" {
		return unsupported(fmt.Sprintf("The Content-Type %.100q is not supported; send application/json.", values[0]))
	}
	if charset, ok := params["charset"]; ok && !strings.EqualFold(charset, "utf-8") {
		return unsupported(fmt.Sprintf("The charset %.40q is not supported; send application/json in UTF-8.", charset))
	}
	return nil
}

// readBody reads the whole body, up to the handler's limit.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	// A server request always has a Body, but one built by hand may not.
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, &statusError{http.StatusRequestEntityTooLarge, roster.Errorf(roster.KindMalformed,
			"The request body is larger than %d bytes; send a smaller body.", tooLarge.Limit)}
	case err != nil:
		return nil, &roster.Error{Kind: roster.KindMalformed,
			Message: "The request body could not be read; send it again.", Err: err}
	case !utf8.Valid(body):
		return nil, roster.Errorf(roster.KindMalformed, "The request body is not valid UTF-8; send UTF-8 JSON.")
	}
	return body, nil
}

func malformedBody(format string, args ...any) error {
	return roster.Errorf(roster.KindMalformed, format, args...)
}

// checkJSONObject checks that body is exactly one JSON object without
// duplicate keys or null values at any depth, and returns its top-level
// keys in order.
func checkJSONObject(body []byte) ([]string, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, malformedBody("The request body is empty; send a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(err)
	}
	if tok != json.Delim('{') {
		return nil, malformedBody("The request body must be a JSON object, such as {\"name\": \"Ana\"}.")
	}
	keys, err := walkObject(dec, "", 1)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformedBody("The request body has data after the JSON object; send exactly one JSON object.")
	}
	return keys, nil
}

// walkObject walks the members of an object whose opening brace dec has
// read, and returns its keys.
func walkObject(dec *json.Decoder, path string, depth int) ([]string, error) {
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, malformedBody("The request body is not valid JSON; an object key must be a string.")
		}
		field := joinPath(path, key)
		if slices.Contains(keys, key) {
			return nil, roster.Malformed(field, "appears more than once; send each field once")
		}
		keys = append(keys, key)
		if err := walkValue(dec, field, depth); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntaxError(err)
	}
	return keys, nil
}

// walkValue walks one value, named field, inside an object or array.
func walkValue(dec *json.Decoder, field string, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(err)
	}
	switch tok {
	case nil:
		return roster.Malformed(field, "must not be null; send a value of the field's type, or omit the field if it is optional")
	case json.Delim('{'), json.Delim('['):
		if depth >= maxJSONDepth {
			return malformedBody("The request body nests deeper than %d levels; send a flatter object.", maxJSONDepth)
		}
	default:
		return nil
	}
	if tok == json.Delim('{') {
		_, err := walkObject(dec, field, depth+1)
		return err
	}
	for i := 0; dec.More(); i++ {
		if err := walkValue(dec, fmt.Sprintf("%s[%d]", field, i), depth+1); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return syntaxError(err)
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func syntaxError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &roster.Error{Kind: roster.KindMalformed, Err: err,
			Message: fmt.Sprintf("The request body is not valid JSON at byte %d: %s.", se.Offset, strings.TrimPrefix(se.Error(), "json: "))}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &roster.Error{Kind: roster.KindMalformed, Err: err,
			Message: "The request body ends in the middle of the JSON object; send the whole object."}
	}
	return &roster.Error{Kind: roster.KindMalformed, Err: err, Message: "The request body is not valid JSON."}
}

// checkKeys rejects keys that are not in allowed, compared exactly, and
// reports the required keys that are missing. encoding/json matches field
// names case-insensitively, so this check is what rejects "EMAIL" beside
// "email".
func checkKeys(keys, allowed, required []string) error {
	var unknown []roster.FieldError
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, roster.FieldError{Field: k,
				Message: "unknown field; the accepted fields are " + strings.Join(allowed, ", ")})
		}
	}
	if len(unknown) > 0 {
		return &roster.Error{Kind: roster.KindMalformed, Message: "The request body has unknown fields.", Fields: unknown}
	}
	var missing []roster.FieldError
	for _, k := range required {
		if !slices.Contains(keys, k) {
			missing = append(missing, roster.FieldError{Field: k, Message: "is required"})
		}
	}
	if len(missing) > 0 {
		return &roster.Error{Kind: roster.KindInvalid, Message: "The request body misses required fields.", Fields: missing}
	}
	return nil
}

// jsonFieldNames returns the json tag names of the struct that dst points
// to, in field order.
func jsonFieldNames(dst any) []string {
	t := reflect.TypeOf(dst).Elem()
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// decodeError turns an error of json.Decoder.Decode into a malformed field
// error. After checkJSONObject passed, the errors left are values of the
// wrong type.
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		field := roster.FieldError{
			Field:   te.Field,
			Message: fmt.Sprintf("must be %s, got %s", jsonTypeName(te.Type), te.Value),
		}
		return &roster.Error{Kind: roster.KindMalformed, Err: err,
			Message: "The request body has a field of the wrong type.", Fields: []roster.FieldError{field}}
	}
	return &roster.Error{Kind: roster.KindMalformed, Err: err, Message: "The request body does not match the expected fields."}
}

// jsonTypeName names the JSON values that decode into t.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "a " + t.Kind().String()
}
