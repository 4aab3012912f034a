package rowread

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// pageRow appends the i-th row of the data page v2 in b to out, decoding
// only what leads up to it: levels are counted, not materialized, before
// the row; values are skipped by encoding (fixed widths by index, byte
// arrays by length, dictionary indexes by run, deltas by miniblock) and
// none are decoded (nor decompressed) when the row holds only nulls. dict
// is the chunk's dictionary page, if any.
func (rb *rowBufs) pageRow(out parquet.Row, c *leaf, b []byte, i int, dict []byte) (parquet.Row, error) {
	pd := &rb.pd
	body, err := pd.header(b)
	if err != nil {
		return out, err
	}
	h := &pd.hdr
	if h.Type != format.DataPageV2 || !h.DataPageHeaderV2.Valid {
		return out, errUnsupported
	}
	v2 := &h.DataPageHeaderV2.V
	if v2.NumValues < 0 || v2.NumNulls < 0 || v2.NumNulls > v2.NumValues ||
		v2.RepetitionLevelsByteLength < 0 || v2.DefinitionLevelsByteLength < 0 ||
		int64(v2.RepetitionLevelsByteLength)+int64(v2.DefinitionLevelsByteLength) > int64(len(body)) {
		return out, fmt.Errorf("data page header: %w", parquet.ErrCorrupted)
	}
	n := int(v2.NumValues)
	repLen, defLen := int(v2.RepetitionLevelsByteLength), int(v2.DefinitionLevelsByteLength)

	// The row's levels: [k0, k1).
	k0, k1 := i, i+1
	var reps, defs []byte
	if c.maxRep > 0 {
		lr := &rb.levels
		lr.reset(body[:repLen], c.maxRep, rb.reps)
		pos, starts := 0, 0 // levels looked at, row starts among them
		k0, k1 = -1, -1
		for {
			for k1 < 0 && pos < len(lr.buf) {
				want := i + 1 - starts // k0 is the (i+1)-th row start
				if k0 >= 0 {
					want = 1 // k1 is the next one
				}
				j, c := nthRowStart(lr.buf[pos:], want)
				if j < 0 {
					starts += c
					pos = len(lr.buf)
					break
				}
				if k0 < 0 {
					k0, pos = pos+j, pos+j+1
				} else {
					k1 = pos + j
				}
			}
			if k1 >= 0 {
				break
			}
			more, err := lr.more()
			if err != nil {
				return out, fmt.Errorf("repetition levels: %w", err)
			}
			if !more {
				break
			}
		}
		if k0 < 0 || k0 >= n {
			return out, errUnsupported // not a whole row here: parquet-go reads on
		}
		if k1 < 0 || k1 > n {
			k1 = n
		}
		rb.reps = lr.buf
		reps = lr.buf[k0:k1]
	} else if i >= n {
		return out, errUnsupported
	}
	vi := k0 // values before the row
	nv := 0  // values in the row
	if c.maxDef > 0 {
		lr := &rb.levels
		lr.reset(body[repLen:repLen+defLen], c.maxDef, rb.defs)
		for len(lr.buf) < k1 {
			more, err := lr.more()
			if err != nil {
				return out, fmt.Errorf("definition levels: %w", err)
			}
			if !more {
				return out, fmt.Errorf("%d definition levels for %d values: %w", len(lr.buf), n, parquet.ErrCorrupted)
			}
		}
		rb.defs = lr.buf
		defs = lr.buf[k0:k1]
		vi = countDefined(lr.buf[:k0], k0, c.maxDef)
		nv = countDefined(defs, len(defs), c.maxDef)
	} else {
		nv = k1 - k0
	}
	if vi+nv > n-int(v2.NumNulls) {
		return out, fmt.Errorf("page has fewer values than levels: %w", parquet.ErrCorrupted)
	}

	// The row's values.
	vals := rb.vals[:0]
	if nv > 0 {
		data := body[repLen+defLen:]
		if !v2.IsCompressed.Valid || v2.IsCompressed.V {
			size := int(h.UncompressedPageSize) - repLen - defLen
			if data, err = decompress(c.codec, &pd.body, data, size); err != nil {
				return out, err
			}
		}
		if vals, err = rb.values(vals, c, v2.Encoding, data, vi, nv, n-int(v2.NumNulls), dict); err != nil {
			return out, err
		}
	}
	rb.vals = vals
	for j := range k1 - k0 {
		rep, def := 0, c.maxDef
		if reps != nil {
			rep = int(reps[j])
		}
		if defs != nil {
			def = int(defs[j])
		}
		var v parquet.Value
		if def == c.maxDef {
			v = vals[0]
			vals = vals[1:]
		}
		out = append(out, v.Level(rep, def, c.col))
	}
	return out, nil
}

// values appends values [vi, vi+nv) of a page's values section (nonNull in
// all) to dst; byte arrays are copied to the arena.
func (rb *rowBufs) values(dst []parquet.Value, c *leaf, enc format.Encoding, data []byte, vi, nv, nonNull int, dict []byte) ([]parquet.Value, error) {
	short := func() error {
		return fmt.Errorf("%s values section too short: %w", enc, parquet.ErrCorrupted)
	}
	switch enc {
	case format.Plain:
		if c.kind == parquet.ByteArray {
			p := 0
			for j := 0; j < vi+nv; j++ {
				if p+4 > len(data) {
					return dst, short()
				}
				l := int(binary.LittleEndian.Uint32(data[p:]))
				p += 4
				if l < 0 || l > len(data)-p {
					return dst, short()
				}
				if j >= vi {
					dst = append(dst, rb.bytesValue(parquet.ByteArray, data[p:p+l]))
				}
				p += l
			}
			return dst, nil
		}
		if c.kind == parquet.Boolean {
			if (vi+nv+7)/8 > len(data) {
				return dst, short()
			}
			for j := vi; j < vi+nv; j++ {
				dst = append(dst, parquet.BooleanValue(data[j/8]>>(j%8)&1 != 0))
			}
			return dst, nil
		}
		size := fixedSize(c)
		if size <= 0 {
			return dst, errUnsupported
		}
		if (vi+nv)*size > len(data) {
			return dst, short()
		}
		for j := vi; j < vi+nv; j++ {
			dst = append(dst, rb.fixedValue(c, data[j*size:(j+1)*size]))
		}
		return dst, nil

	case format.RLEDictionary, format.PlainDictionary:
		if dict == nil {
			return dst, fmt.Errorf("dictionary-encoded page without a dictionary: %w", parquet.ErrCorrupted)
		}
		ok, err := rb.pd.dictionary(c, dict)
		if err != nil {
			return dst, err
		}
		if !ok {
			return dst, fmt.Errorf("dictionary-encoded page without a dictionary: %w", parquet.ErrCorrupted)
		}
		if len(data) == 0 || data[0] > 32 {
			return dst, short()
		}
		h := newHybrid(data[1:], uint(data[0]))
		if err := h.pass(vi); err != nil {
			return dst, err
		}
		d := &rb.pd.dict
		for range nv {
			k, err := h.next()
			if err != nil {
				return dst, err
			}
			if int(k) >= d.n {
				return dst, fmt.Errorf("dictionary index %d of %d: %w", k, d.n, parquet.ErrCorrupted)
			}
			v, _ := d.At(int(k))
			if v.Kind() == parquet.ByteArray || v.Kind() == parquet.FixedLenByteArray {
				v = rb.bytesValue(v.Kind(), v.ByteArray())
			}
			dst = append(dst, v)
		}
		return dst, nil

	case format.DeltaBinaryPacked:
		if c.kind != parquet.Int32 && c.kind != parquet.Int64 {
			break
		}
		var err error
		at := len(rb.ints)
		rb.ints, _, _, err = deltaRange(data, vi, vi+nv, false, rb.ints, &rb.delta)
		if err != nil {
			return dst, err
		}
		for _, x := range rb.ints[at:] {
			if c.kind == parquet.Int32 {
				dst = append(dst, parquet.Int32Value(int32(x)))
			} else {
				dst = append(dst, parquet.Int64Value(x))
			}
		}
		rb.ints = rb.ints[:at]
		return dst, nil

	case format.DeltaLengthByteArray:
		if c.kind != parquet.ByteArray {
			break
		}
		at := len(rb.ints)
		var off int64
		var end int
		var err error
		rb.ints, off, end, err = deltaRange(data, vi, vi+nv, true, rb.ints, &rb.delta)
		if err != nil {
			return dst, err
		}
		strs := data[end:]
		for _, l := range rb.ints[at:] {
			if l < 0 || off+l > int64(len(strs)) || off < 0 {
				return dst, short()
			}
			dst = append(dst, rb.bytesValue(parquet.ByteArray, strs[off:off+l]))
			off += l
		}
		rb.ints = rb.ints[:at]
		return dst, nil

	case format.RLE:
		if c.kind != parquet.Boolean {
			break
		}
		if len(data) < 4 {
			return dst, short()
		}
		l := int(binary.LittleEndian.Uint32(data))
		if l < 0 || l > len(data)-4 {
			return dst, short()
		}
		h := newHybrid(data[4:4+l], 1)
		if err := h.pass(vi); err != nil {
			return dst, err
		}
		for range nv {
			b, err := h.next()
			if err != nil {
				return dst, err
			}
			dst = append(dst, parquet.BooleanValue(b != 0))
		}
		return dst, nil
	}
	// Anything else: decode the whole page.
	if err := rb.pd.vals.decode(c, enc, data, nonNull); err != nil {
		return dst, err
	}
	for j := vi; j < vi+nv; j++ {
		v, _ := rb.pd.vals.At(j)
		if v.Kind() == parquet.ByteArray || v.Kind() == parquet.FixedLenByteArray {
			v = rb.bytesValue(v.Kind(), v.ByteArray())
		}
		dst = append(dst, v)
	}
	return dst, nil
}

// fixedSize is the width of a PLAIN value of the column, 0 if not fixed.
func fixedSize(c *leaf) int {
	switch c.kind {
	case parquet.Int32, parquet.Float:
		return 4
	case parquet.Int64, parquet.Double:
		return 8
	case parquet.Int96:
		return 12
	case parquet.FixedLenByteArray:
		return c.typeLen
	}
	return 0
}

func (rb *rowBufs) fixedValue(c *leaf, b []byte) parquet.Value {
	switch c.kind {
	case parquet.Int32:
		return parquet.Int32Value(int32(binary.LittleEndian.Uint32(b)))
	case parquet.Float:
		return parquet.FloatValue(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case parquet.Int64:
		return parquet.Int64Value(int64(binary.LittleEndian.Uint64(b)))
	case parquet.Double:
		return parquet.DoubleValue(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	case parquet.Int96:
		return parquet.Int96Value(deprecated.Int96{binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:])})
	}
	return rb.bytesValue(parquet.FixedLenByteArray, b)
}

// bytesValue is a byte-array value holding a copy of b (the row outlives
// the page buffers).
func (rb *rowBufs) bytesValue(kind parquet.Kind, b []byte) parquet.Value {
	at := len(rb.arena)
	rb.arena = append(rb.arena, b...)
	own := rb.arena[at:len(rb.arena):len(rb.arena)]
	if kind == parquet.FixedLenByteArray {
		return parquet.FixedLenByteArrayValue(own)
	}
	return parquet.ByteArrayValue(own)
}
