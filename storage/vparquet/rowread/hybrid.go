package rowread

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/rle"
)

// hybrid walks parquet's RLE / bit-packed hybrid encoding (dictionary
// indexes, RLE booleans; levels through levelRuns) value by value, passing
// runs and groups of values without decoding them.
type hybrid struct {
	src   []byte
	width uint // bits per value, ≤ 32

	rle    bool
	left   int    // values left in the current run
	val    uint32 // value of the current RLE run
	packed []byte // bit-packed run: its remaining bytes
	bit    uint   // bit offset of the next value in packed
}

func newHybrid(src []byte, width uint) hybrid {
	return hybrid{src: src, width: width}
}

var errHybrid = fmt.Errorf("truncated RLE/bit-packed data: %w", parquet.ErrCorrupted)

// run loads the next run; false at the end of the data.
func (h *hybrid) run() (bool, error) {
	if len(h.src) == 0 {
		return false, nil
	}
	head, n := binary.Uvarint(h.src)
	if n <= 0 || head>>1 > 1<<31 {
		return false, errHybrid
	}
	h.src = h.src[n:]
	if head&1 == 0 {
		size := int(h.width+7) / 8
		if len(h.src) < size {
			return false, errHybrid
		}
		var v uint32
		for i := size - 1; i >= 0; i-- {
			v = v<<8 | uint32(h.src[i])
		}
		h.rle, h.left, h.val = true, int(head>>1), v
		h.src = h.src[size:]
		return true, nil
	}
	groups := int(head >> 1)
	size := groups * int(h.width)
	if size > len(h.src) {
		// Writers may end the last run early; take what is there.
		size = len(h.src) / max(int(h.width), 1) * int(h.width)
		groups = size / max(int(h.width), 1)
	}
	h.rle, h.left, h.packed, h.bit = false, groups*8, h.src[:size], 0
	h.src = h.src[size:]
	return true, nil
}

// at extracts the bit-packed value at bit offset off.
func (h *hybrid) at(off uint) uint32 {
	if h.width == 0 {
		return 0
	}
	i := off / 8
	var w [8]byte
	copy(w[:], h.packed[i:])
	return uint32(binary.LittleEndian.Uint64(w[:])>>(off%8)) & (1<<h.width - 1)
}

// next returns the next value.
func (h *hybrid) next() (uint32, error) {
	for h.left == 0 {
		ok, err := h.run()
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, errHybrid
		}
	}
	h.left--
	if h.rle {
		return h.val, nil
	}
	v := h.at(h.bit)
	h.bit += h.width
	return v, nil
}

// pass moves past n values.
func (h *hybrid) pass(n int) error {
	for n > 0 {
		if h.left == 0 {
			ok, err := h.run()
			if err != nil {
				return err
			}
			if !ok {
				return errHybrid
			}
			continue
		}
		k := min(n, h.left)
		if !h.rle {
			h.bit += uint(k) * h.width
		}
		h.left -= k
		n -= k
	}
	return nil
}

// levelRuns decodes a levels section run by run, on demand: a lookup
// decodes the levels up to its row, not the page's.
type levelRuns struct {
	h     hybrid
	enc   rle.Encoding
	buf   []byte // levels decoded so far
	tmp   []byte
	limit int // levels in the section (corrupt runs claim more)
}

func (l *levelRuns) reset(src []byte, maxLevel int, buf []byte, limit int) {
	w := bits.Len8(uint8(maxLevel))
	l.h = newHybrid(src, uint(w))
	l.enc = rle.Encoding{BitWidth: w}
	l.buf = buf[:0]
	l.limit = limit
}

// more decodes the next run; false at the end of the section.
func (l *levelRuns) more() (bool, error) {
	start := l.h.src
	ok, err := l.h.run()
	if !ok || err != nil {
		return false, err
	}
	if len(l.buf)+l.h.left > l.limit+8 { // bit-packed runs round up to 8
		return false, errHybrid
	}
	if l.h.rle {
		n, v := l.h.left, byte(l.h.val)
		at := len(l.buf)
		l.buf = slices.Grow(l.buf, n)[:at+n]
		fill(l.buf[at:], v)
	} else {
		// The run alone is a valid stream for the vectorized decoder.
		run := start[:len(start)-len(l.h.src)]
		if l.tmp, err = l.enc.DecodeLevels(l.tmp[:0], run); err != nil {
			return false, err
		}
		l.buf = append(l.buf, l.tmp[:min(len(l.tmp), l.h.left)]...)
	}
	l.h.left = 0
	return true, nil
}

// fill sets every byte of b to v.
func fill(b []byte, v byte) {
	if len(b) == 0 {
		return
	}
	if v == 0 {
		clear(b)
		return
	}
	b[0] = v
	for k := 1; k < len(b); k *= 2 {
		copy(b[k:], b[:k])
	}
}
