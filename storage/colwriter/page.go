package colwriter

import (
	"fmt"
	"math/bits"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// chunk is a column's encoded pages of one row group, dictionary page
// excluded (it is written first, once the row group ends).
type chunk struct {
	pages      segments // data pages, headers included
	locs       []pageLoc
	numValues  int64
	nulls      int64
	unc, comp  int64 // sizes of the data pages, headers included
	lo, hi     []byte
	haveBounds bool
}

type pageLoc struct {
	offset     int // in pages
	size       int // header included
	firstRow   int64
	nulls      int64
	nullPage   bool
	lo, hi     []byte
	haveBounds bool
}

func (ch *chunk) reset() {
	ch.pages.reset()
	ch.locs = ch.locs[:0]
	ch.numValues, ch.nulls, ch.unc, ch.comp = 0, 0, 0, 0
	ch.lo, ch.hi, ch.haveBounds = nil, nil, false
}

// scratch holds the buffers of page encoding, reused across pages.
type scratch struct {
	rep, def, values, compressed, header []byte
	i32                                  []int32
	bits                                 []byte
	enc                                  thrift.CompactProtocol
}

// cutPage encodes the buffered page into the column's chunk.
func (c *Column) cutPage(s *scratch, firstRow int64) error {
	n := c.numValues()
	if n == 0 {
		return nil
	}
	var err error
	s.rep, s.def = s.rep[:0], s.def[:0]
	if c.maxRep > 0 {
		if s.rep, err = encodeLevels(s.rep, c.rep, c.maxRep); err != nil {
			return err
		}
	}
	if c.maxDef > 0 {
		if s.def, err = encodeLevels(s.def, c.def, c.maxDef); err != nil {
			return err
		}
	}
	if s.values, err = c.encodeValues(s); err != nil {
		return fmt.Errorf("column %v: encoding page: %w", c.path, err)
	}
	body, err := c.compress(s)
	if err != nil {
		return fmt.Errorf("column %v: compressing page: %w", c.path, err)
	}

	var stats format.Statistics
	stats.NullCount = int64(c.nulls)
	var lo, hi []byte
	var ok bool
	if c.bounds {
		lo, hi, ok = c.pageBounds()
		if ok {
			stats.Min, stats.Max, stats.MinValue, stats.MaxValue = lo, hi, lo, hi
		}
	}
	h := format.PageHeader{
		Type:                 format.DataPageV2,
		UncompressedPageSize: int32(len(s.rep) + len(s.def) + len(s.values)),
		CompressedPageSize:   int32(len(s.rep) + len(s.def) + len(body)),
	}
	h.DataPageHeaderV2 = thrift.New(format.DataPageHeaderV2{
		NumValues:                  int32(n),
		NumNulls:                   int32(c.nulls),
		NumRows:                    int32(c.rows),
		Encoding:                   c.enc,
		DefinitionLevelsByteLength: int32(len(s.def)),
		RepetitionLevelsByteLength: int32(len(s.rep)),
		IsCompressed:               thrift.New(c.codec != nil),
		Statistics:                 stats,
	})
	if s.header, err = thrift.Marshal(&s.enc, &h); err != nil {
		return err
	}

	ch := &c.chunk
	start := ch.pages.len()
	ch.pages.append(s.header, s.rep, s.def, body)
	ch.locs = append(ch.locs, pageLoc{
		offset: start, size: ch.pages.len() - start, firstRow: firstRow,
		nulls: int64(c.nulls), nullPage: c.nulls == n,
		lo: lo, hi: hi, haveBounds: ok,
	})
	ch.numValues += int64(n)
	ch.nulls += int64(c.nulls)
	ch.unc += int64(len(s.header)) + int64(h.UncompressedPageSize)
	ch.comp += int64(ch.pages.len() - start)
	if ok {
		if !ch.haveBounds || c.compare(lo, ch.lo) < 0 {
			ch.lo = lo
		}
		if !ch.haveBounds || c.compare(hi, ch.hi) > 0 {
			ch.hi = hi
		}
		ch.haveBounds = true
	}
	c.resetPage()
	return nil
}

// encodeValues encodes the page's present values with the column's encoding.
func (c *Column) encodeValues(s *scratch) ([]byte, error) {
	dst := s.values[:0]
	switch c.kind {
	case parquet.Int32:
		s.i32 = s.i32[:0]
		for _, v := range c.ints {
			s.i32 = append(s.i32, int32(v))
		}
		switch c.enc {
		case format.DeltaBinaryPacked:
			return parquet.DeltaBinaryPacked.EncodeInt32(dst, s.i32)
		case format.Plain:
			return parquet.Plain.EncodeInt32(dst, s.i32)
		}
	case parquet.Int64:
		switch c.enc {
		case format.DeltaBinaryPacked:
			return parquet.DeltaBinaryPacked.EncodeInt64(dst, c.ints)
		case format.Plain:
			return parquet.Plain.EncodeInt64(dst, c.ints)
		}
	case parquet.Double:
		if c.enc == format.Plain {
			return parquet.Plain.EncodeDouble(dst, c.doubles)
		}
	case parquet.Boolean:
		if c.enc == format.Plain {
			s.bits = packBools(s.bits[:0], c.bools)
			return parquet.Plain.EncodeBoolean(dst, s.bits)
		}
	case parquet.ByteArray:
		switch c.enc {
		case format.RLEDictionary:
			return parquet.RLEDictionary.EncodeInt32(dst, c.idx)
		case format.DeltaLengthByteArray:
			return parquet.DeltaLengthByteArray.EncodeByteArray(dst, c.data, c.offs)
		case format.Plain:
			return parquet.Plain.EncodeByteArray(dst, c.data, c.offs)
		}
	}
	return nil, fmt.Errorf("no encoder for %v values in %v", c.kind, c.enc)
}

// encodeLevels RLE/bit-packs levels with the width of their maximum, as
// data page v2 stores them (no length prefix).
func encodeLevels(dst, levels []byte, maxLevel byte) ([]byte, error) {
	e := levelEncodings[bits.Len8(maxLevel)]
	return e.EncodeLevels(dst, levels)
}

var levelEncodings = func() (e [9]rleEncoding) {
	for w := range e {
		e[w].BitWidth = w
	}
	return e
}()

// packBools packs booleans LSB first, as PLAIN stores them.
func packBools(dst []byte, v []bool) []byte {
	for i := 0; i < len(v); i += 8 {
		var b byte
		for j := 0; j < 8 && i+j < len(v); j++ {
			b |= *(*byte)(unsafe.Pointer(&v[i+j])) << j
		}
		dst = append(dst, b)
	}
	return dst
}

// compress returns s.values compressed with the column's codec (into
// s.compressed), or as they are for an uncompressed column.
func (c *Column) compress(s *scratch) ([]byte, error) {
	if c.codec == nil {
		return s.values, nil
	}
	var err error
	s.compressed, err = c.codec.Encode(s.compressed[:0], s.values)
	return s.compressed, err
}

// dictionaryPage encodes the row group's dictionary (PLAIN) with its header.
func (c *Column) dictionaryPage(s *scratch) (header, body []byte, uncompressed int, err error) {
	s.values, err = parquet.Plain.EncodeByteArray(s.values[:0], c.dictData, c.dictOffs)
	if err != nil {
		return nil, nil, 0, err
	}
	if body, err = c.compress(s); err != nil {
		return nil, nil, 0, err
	}
	h := format.PageHeader{
		Type:                 format.DictionaryPage,
		UncompressedPageSize: int32(len(s.values)),
		CompressedPageSize:   int32(len(body)),
	}
	h.DictionaryPageHeader = thrift.New(format.DictionaryPageHeader{
		NumValues: int32(len(c.dictOffs) - 1),
		Encoding:  format.Plain,
	})
	if s.header, err = thrift.Marshal(&s.enc, &h); err != nil {
		return nil, nil, 0, err
	}
	return s.header, body, len(s.header) + len(s.values), nil
}
