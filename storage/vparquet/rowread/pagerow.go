package rowread

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// pageState reads the rows of one data page v2 forward, decoding only what
// leads up to the rows asked for: levels run by run (counted, not walked),
// values skipped by encoding (fixed widths by index, byte arrays by
// length, dictionary indexes by run, deltas by miniblock), nothing
// decompressed until a value is needed. Asking for the first rows of a
// page costs little; asking for all of them costs what decoding the page
// does.
type pageState struct {
	c       *leaf
	hdr     format.PageHeader
	n       int // levels
	nonNull int

	rep, def levelRuns
	repPos   int // levels of rep.buf looked at for row starts
	rowsSeen int // row starts among them
	lastRow  int // in-page index of the row at rep position lastK0 (-1 none)
	lastK0   int
	defPos   int // levels whose values are counted in vnext
	vnext    int // values before level defPos

	enc        format.Encoding
	packed     []byte // values section as stored
	compressed bool
	size       int    // decompressed size
	data       []byte // values section, decompressed once needed
	body       []byte // decompression buffer
	vpos       int    // values the decoder has passed
	started    bool   // value decoder set up
	plainOff   int    // PLAIN byte arrays: offset of value vpos
	hy         hybrid // dictionary indexes, RLE booleans
	ds         deltaStream
	strs       []byte // DELTA_LENGTH_BYTE_ARRAY: the bytes section
	strOff     int64  // and the offset of value vpos in it
	dict       func() (*Values, error)
	dictv      *Values
	konst      parquet.Value // every value, when the page is constant
	hasKonst   bool
	full       Values // other encodings: the whole page decoded
	prot       pageDecoder

	partial   bool // the page's bytes are its first ones only
	headerLen int
	levelsLen int // repetition and definition level sections
}

// open starts reading the data page in b (header included). dict returns
// the chunk's dictionary (called only for dictionary-encoded pages whose
// values are needed). errUnsupported means the page is for parquet-go.
func (ps *pageState) open(c *leaf, b []byte, dict func() (*Values, error)) error {
	return ps.openPart(c, b, len(b), dict)
}

// errShort means a page's first bytes were not enough: read more of it.
var errShort = errors.New("page read in part: more needed")

// openPart is open for b, the first bytes of a page of size bytes: reading
// values beyond b fails (with errShort or a corruption error) rather than
// reading garbage. The level sections must be in b.
func (ps *pageState) openPart(c *leaf, b []byte, size int, dict func() (*Values, error)) error {
	ps.c, ps.dict, ps.dictv = c, dict, nil
	ps.partial = len(b) < size
	body, hlen, err := ps.prot.headerOf(b, size)
	if err != nil {
		return err
	}
	ps.headerLen = hlen
	ps.hdr = ps.prot.hdr
	h := &ps.hdr
	if h.Type != format.DataPageV2 || !h.DataPageHeaderV2.Valid {
		return errUnsupported
	}
	v2 := &h.DataPageHeaderV2.V
	if v2.NumValues < 0 || v2.NumNulls < 0 || v2.NumNulls > v2.NumValues ||
		v2.RepetitionLevelsByteLength < 0 || v2.DefinitionLevelsByteLength < 0 ||
		int64(v2.RepetitionLevelsByteLength)+int64(v2.DefinitionLevelsByteLength) > int64(h.CompressedPageSize) {
		return fmt.Errorf("data page header: %w", parquet.ErrCorrupted)
	}
	if int64(v2.RepetitionLevelsByteLength)+int64(v2.DefinitionLevelsByteLength) > int64(len(body)) {
		ps.levelsLen = int(v2.RepetitionLevelsByteLength + v2.DefinitionLevelsByteLength)
		return errShort
	}
	ps.n, ps.nonNull = int(v2.NumValues), int(v2.NumValues-v2.NumNulls)
	repLen, defLen := int(v2.RepetitionLevelsByteLength), int(v2.DefinitionLevelsByteLength)
	ps.levelsLen = repLen + defLen
	ps.rep.reset(body[:repLen], c.maxRep, ps.rep.buf, ps.n)
	ps.def.reset(body[repLen:repLen+defLen], c.maxDef, ps.def.buf, ps.n)
	ps.repPos, ps.rowsSeen, ps.lastRow, ps.lastK0, ps.defPos, ps.vnext = 0, 0, -1, 0, 0, 0
	ps.enc = v2.Encoding
	ps.packed = body[repLen+defLen:]
	ps.compressed = !v2.IsCompressed.Valid || v2.IsCompressed.V
	ps.size = int(h.UncompressedPageSize) - repLen - defLen
	ps.data, ps.vpos, ps.started = nil, 0, false
	ps.hasKonst = false
	return nil
}

// rows is the number of rows in the page.
func (ps *pageState) rows() int { return int(ps.hdr.DataPageHeaderV2.V.NumRows) }

// valuesLen is the length of the page's values section (as stored).
func (ps *pageState) valuesLen() int {
	return int(ps.hdr.CompressedPageSize) - ps.levelsLen
}

// setConstant says every value of the page is v (its statistics say so):
// values need no decompressing nor decoding.
func (ps *pageState) setConstant(v parquet.Value) {
	ps.konst, ps.hasKonst = v, true
}

// rowLevels returns the levels [k0, k1) of the page's i-th row; ok is false
// when the page does not hold it (whole). Rows must be asked in ascending
// order.
func (ps *pageState) rowLevels(i int) (k0, k1 int, ok bool, err error) {
	c := ps.c
	if c.maxRep == 0 {
		if i >= ps.n {
			return 0, 0, false, nil
		}
		return i, i + 1, true, nil
	}
	lr := &ps.rep
	k0, k1 = -1, -1
	if i == ps.lastRow {
		k0 = ps.lastK0
	}
	for {
		for k1 < 0 && ps.repPos < len(lr.buf) {
			want := i + 1 - ps.rowsSeen // k0 is the (i+1)-th row start
			if k0 >= 0 {
				want = 1 // k1 is the next one
			}
			j, seen := nthRowStart(lr.buf[ps.repPos:], want)
			if j < 0 {
				ps.rowsSeen += seen
				ps.repPos = len(lr.buf)
				break
			}
			if k0 < 0 {
				k0 = ps.repPos + j
				ps.repPos = k0 + 1
				ps.rowsSeen = i + 1
				ps.lastRow, ps.lastK0 = i, k0
			} else {
				k1 = ps.repPos + j
			}
		}
		if k1 >= 0 {
			break
		}
		more, err := lr.more()
		if err != nil {
			return 0, 0, false, fmt.Errorf("repetition levels: %w", err)
		}
		if !more {
			break
		}
	}
	if k0 < 0 || k0 >= ps.n {
		return 0, 0, false, nil
	}
	if k1 < 0 || k1 > ps.n {
		k1 = ps.n
	}
	// The next row starts where this one ends.
	ps.repPos, ps.rowsSeen = k1, i+1
	return k0, k1, true, nil
}

// appendRow appends the page's i-th row to out; ok is false when the page
// does not hold it. own copies a byte array the row keeps.
func (ps *pageState) appendRow(out parquet.Row, i int, own func(parquet.Kind, []byte) parquet.Value) (parquet.Row, bool, error) {
	c := ps.c
	k0, k1, ok, err := ps.rowLevels(i)
	if err != nil || !ok {
		return out, false, err
	}
	var reps, defs []byte
	if c.maxRep > 0 {
		reps = ps.rep.buf[k0:k1]
	}
	vi, nv := k0, k1-k0
	if c.maxDef > 0 {
		lr := &ps.def
		for len(lr.buf) < k1 {
			more, err := lr.more()
			if err != nil {
				return out, false, fmt.Errorf("definition levels: %w", err)
			}
			if !more {
				return out, false, fmt.Errorf("%d definition levels for %d values: %w", len(lr.buf), ps.n, parquet.ErrCorrupted)
			}
		}
		if k0 < ps.defPos {
			return out, false, fmt.Errorf("row %d asked after a later one", i)
		}
		defs = lr.buf[k0:k1]
		vi = ps.vnext + countDefined(lr.buf[ps.defPos:k0], k0-ps.defPos, c.maxDef)
		nv = countDefined(defs, len(defs), c.maxDef)
		ps.defPos, ps.vnext = k1, vi+nv
	}
	if vi+nv > ps.nonNull {
		return out, false, fmt.Errorf("page has fewer values than levels: %w", parquet.ErrCorrupted)
	}
	if nv > 0 {
		if err := ps.seekValue(vi); err != nil {
			return out, false, err
		}
	}
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
			if v, err = ps.value(own); err != nil {
				return out, false, err
			}
		}
		out = append(out, v.Level(rep, def, c.col))
	}
	return out, true, nil
}

// start sets up the value decoder (decompressing the values section).
func (ps *pageState) start() error {
	ps.started = true
	if ps.hasKonst {
		return nil
	}
	if ps.partial && ps.compressed && ps.c.codec != nil && ps.c.codec.CompressionCodec() != format.Uncompressed {
		ps.started = false
		return errShort // a compressed section is needed whole
	}
	ps.data = ps.packed
	if ps.compressed {
		var err error
		if ps.data, err = decompress(ps.c.codec, &ps.body, ps.packed, ps.size); err != nil {
			return err
		}
	}
	c, data := ps.c, ps.data
	switch ps.enc {
	case format.Plain:
		ps.plainOff = 0
		switch c.kind {
		case parquet.ByteArray:
			return nil
		case parquet.Boolean:
			if (ps.nonNull+7)/8 > len(data) && !ps.partial {
				return ps.short()
			}
			return nil
		}
		if size := fixedSize(c); size <= 0 {
			break
		} else if ps.nonNull*size > len(data) && !ps.partial {
			return ps.short()
		}
		return nil
	case format.RLEDictionary, format.PlainDictionary:
		if ps.dict == nil {
			return fmt.Errorf("dictionary-encoded page without a dictionary: %w", parquet.ErrCorrupted)
		}
		d, err := ps.dict()
		if err != nil {
			return err
		}
		if d == nil {
			return fmt.Errorf("dictionary-encoded page without a dictionary: %w", parquet.ErrCorrupted)
		}
		ps.dictv = d
		if len(data) == 0 || data[0] > 32 {
			return ps.short()
		}
		ps.hy = newHybrid(data[1:], uint(data[0]))
		return nil
	case format.DeltaBinaryPacked:
		if c.kind == parquet.Int32 || c.kind == parquet.Int64 {
			return ps.ds.init(data)
		}
	case format.DeltaLengthByteArray:
		if c.kind == parquet.ByteArray {
			if err := ps.ds.init(data); err != nil {
				return err
			}
			end, err := ps.ds.end()
			if err != nil {
				return err
			}
			ps.strs, ps.strOff = data[end:], 0
			return nil
		}
	case format.RLE:
		if c.kind == parquet.Boolean {
			if len(data) < 4 {
				return ps.short()
			}
			l := int(binary.LittleEndian.Uint32(data))
			if l < 0 || l > len(data)-4 {
				return ps.short()
			}
			ps.hy = newHybrid(data[4:4+l], 1)
			return nil
		}
	}
	// Anything else: decode the whole page.
	enc := ps.enc
	ps.enc = -1
	return ps.full.decode(c, enc, data, ps.nonNull)
}

func (ps *pageState) short() error {
	if ps.partial {
		return errShort
	}
	return fmt.Errorf("%s values section too short: %w", ps.enc, parquet.ErrCorrupted)
}

// seekValue moves the value decoder to value vi (≥ its position).
func (ps *pageState) seekValue(vi int) error {
	if !ps.started {
		if err := ps.start(); err != nil {
			return err
		}
	}
	n := vi - ps.vpos
	if n < 0 {
		return fmt.Errorf("value %d asked after %d", vi, ps.vpos)
	}
	if n == 0 || ps.hasKonst {
		ps.vpos = vi
		return nil
	}
	switch ps.enc {
	case format.Plain:
		if ps.c.kind == parquet.ByteArray {
			data, p := ps.data, ps.plainOff
			for range n {
				if p+4 > len(data) {
					return ps.short()
				}
				l := int(binary.LittleEndian.Uint32(data[p:]))
				if l < 0 || l > len(data)-p-4 {
					return ps.short()
				}
				p += 4 + l
			}
			ps.plainOff = p
		}
	case format.RLEDictionary, format.PlainDictionary, format.RLE:
		if err := ps.hy.pass(n); err != nil {
			return err
		}
	case format.DeltaBinaryPacked:
		if _, err := ps.ds.skip(n); err != nil {
			return err
		}
	case format.DeltaLengthByteArray:
		sum, err := ps.ds.skip(n)
		if err != nil {
			return err
		}
		ps.strOff += sum
	}
	ps.vpos = vi
	return nil
}

// value decodes the next value.
func (ps *pageState) value(own func(parquet.Kind, []byte) parquet.Value) (parquet.Value, error) {
	if !ps.started {
		if err := ps.start(); err != nil {
			return parquet.Value{}, err
		}
	}
	c, data, i := ps.c, ps.data, ps.vpos
	if i >= ps.nonNull {
		return parquet.Value{}, fmt.Errorf("page has fewer values than levels: %w", parquet.ErrCorrupted)
	}
	ps.vpos++
	if ps.hasKonst {
		return ps.konst, nil
	}
	switch ps.enc {
	case format.Plain:
		switch c.kind {
		case parquet.ByteArray:
			p := ps.plainOff
			if p+4 > len(data) {
				return parquet.Value{}, ps.short()
			}
			l := int(binary.LittleEndian.Uint32(data[p:]))
			if l < 0 || l > len(data)-p-4 {
				return parquet.Value{}, ps.short()
			}
			ps.plainOff = p + 4 + l
			return own(parquet.ByteArray, data[p+4:p+4+l]), nil
		case parquet.Boolean:
			if i/8 >= len(data) {
				return parquet.Value{}, ps.short()
			}
			return parquet.BooleanValue(data[i/8]>>(i%8)&1 != 0), nil
		}
		size := fixedSize(c)
		if (i+1)*size > len(data) {
			return parquet.Value{}, ps.short()
		}
		return fixedValue(c, data[i*size:(i+1)*size], own), nil
	case format.RLEDictionary, format.PlainDictionary:
		k, err := ps.hy.next()
		if err != nil {
			return parquet.Value{}, err
		}
		d := ps.dictv
		if int(k) >= d.n {
			return parquet.Value{}, fmt.Errorf("dictionary index %d of %d: %w", k, d.n, parquet.ErrCorrupted)
		}
		v, _ := d.At(int(k))
		if kind := v.Kind(); kind == parquet.ByteArray || kind == parquet.FixedLenByteArray {
			v = own(kind, v.ByteArray())
		}
		return v, nil
	case format.RLE:
		b, err := ps.hy.next()
		if err != nil {
			return parquet.Value{}, err
		}
		return parquet.BooleanValue(b != 0), nil
	case format.DeltaBinaryPacked:
		x, err := ps.ds.value()
		if err != nil {
			return parquet.Value{}, err
		}
		if c.kind == parquet.Int32 {
			return parquet.Int32Value(int32(x)), nil
		}
		return parquet.Int64Value(x), nil
	case format.DeltaLengthByteArray:
		l, err := ps.ds.value()
		if err != nil {
			return parquet.Value{}, err
		}
		off := ps.strOff
		if l < 0 || off < 0 || off+l > int64(len(ps.strs)) {
			return parquet.Value{}, ps.short()
		}
		ps.strOff += l
		return own(parquet.ByteArray, ps.strs[off:off+l]), nil
	}
	v, _ := ps.full.At(i)
	if kind := v.Kind(); kind == parquet.ByteArray || kind == parquet.FixedLenByteArray {
		v = own(kind, v.ByteArray())
	}
	return v, nil
}

// arena hands out copies of byte arrays from shared chunks: rows keep
// their bytes without an allocation each. Chunks are never written twice,
// except after reset, by which time nothing holds what was handed out.
type arena struct {
	b []byte
	// grows: each chunk twice the last, so an arena that is reset and
	// reused settles on one chunk that fits a whole row.
	grows bool
}

func (a *arena) own(kind parquet.Kind, b []byte) parquet.Value {
	if cap(a.b)-len(a.b) < len(b) {
		size := 4096
		if a.grows {
			size = max(size, 2*cap(a.b))
		}
		a.b = make([]byte, 0, max(size, len(b)))
	}
	at := len(a.b)
	a.b = append(a.b, b...)
	c := a.b[at:len(a.b):len(a.b)]
	if kind == parquet.FixedLenByteArray {
		return parquet.FixedLenByteArrayValue(c)
	}
	return parquet.ByteArrayValue(c)
}

// reset makes the arena's last chunk free for reuse.
func (a *arena) reset() { a.b = a.b[:0] }

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

func fixedValue(c *leaf, b []byte, own func(parquet.Kind, []byte) parquet.Value) parquet.Value {
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
	return own(parquet.FixedLenByteArray, b)
}
