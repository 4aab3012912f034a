package vparquet

import (
	"fmt"
	"reflect"
	"testing"
)

// Str and Int index the slot fields as arrays: each slot must be the field
// of its name, which holds only while the fields stay consecutive and of
// one type.
func TestDedicatedSlotsAreArrays(t *testing.T) {
	var d DedicatedAttributes
	v := reflect.ValueOf(&d).Elem()
	for i := range StringSlots {
		f := v.FieldByName(fmt.Sprintf("String%02d", i+1))
		if got, want := d.Str(i), f.Addr().Interface().(*[]string); got != want {
			t.Errorf("Str(%d) is not String%02d", i, i+1)
		}
	}
	for i := range IntSlots {
		f := v.FieldByName(fmt.Sprintf("Int%02d", i+1))
		if got, want := d.Int(i), f.Addr().Interface().(*[]int64); got != want {
			t.Errorf("Int(%d) is not Int%02d", i, i+1)
		}
	}
}
