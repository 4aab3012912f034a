package receiver

import (
	"runtime"
	"testing"
	"time"

	"github.com/tempoctl/tempoctl/internal/slab"
)

// A request refused at parsing gives its slab claim back at once; a parsed
// one holds it until its batch is collected.
func TestParseReleasesSlab(t *testing.T) {
	const size = 1 << 20
	for _, tc := range []struct {
		name string
		body []byte
		ok   bool
	}{
		{"malformed", []byte{0x0a, 0x05, 0xff}, false},
		{"empty request", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := slab.New(size, 1)
			raw, ref := a.Alloc(size / 8)
			clear(raw)
			copy(raw, tc.body)
			raw = raw[:len(tc.body)]
			b := &base{}
			batch, err := b.parse("t", raw, ref)
			if (err == nil) != tc.ok {
				t.Fatalf("parse: %v", err)
			}
			fill := func() {
				for range 8 { // past the first slab, so it is no longer carved
					_, r := a.Alloc(size / 8)
					r.Release()
				}
			}
			fill()
			_, pooled := a.Stats()
			if !tc.ok {
				if pooled != 1 {
					t.Fatalf("refused request's slab not released: %d pooled", pooled)
				}
				return
			}
			if pooled != 0 {
				t.Fatal("slab released while its batch is alive")
			}
			runtime.KeepAlive(batch)
			batch = nil
			for deadline := time.Now().Add(5 * time.Second); pooled != 1; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("slab not released after its batch was collected")
				}
				runtime.GC()
				_, pooled = a.Stats()
			}
		})
	}
}
