package rowread

import (
	"errors"
	"fmt"
	"hash/crc32"
	"math/bits"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// errUnsupported marks a page this decoder leaves to parquet-go (data page
// v1, encrypted columns, unusual types); the caller falls back to a Cursor.
var errUnsupported = errors.New("page layout not handled by the raw decoder")

// leaf is what decoding a column chunk's pages needs, from the footer.
type leaf struct {
	col     int
	kind    parquet.Kind
	typeLen int
	maxRep  int
	maxDef  int
	codec   compress.Codec
}

func leafOf(fc *parquet.FileColumnChunk) (leaf, bool) {
	col, ok := fc.Node().(*parquet.Column)
	if !ok {
		return leaf{}, false
	}
	return leaf{
		col:     fc.Column(),
		kind:    col.Type().Kind(),
		typeLen: col.Type().Length(),
		maxRep:  col.MaxRepetitionLevel(),
		maxDef:  col.MaxDefinitionLevel(),
		codec:   col.Compression(),
	}, true
}

// pageDecoder decodes pages from their bytes (header included) into
// buffers it reuses from page to page.
type pageDecoder struct {
	prot     thrift.CompactProtocol
	hdr      format.PageHeader
	rep, def []byte
	n        int // levels (values, nulls included) of the data page
	body     []byte
	vals     Values
	dict     Values
	dictBody []byte
}

// header decodes the page header at the start of b and returns the page's
// body.
func (pd *pageDecoder) header(b []byte) ([]byte, error) {
	body, _, err := pd.headerOf(b, len(b))
	return body, err
}

// headerOf decodes the page header at the start of b, the first bytes of a
// page of size bytes, and returns the part of the body that b holds and
// the header's length. The checksum is verified only on a whole page.
func (pd *pageDecoder) headerOf(b []byte, size int) ([]byte, int, error) {
	n, ok := parsePageHeader(b, &pd.hdr)
	if !ok {
		r := pd.prot.NewReaderFromBytes(b)
		pd.hdr = format.PageHeader{}
		if err := thrift.NewDecoder(r).Decode(&pd.hdr); err != nil {
			return nil, 0, fmt.Errorf("page header: %w", err)
		}
		n = int(r.BytesRead())
	}
	h := &pd.hdr
	if h.CompressedPageSize < 0 || h.UncompressedPageSize < 0 || int64(n)+int64(h.CompressedPageSize) > int64(size) {
		return nil, 0, fmt.Errorf("page of %d bytes does not fit in %d: %w", h.CompressedPageSize, size-n, parquet.ErrCorrupted)
	}
	body := b[n:min(len(b), n+int(h.CompressedPageSize))]
	if len(b) < size {
		return body, n, nil
	}
	if h.CRC != 0 && uint32(h.CRC) != crc32.ChecksumIEEE(body) {
		return nil, 0, fmt.Errorf("page checksum mismatch: %w", parquet.ErrCorrupted)
	}
	return body, n, nil
}

// dictionary decodes a dictionary page; ok is false when b starts with
// another kind of page.
func (pd *pageDecoder) dictionary(c *leaf, b []byte) (ok bool, err error) {
	body, err := pd.header(b)
	if err != nil {
		return false, err
	}
	h := &pd.hdr
	if h.Type != format.DictionaryPage {
		return false, nil
	}
	if !h.DictionaryPageHeader.Valid || h.DictionaryPageHeader.V.NumValues < 0 {
		return false, fmt.Errorf("dictionary page header: %w", parquet.ErrCorrupted)
	}
	dh := &h.DictionaryPageHeader.V
	if dh.Encoding != format.Plain && dh.Encoding != format.PlainDictionary {
		return false, errUnsupported
	}
	data, err := decompress(c.codec, &pd.dictBody, body, int(h.UncompressedPageSize))
	if err != nil {
		return false, err
	}
	if err := pd.dict.decode(c, format.Plain, data, int(dh.NumValues)); err != nil {
		return false, fmt.Errorf("dictionary: %w", err)
	}
	return true, nil
}

// decodeDictionary decodes the dictionary page in b, or returns nil when b
// holds no dictionary page.
func (pd *pageDecoder) decodeDictionary(c *leaf, b []byte) (*Values, error) {
	ok, err := pd.dictionary(c, b)
	if err != nil || !ok {
		return nil, err
	}
	return &pd.dict, nil
}

// dataPage decodes a data page v2: levels into pd.rep and pd.def, values
// into pd.vals. hasDict says whether pd.dict holds the chunk's dictionary.
func (pd *pageDecoder) dataPage(c *leaf, b []byte, hasDict bool) error {
	body, err := pd.header(b)
	if err != nil {
		return err
	}
	h := &pd.hdr
	if h.Type != format.DataPageV2 || !h.DataPageHeaderV2.Valid {
		return errUnsupported
	}
	v2 := &h.DataPageHeaderV2.V
	if v2.NumValues < 0 || v2.NumNulls < 0 || v2.NumNulls > v2.NumValues ||
		v2.RepetitionLevelsByteLength < 0 || v2.DefinitionLevelsByteLength < 0 ||
		int64(v2.RepetitionLevelsByteLength)+int64(v2.DefinitionLevelsByteLength) > int64(len(body)) {
		return fmt.Errorf("data page header: %w", parquet.ErrCorrupted)
	}
	n := int(v2.NumValues)
	pd.n = n
	repLen, defLen := int(v2.RepetitionLevelsByteLength), int(v2.DefinitionLevelsByteLength)
	pd.rep, err = decodeLevels(pd.rep, body[:repLen], c.maxRep, n)
	if err != nil {
		return fmt.Errorf("repetition levels: %w", err)
	}
	pd.def, err = decodeLevels(pd.def, body[repLen:repLen+defLen], c.maxDef, n)
	if err != nil {
		return fmt.Errorf("definition levels: %w", err)
	}
	data := body[repLen+defLen:]
	if !v2.IsCompressed.Valid || v2.IsCompressed.V {
		size := int(h.UncompressedPageSize) - repLen - defLen
		if data, err = decompress(c.codec, &pd.body, data, size); err != nil {
			return err
		}
	}
	nonNull := n - int(v2.NumNulls)
	switch v2.Encoding {
	case format.RLEDictionary, format.PlainDictionary:
		if !hasDict {
			return fmt.Errorf("dictionary-encoded page without a dictionary: %w", parquet.ErrCorrupted)
		}
		return pd.vals.decodeIndexes(data, nonNull, &pd.dict)
	}
	return pd.vals.decode(c, v2.Encoding, data, nonNull)
}

// decodeLevels decodes n RLE levels of a column whose maximum level is max
// (none when max is 0).
func decodeLevels(dst, src []byte, max, n int) ([]byte, error) {
	if max == 0 {
		return dst[:0], nil
	}
	if max > 255 {
		return dst[:0], parquet.ErrCorrupted
	}
	enc := rle.Encoding{BitWidth: bits.Len8(uint8(max))}
	out, err := enc.DecodeLevels(dst[:0], src)
	if err != nil {
		return out, err
	}
	if len(out) < n {
		return out, fmt.Errorf("%d levels for %d values: %w", len(out), n, parquet.ErrCorrupted)
	}
	return out[:n], nil
}

// maxPageSize bounds what a page header may ask to allocate.
const maxPageSize = 1 << 30

// decompress returns src decompressed into *buf (grown as needed), or src
// itself for an uncompressed column: *buf is only ever memory of its own,
// never the page bytes.
func decompress(codec compress.Codec, buf *[]byte, src []byte, size int) ([]byte, error) {
	if codec == nil || codec.CompressionCodec() == format.Uncompressed {
		return src, nil
	}
	if size < 0 || size > maxPageSize {
		return nil, fmt.Errorf("page of %d bytes: %w", size, parquet.ErrCorrupted)
	}
	if cap(*buf) < size {
		*buf = make([]byte, size, size+size/4)
	}
	out, err := codec.Decode((*buf)[:size], src)
	if err != nil {
		return nil, fmt.Errorf("decompressing page: %w", err)
	}
	if cap(out) > cap(*buf) {
		*buf = out[:0]
	}
	return out, nil
}

// rawBufs are a Values' own buffers for pages decoded here (Reset points a
// Values at parquet-go's page memory instead, which must not be written).
type rawBufs struct {
	i32   []int32
	i64   []int64
	f64   []float64
	bytes []byte
	offs  []uint32
}

// decode fills d with n values of the column's physical type from src.
func (d *Values) decode(c *leaf, enc format.Encoding, src []byte, n int) error {
	e := parquet.LookupEncoding(enc)
	b := &d.raw
	*d = Values{raw: d.raw, boxed: d.boxed[:0], n: n}
	var err error
	switch c.kind {
	case parquet.Boolean:
		d.kind = encoding.Boolean
		b.bytes, err = e.DecodeBoolean(b.bytes[:0], src)
		d.bits = b.bytes
		if err == nil && (n+7)/8 > len(d.bits) {
			err = fmt.Errorf("%d bytes for %d booleans: %w", len(d.bits), n, parquet.ErrCorrupted)
		}
	case parquet.Int32:
		d.kind = encoding.Int32
		b.i32, err = e.DecodeInt32(b.i32[:0], src)
		d.i32 = b.i32
		err = enough(err, len(d.i32), n)
	case parquet.Int64:
		d.kind = encoding.Int64
		b.i64, err = e.DecodeInt64(b.i64[:0], src)
		d.i64 = b.i64
		err = enough(err, len(d.i64), n)
	case parquet.Double:
		d.kind = encoding.Double
		b.f64, err = e.DecodeDouble(b.f64[:0], src)
		d.f64 = b.f64
		err = enough(err, len(d.f64), n)
	case parquet.ByteArray:
		d.kind = encoding.ByteArray
		b.bytes, b.offs, err = e.DecodeByteArray(b.bytes[:0], src, b.offs[:0])
		d.bytes, d.offs = b.bytes, b.offs
		err = enough(err, len(d.offs)-1, n)
	case parquet.FixedLenByteArray:
		if c.typeLen <= 0 {
			return errUnsupported
		}
		d.kind = encoding.FixedLenByteArray
		b.bytes, err = e.DecodeFixedLenByteArray(b.bytes[:0], src, c.typeLen)
		d.bytes, d.fixed = b.bytes, c.typeLen
		err = enough(err, len(d.bytes)/c.typeLen, n)
	default:
		return errUnsupported
	}
	if errors.Is(err, encoding.ErrNotSupported) {
		return errUnsupported
	}
	return err
}

// decodeIndexes fills d with n dictionary indexes into dict.
func (d *Values) decodeIndexes(src []byte, n int, dict *Values) error {
	b := &d.raw
	*d = Values{raw: d.raw, boxed: d.boxed[:0], n: n, kind: encoding.Int32, dictv: dict}
	var err error
	b.i32, err = new(rle.DictionaryEncoding).DecodeInt32(b.i32[:0], src)
	d.i32 = b.i32
	if err = enough(err, len(d.i32), n); err != nil {
		return err
	}
	for _, k := range d.i32[:n] {
		if uint32(k) >= uint32(dict.n) {
			return fmt.Errorf("dictionary index %d of %d: %w", k, dict.n, parquet.ErrCorrupted)
		}
	}
	return nil
}

func enough(err error, got, n int) error {
	if err == nil && got < n {
		err = fmt.Errorf("%d values where the header says %d: %w", got, n, parquet.ErrCorrupted)
	}
	return err
}
