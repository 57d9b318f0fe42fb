package tektonvalidate

import (
	"encoding/binary"
	"math"
	"reflect"
	"sort"
)

// appendKey appends an encoding of v to b such that two values get the same
// encoding only if reflect.DeepEqual would call them equal: every field,
// exported or not, is encoded; nil and empty slices, maps and pointers are
// told apart; map entries are sorted by their encoded keys. (It is a
// canonical form, not a hash, so there are no collisions to worry about.)
func appendKey(b []byte, v reflect.Value) []byte {
	switch v.Kind() {
	case reflect.Invalid:
		return append(b, 'I')
	case reflect.Bool:
		if v.Bool() {
			return append(b, 'T')
		}
		return append(b, 'F')
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(append(b, 'i'), v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return binary.AppendUvarint(append(b, 'u'), v.Uint())
	case reflect.Float32, reflect.Float64:
		return binary.BigEndian.AppendUint64(append(b, 'f'), math.Float64bits(v.Float()))
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		b = binary.BigEndian.AppendUint64(append(b, 'c'), math.Float64bits(real(c)))
		return binary.BigEndian.AppendUint64(b, math.Float64bits(imag(c)))
	case reflect.String:
		s := v.String()
		b = binary.AppendUvarint(append(b, 's'), uint64(len(s)))
		return append(b, s...)
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, 'n')
		}
		return appendKey(append(b, 'p'), v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			return append(b, 'n')
		}
		e := v.Elem()
		t := e.Type().String()
		b = binary.AppendUvarint(append(b, 'e'), uint64(len(t)))
		return appendKey(append(b, t...), e)
	case reflect.Slice:
		if v.IsNil() {
			return append(b, 'N')
		}
		fallthrough
	case reflect.Array:
		b = binary.AppendUvarint(append(b, 'l'), uint64(v.Len()))
		if v.Type().Elem().Kind() == reflect.Uint8 {
			for i := 0; i < v.Len(); i++ {
				b = append(b, byte(v.Index(i).Uint()))
			}
			return b
		}
		for i := 0; i < v.Len(); i++ {
			b = appendKey(b, v.Index(i))
		}
		return b
	case reflect.Map:
		if v.IsNil() {
			return append(b, 'N')
		}
		entries := make([][]byte, 0, v.Len())
		it := v.MapRange()
		for it.Next() {
			e := appendKey(nil, it.Key())
			n := len(e)
			e = appendKey(e, it.Value())
			entries = append(entries, binary.AppendUvarint(nil, uint64(n)))
			entries[len(entries)-1] = append(entries[len(entries)-1], e...)
		}
		sort.Slice(entries, func(i, j int) bool { return string(entries[i]) < string(entries[j]) })
		b = binary.AppendUvarint(append(b, 'm'), uint64(len(entries)))
		for _, e := range entries {
			b = append(b, e...)
		}
		return b
	case reflect.Struct:
		b = append(b, '{')
		for i := 0; i < v.NumField(); i++ {
			b = appendKey(b, v.Field(i))
		}
		return append(b, '}')
	default:
		// Func, Chan, UnsafePointer: not in API types. Encode the address,
		// which only makes such values never compare equal to others.
		return binary.AppendUvarint(append(b, '?'), uint64(v.Pointer()))
	}
}

// walkStrings calls fn on every string in v, map keys included.
func walkStrings(v reflect.Value, fn func(string)) {
	switch v.Kind() {
	case reflect.String:
		fn(v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), fn)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			bs := make([]byte, v.Len())
			for i := range bs {
				bs[i] = byte(v.Index(i).Uint())
			}
			fn(string(bs))
			return
		}
		for i := 0; i < v.Len(); i++ {
			walkStrings(v.Index(i), fn)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			walkStrings(it.Key(), fn)
			walkStrings(it.Value(), fn)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			walkStrings(v.Field(i), fn)
		}
	}
}
