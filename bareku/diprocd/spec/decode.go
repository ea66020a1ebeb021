package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// fields maps each accepted key of a JSON object to the function that
// decodes its value.
type fields map[string]func(json.RawMessage) error

// decodeObject decodes raw, which must be a JSON object, key by key. Keys
// are visited in sorted order so that the first error reported does not
// depend on map iteration.
func decodeObject(raw json.RawMessage, fs fields) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return errors.New("not a JSON object")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return jsonErr(err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, ok := fs[k]
		if !ok {
			return fmt.Errorf("unknown key %q", k)
		}
		if err := f(m[k]); err != nil {
			return fmt.Errorf("key %q: %w", k, err)
		}
	}
	return nil
}

// jsonErr shortens encoding/json's messages to what a user needs.
func jsonErr(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d: %s", se.Offset, se.Error())
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("want %s, got JSON %s", te.Type, te.Value)
	}
	return err
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func str(dst *string) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		if isNull(raw) {
			return errors.New("want a string, got null")
		}
		return jsonErr(json.Unmarshal(raw, dst))
	}
}

func strs(dst *[]string) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		if isNull(raw) {
			*dst = nil
			return nil
		}
		return jsonErr(json.Unmarshal(raw, dst))
	}
}

func strMap(dst *map[string]string) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		if isNull(raw) {
			*dst = nil
			return nil
		}
		return jsonErr(json.Unmarshal(raw, dst))
	}
}

func integer(dst *int64) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
			return fmt.Errorf("want an integer, got %.20s", raw)
		}
		var n json.Number
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&n); err != nil {
			return jsonErr(err)
		}
		v, err := n.Int64()
		if err != nil {
			return fmt.Errorf("want an integer, got %s", n)
		}
		*dst = v
		return nil
	}
}

func intField(dst *int) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		var v int64
		if err := integer(&v)(raw); err != nil {
			return err
		}
		*dst = int(v)
		return nil
	}
}

func dur(dst *Duration) func(json.RawMessage) error {
	return func(raw json.RawMessage) error { return dst.UnmarshalJSON(raw) }
}

// Duration is a time.Duration written in JSON as a Go duration string
// ("1.5s", "200ms", "1m").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string; negative durations are refused.
func (d *Duration) UnmarshalJSON(raw []byte) error {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"5s\", got %s", strings.TrimSpace(string(raw)))
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("bad duration %q", s)
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", s)
	}
	*d = Duration(v)
	return nil
}
