package model

import (
	"strings"
	"testing"
)

func TestParseTraceID(t *testing.T) {
	tests := []struct {
		in      string
		want    string // full 32-char hex
		text    string
		wantErr string
	}{
		{in: "4595c8056ef50999d3b7e5ce62fc2dae", want: "4595c8056ef50999d3b7e5ce62fc2dae", text: "4595c8056ef50999d3b7e5ce62fc2dae"},
		{in: "4595C8056EF50999D3B7E5CE62FC2DAE", want: "4595c8056ef50999d3b7e5ce62fc2dae", text: "4595c8056ef50999d3b7e5ce62fc2dae"},
		{in: "abcd", want: "0000000000000000000000000000abcd", text: "abcd"},
		{in: "abc", want: "00000000000000000000000000000abc", text: "abc"},
		{in: "00000000000000000abcdef000000001", want: "00000000000000000abcdef000000001", text: "abcdef000000001"},
		{in: "0", want: "00000000000000000000000000000000", text: ""},
		{in: "", wantErr: "empty"},
		{in: "xyz", wantErr: "not hex"},
		{in: strings.Repeat("a", 33), wantErr: "longer than 32"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			id, err := ParseTraceID(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.String() != tt.want {
				t.Errorf("String() = %s, want %s", id, tt.want)
			}
			if id.Text() != tt.text {
				t.Errorf("Text() = %q, want %q", id.Text(), tt.text)
			}
		})
	}
}

func TestTraceIDFromBytes(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"8 bytes left-padded", []byte{1, 2, 3, 4, 5, 6, 7, 8}, "00000000000000000102030405060708"},
		{"16 bytes as is", []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, "0102030405060708090a0b0c0d0e0f10"},
		{"longer keeps last 16", append([]byte{0xff, 0xee}, make([]byte, 16)...), "00000000000000000000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TraceIDFromBytes(tt.in).String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTraceIDCompare(t *testing.T) {
	a, _ := ParseTraceID("01")
	b, _ := ParseTraceID("0100")
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Fatalf("compare order wrong: %d %d %d", a.Compare(b), b.Compare(a), a.Compare(a))
	}
}
