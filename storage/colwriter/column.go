package colwriter

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/format"
)

// Column buffers one leaf column's levels and values until its page is cut.
// Its methods do nothing on a nil Column, so callers write a pruned column
// without checking for it.
//
// A value is written with its repetition level only: a value is present
// exactly when its definition level is the column's maximum.
type Column struct {
	// Written for every value, so kept together at the start, in as few
	// cache lines as possible: a row touches every column once per span,
	// more columns than the L1 cache holds lines for, and these fields
	// were spread over three lines each.
	maxRep, maxDef byte
	dict           bool
	rep, def       []byte
	pageBytes      int                // unencoded size, for cutting pages
	rows           int                // rows started in the page
	nulls          int                // levels without a value
	idx            []int32            // dictionary indexes (dictionary columns)
	ints           []int64            // INT32 (widened) and INT64 values
	recent         *[recentSize]int32 // dictionary index+1 by cheap hash
	dictOffs       []uint32
	dictData       []byte

	// The rest of the page being filled.
	doubles []float64 // DOUBLE values
	bools   []bool    // BOOLEAN values
	data    []byte    // BYTE_ARRAY values, concatenated (non-dictionary columns)
	offs    []uint32  // len(values)+1 offsets into data

	// The rest of the row group's dictionary (dictionary columns).
	dictIndex map[string]int32

	path     []string
	kind     parquet.Kind
	unsigned bool            // INT32/INT64 holding unsigned integers: stats compare unsigned
	enc      format.Encoding // of data pages
	codec    compress.Codec  // nil: uncompressed
	bounds   bool            // page bounds go to the column index and page headers

	chunk chunk // encoded pages of the row group
}

// Repetition and definition maxima of the column.
func (c *Column) MaxRep() byte { return c.maxRep }
func (c *Column) MaxDef() byte { return c.maxDef }

func (c *Column) levels(rep, def byte) {
	if c.maxRep > 0 {
		c.rep = append(c.rep, rep)
	}
	if c.maxDef > 0 {
		c.def = append(c.def, def)
	}
	if rep == 0 {
		c.rows++
	}
	c.pageBytes += 2
}

// Null writes a missing value at the given levels (def < MaxDef).
func (c *Column) Null(rep, def byte) {
	if c == nil {
		return
	}
	c.levels(rep, def)
	c.nulls++
}

// Int64 writes an INT64 value.
func (c *Column) Int64(rep byte, v int64) {
	if c == nil {
		return
	}
	c.levels(rep, c.maxDef)
	c.ints = append(c.ints, v)
	c.pageBytes += 8
}

// Int32 writes an INT32 value.
func (c *Column) Int32(rep byte, v int32) {
	if c == nil {
		return
	}
	c.levels(rep, c.maxDef)
	c.ints = append(c.ints, int64(v))
	c.pageBytes += 4
}

// Uint32 writes an INT32 value holding an unsigned integer.
func (c *Column) Uint32(rep byte, v uint32) { c.Int32(rep, int32(v)) }

// Uint64 writes an INT64 value holding an unsigned integer.
func (c *Column) Uint64(rep byte, v uint64) { c.Int64(rep, int64(v)) }

// Double writes a DOUBLE value.
func (c *Column) Double(rep byte, v float64) {
	if c == nil {
		return
	}
	c.levels(rep, c.maxDef)
	c.doubles = append(c.doubles, v)
	c.pageBytes += 8
}

// Bool writes a BOOLEAN value.
func (c *Column) Bool(rep byte, v bool) {
	if c == nil {
		return
	}
	c.levels(rep, c.maxDef)
	c.bools = append(c.bools, v)
	c.pageBytes++
}

// String writes a BYTE_ARRAY value.
func (c *Column) String(rep byte, v string) {
	if c == nil {
		return
	}
	c.levels(rep, c.maxDef)
	if c.dict {
		c.idx = append(c.idx, c.lookup(v))
		c.pageBytes += 4
		return
	}
	c.data = append(c.data, v...)
	c.offs = append(c.offs, uint32(len(c.data)))
	c.pageBytes += 4 + len(v)
}

// Bytes writes a BYTE_ARRAY value.
func (c *Column) Bytes(rep byte, v []byte) {
	if c == nil {
		return
	}
	if c.dict {
		// Looked up in place; a new value is copied into the map's key.
		c.String(rep, unsafe.String(unsafe.SliceData(v), len(v)))
		return
	}
	c.levels(rep, c.maxDef)
	c.data = append(c.data, v...)
	c.offs = append(c.offs, uint32(len(c.data)))
	c.pageBytes += 4 + len(v)
}

// numValues is the number of levels (values and nulls) in the page.
func (c *Column) numValues() int {
	switch {
	case c.maxDef > 0:
		return len(c.def)
	case c.maxRep > 0:
		return len(c.rep)
	}
	return c.rows
}

func (c *Column) resetPage() {
	c.rep, c.def = c.rep[:0], c.def[:0]
	c.ints, c.doubles, c.bools = c.ints[:0], c.doubles[:0], c.bools[:0]
	c.data, c.offs = c.data[:0], c.offs[:1]
	c.idx = c.idx[:0]
	c.rows, c.nulls, c.pageBytes = 0, 0, 0
}

func (c *Column) resetRowGroup() {
	c.resetPage()
	if c.dict {
		clear(c.dictIndex)
		clear(c.recent[:])
		c.dictData, c.dictOffs = c.dictData[:0], c.dictOffs[:1]
	}
	c.chunk.reset()
}

// bounds of the page's values in their plain encoding (ok false: no value).
func (c *Column) pageBounds() (lo, hi []byte, ok bool) {
	switch c.kind {
	case parquet.Int32, parquet.Int64:
		if len(c.ints) == 0 {
			return nil, nil, false
		}
		mn, mx := c.ints[0], c.ints[0]
		for _, v := range c.ints[1:] {
			if c.less(v, mn) {
				mn = v
			}
			if c.less(mx, v) {
				mx = v
			}
		}
		return c.plainInt(mn), c.plainInt(mx), true
	case parquet.Double:
		mn, mx, any := math.Inf(1), math.Inf(-1), false
		for _, v := range c.doubles {
			if v != v { // NaN orders nowhere
				continue
			}
			any = true
			mn, mx = min(mn, v), max(mx, v)
		}
		if !any {
			return nil, nil, false
		}
		// The spec's rule for zeros: the min is -0, the max +0.
		if mn == 0 {
			mn = math.Copysign(0, -1)
		}
		if mx == 0 {
			mx = 0
		}
		return le64(math.Float64bits(mn)), le64(math.Float64bits(mx)), true
	case parquet.Boolean:
		if len(c.bools) == 0 {
			return nil, nil, false
		}
		var f, t bool
		for _, v := range c.bools {
			if v {
				t = true
			} else {
				f = true
			}
		}
		return []byte{b2u(!f)}, []byte{b2u(t)}, true
	case parquet.ByteArray:
		if c.dict {
			if len(c.idx) == 0 {
				return nil, nil, false
			}
			mn, mx := c.idx[0], c.idx[0]
			for _, i := range c.idx[1:] {
				if i == mn || i == mx {
					continue
				}
				v := c.dictValue(i)
				if bytes.Compare(v, c.dictValue(mn)) < 0 {
					mn = i
				} else if bytes.Compare(v, c.dictValue(mx)) > 0 {
					mx = i
				}
			}
			return clone(c.dictValue(mn)), clone(c.dictValue(mx)), true
		}
		n := len(c.offs) - 1
		if n == 0 {
			return nil, nil, false
		}
		mn, mx := 0, 0
		for i := 1; i < n; i++ {
			v := c.data[c.offs[i]:c.offs[i+1]]
			if bytes.Compare(v, c.data[c.offs[mn]:c.offs[mn+1]]) < 0 {
				mn = i
			} else if bytes.Compare(v, c.data[c.offs[mx]:c.offs[mx+1]]) > 0 {
				mx = i
			}
		}
		return clone(c.data[c.offs[mn]:c.offs[mn+1]]), clone(c.data[c.offs[mx]:c.offs[mx+1]]), true
	}
	return nil, nil, false
}

func (c *Column) dictValue(i int32) []byte { return c.dictData[c.dictOffs[i]:c.dictOffs[i+1]] }

// less orders two values of an integer column by its sign.
func (c *Column) less(a, b int64) bool {
	if c.unsigned {
		if c.kind == parquet.Int32 {
			return uint32(a) < uint32(b)
		}
		return uint64(a) < uint64(b)
	}
	return a < b
}

// compare orders two plain-encoded bounds of the column.
func (c *Column) compare(a, b []byte) int {
	switch c.kind {
	case parquet.Int32:
		x, y := int64(int32(leUint(a))), int64(int32(leUint(b)))
		if c.unsigned {
			x, y = int64(uint32(x)), int64(uint32(y))
		}
		return cmpInt(x, y)
	case parquet.Int64:
		x, y := leUint(a), leUint(b)
		if c.unsigned {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
		return cmpInt(int64(x), int64(y))
	case parquet.Double:
		x, y := math.Float64frombits(leUint(a)), math.Float64frombits(leUint(b))
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return bytes.Compare(a, b)
}

func (c *Column) plainInt(v int64) []byte {
	if c.kind == parquet.Int32 {
		u := uint32(v)
		return []byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24)}
	}
	return le64(uint64(v))
}

func le64(u uint64) []byte {
	return []byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24), byte(u >> 32), byte(u >> 40), byte(u >> 48), byte(u >> 56)}
}

func leUint(b []byte) uint64 {
	var u uint64
	for i := len(b) - 1; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	return u
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func clone(b []byte) []byte { return append(make([]byte, 0, len(b)), b...) }

// recentSize slots cache dictionary indexes in front of the map: a value
// seen before is found by a hash of its length and outer bytes and one
// comparison, without hashing it whole (the map lookup was the shredder's
// largest cost). Any miss falls back to the map, so values alike in those
// bytes cost one comparison more, never a wrong index.
const recentSize = 256

func (c *Column) lookup(v string) int32 {
	slot := cheapHash(v) >> (64 - 8)
	if e := c.recent[slot]; e != 0 {
		i := e - 1
		if v == unsafe.String(unsafe.SliceData(c.dictData[c.dictOffs[i]:]), int(c.dictOffs[i+1]-c.dictOffs[i])) {
			return i
		}
	}
	i, ok := c.dictIndex[v]
	if !ok {
		i = int32(len(c.dictOffs) - 1)
		c.dictIndex[strings.Clone(v)] = i // v may alias the caller's memory
		c.dictData = append(c.dictData, v...)
		c.dictOffs = append(c.dictOffs, uint32(len(c.dictData)))
	}
	c.recent[slot] = i + 1
	return i
}

func cheapHash(v string) uint64 {
	n := len(v)
	var a, b uint64
	if n >= 8 {
		// 8-byte loads of the first and last bytes, without a copy.
		bs := unsafe.Slice(unsafe.StringData(v), n)
		a = binary.LittleEndian.Uint64(bs)
		b = binary.LittleEndian.Uint64(bs[n-8:])
	} else {
		for i := 0; i < n; i++ {
			a |= uint64(v[i]) << (8 * i)
		}
	}
	return (a*0x9E3779B97F4A7C15 ^ b*0xC2B2AE3D27D4EB4F ^ uint64(n)*0x165667B19E3779F9) * 0xD6E8FEB86659FD93
}
