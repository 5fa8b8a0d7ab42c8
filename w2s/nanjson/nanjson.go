// Package nanjson marshals Go values to JSON with NaN and ±Inf floats
// written as null (encoding/json refuses them), for results where an
// undefined metric is a normal outcome.
package nanjson

import (
	"encoding/json"
	"math"
	"reflect"
)

// MarshalIndent is json.MarshalIndent with non-finite floats as null.
func MarshalIndent(v any, prefix, indent string) ([]byte, error) {
	return json.MarshalIndent(convert(reflect.ValueOf(v)), prefix, indent)
}

// convert rebuilds v from maps, slices and basic values, replacing
// non-finite floats by nil. Struct fields keep their JSON names.
func convert(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if m, ok := v.Interface().(json.Marshaler); ok && v.Kind() != reflect.Pointer {
		return m
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return convert(v.Elem())
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := f.Name
			if tag := f.Tag.Get("json"); tag != "" {
				tagName, _, _ := cutComma(tag)
				if tagName == "-" {
					continue
				}
				if tagName != "" {
					name = tagName
				}
			}
			out[name] = convert(v.Field(i))
		}
		return out
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Interface()
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = convert(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := map[string]any{}
		iter := v.MapRange()
		for iter.Next() {
			k, _ := json.Marshal(iter.Key().Interface())
			key := string(k)
			if iter.Key().Kind() == reflect.String {
				key = iter.Key().String()
			}
			out[key] = convert(iter.Value())
		}
		return out
	}
	return v.Interface()
}

func cutComma(s string) (string, string, bool) {
	for i := range s {
		if s[i] == ',' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
