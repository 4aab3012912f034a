package rowread

import (
	"bytes"
	"testing"
)

func TestNthRowStart(t *testing.T) {
	long := bytes.Repeat([]byte{0, 1, 2, 2}, 300) // 300 rows of 4 levels
	tests := []struct {
		name      string
		rep       []byte
		n         int
		want      int
		wantCount int
	}{
		{"first", []byte{0, 1, 0}, 1, 0, 1},
		{"second", []byte{0, 1, 0}, 2, 2, 2},
		{"missing", []byte{0, 1, 1}, 2, -1, 1},
		{"none", []byte{1, 1}, 1, -1, 0},
		{"empty", nil, 1, -1, 0},
		{"past a block", long, 100, 396, 100},
		{"last", long, 300, 1196, 300},
		{"beyond", long, 301, -1, 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, count := nthRowStart(tt.rep, tt.n)
			if got != tt.want || count != tt.wantCount {
				t.Fatalf("nthRowStart = %d, %d; want %d, %d", got, count, tt.want, tt.wantCount)
			}
		})
	}
}

func TestCountDefined(t *testing.T) {
	if got := countDefined(nil, 5, 2); got != 5 {
		t.Fatalf("no levels: %d", got)
	}
	if got := countDefined([]byte{2, 1, 2, 0, 2}, 5, 2); got != 3 {
		t.Fatalf("levels: %d", got)
	}
}
