package store_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"vendo/app"
)

// TestMemoClonesCoverEveryReference: the memos (memo.go) hand each reader
// a copy made by a clone function written by hand, which copies the
// slices and maps these records have today. A new slice, map or pointer
// field would be shared between readers, one customer's in-memory edit
// reaching another request, unless its clone copies it too: this test
// lists the reference fields and fails when the list changes, so the
// clone is looked at.
func TestMemoClonesCoverEveryReference(t *testing.T) {
	for typ, want := range map[reflect.Type][]string{
		reflect.TypeFor[app.Session]():     nil,
		reflect.TypeFor[app.Customer]():    {"Identities"}, // slices.Clone: Identity holds no reference
		reflect.TypeFor[app.Entitlement](): {"Served"},     // maps.Clone: int64 values
	} {
		var got []string
		var walk func(reflect.Type, string)
		walk = func(rt reflect.Type, path string) {
			if rt == reflect.TypeFor[time.Time]() { // its *Location is shared and never changed
				return
			}
			switch rt.Kind() {
			case reflect.Struct:
				for i := range rt.NumField() {
					f := rt.Field(i)
					p := f.Name
					if path != "" {
						p = path + "." + f.Name
					}
					walk(f.Type, p)
				}
			case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func:
				got = append(got, path)
				if rt.Kind() == reflect.Slice || rt.Kind() == reflect.Map || rt.Kind() == reflect.Pointer {
					walk(rt.Elem(), path+"[]")
				}
			}
		}
		walk(typ, "")
		if !slices.Equal(got, want) {
			t.Errorf("%s has reference fields %q, the memo's clone copies %q: update newMemos in memo.go, then this list", typ, got, want)
		}
	}
}
