package rowread

import (
	"encoding/binary"

	"github.com/parquet-go/parquet-go/format"
)

// parsePageHeader reads the page header at the start of b (thrift compact
// protocol) into h, for the headers a reader here meets: a data page v2 or
// a dictionary page. It fills what this package reads and skips the rest
// (the statistics, which parquet-go's generic decoder would allocate). ok
// is false for anything else, a header it has not seen whole or one with
// an unexpected field, and the caller then decodes with parquet-go: the
// outcome, a header or an error, is parquet-go's in every case.
func parsePageHeader(b []byte, h *format.PageHeader) (n int, ok bool) {
	*h = format.PageHeader{}
	p := compactReader{b: b}
	var seen uint32
	last := int16(0)
	for {
		id, typ, stop := p.field(&last)
		if stop || p.bad {
			break
		}
		seen |= 1 << uint(id&31)
		switch {
		case id == 1 && typ == ctI32:
			h.Type = format.PageType(p.i32())
		case id == 2 && typ == ctI32:
			h.UncompressedPageSize = p.i32()
		case id == 3 && typ == ctI32:
			h.CompressedPageSize = p.i32()
		case id == 4 && typ == ctI32:
			h.CRC = p.i32()
		case id == 7 && typ == ctStruct:
			if !p.dictionaryHeader(&h.DictionaryPageHeader.V) {
				return 0, false
			}
			h.DictionaryPageHeader.Valid = true
		case id == 8 && typ == ctStruct:
			if !p.dataPageHeaderV2(&h.DataPageHeaderV2.V) {
				return 0, false
			}
			h.DataPageHeaderV2.Valid = true
		default:
			return 0, false
		}
	}
	const required = 1<<1 | 1<<2 | 1<<3
	dict, v2 := seen&(1<<7) != 0, seen&(1<<8) != 0
	if p.bad || seen&required != required || dict == v2 {
		return 0, false
	}
	return p.at, true
}

// Compact protocol field types.
const (
	ctTrue   = 1
	ctFalse  = 2
	ctByte   = 3
	ctI16    = 4
	ctI32    = 5
	ctI64    = 6
	ctDouble = 7
	ctBinary = 8
	ctList   = 9
	ctSet    = 10
	ctMap    = 11
	ctStruct = 12
)

// compactReader reads thrift's compact protocol; bad is set on anything
// short or malformed.
type compactReader struct {
	b   []byte
	at  int
	bad bool
}

func (p *compactReader) byte() byte {
	if p.at >= len(p.b) {
		p.bad = true
		return 0
	}
	c := p.b[p.at]
	p.at++
	return c
}

func (p *compactReader) uvarint() uint64 {
	v, n := binary.Uvarint(p.b[min(p.at, len(p.b)):])
	if n <= 0 {
		p.bad = true
		return 0
	}
	p.at += n
	return v
}

func (p *compactReader) i64() int64 {
	v := p.uvarint()
	return int64(v>>1) ^ -int64(v&1)
}

func (p *compactReader) i32() int32 {
	v := p.i64()
	if v != int64(int32(v)) {
		p.bad = true
	}
	return int32(v)
}

// field reads a field header: its id, its type, or the struct's end.
func (p *compactReader) field(last *int16) (id int16, typ byte, stop bool) {
	c := p.byte()
	if c == 0 || p.bad {
		return 0, 0, true
	}
	typ = c & 0x0f
	if d := int16(c >> 4); d != 0 {
		id = *last + d
	} else {
		v := p.i64()
		if v != int64(int16(v)) {
			p.bad = true
		}
		id = int16(v)
	}
	*last = id
	return id, typ, false
}

// bool reads a boolean field's value (held in its type).
func (p *compactReader) bool(typ byte) bool {
	switch typ {
	case ctTrue:
		return true
	case ctFalse:
		return false
	}
	p.bad = true
	return false
}

// skip passes a value of type typ.
func (p *compactReader) skip(typ byte, depth int) {
	if depth > 16 {
		p.bad = true
		return
	}
	switch typ {
	case ctTrue, ctFalse:
	case ctByte:
		p.byte()
	case ctI16: // range checked as parquet-go does
		if v := p.i64(); v != int64(int16(v)) {
			p.bad = true
		}
	case ctI32:
		p.i32()
	case ctI64:
		p.uvarint()
	case ctDouble:
		p.skipBytes(8)
	case ctBinary:
		p.skipBytes(p.uvarint())
	case ctList, ctSet:
		h := p.byte()
		size, et := uint64(h>>4), h&0x0f
		if size == 15 {
			size = p.uvarint()
		}
		for i := uint64(0); i < size && !p.bad; i++ {
			p.skipElem(et, depth+1)
		}
	case ctMap:
		size := p.uvarint()
		if size == 0 {
			return
		}
		kv := p.byte()
		for i := uint64(0); i < size && !p.bad; i++ {
			p.skipElem(kv>>4, depth+1)
			p.skipElem(kv&0x0f, depth+1)
		}
	case ctStruct:
		last := int16(0)
		for !p.bad {
			_, t, stop := p.field(&last)
			if stop {
				return
			}
			p.skip(t, depth+1)
		}
	default:
		p.bad = true
	}
}

// skipElem passes an element of a list, set or map, where a boolean is a
// byte of its own.
func (p *compactReader) skipElem(typ byte, depth int) {
	if typ == ctTrue || typ == ctFalse {
		p.byte()
		return
	}
	p.skip(typ, depth)
}

func (p *compactReader) skipBytes(n uint64) {
	if n > uint64(len(p.b)-p.at) {
		p.bad = true
		return
	}
	p.at += int(n)
}

func (p *compactReader) dictionaryHeader(h *format.DictionaryPageHeader) bool {
	var seen uint32
	last := int16(0)
	for {
		id, typ, stop := p.field(&last)
		if stop || p.bad {
			break
		}
		seen |= 1 << uint(id&31)
		switch {
		case id == 1 && typ == ctI32:
			h.NumValues = p.i32()
		case id == 2 && typ == ctI32:
			h.Encoding = format.Encoding(p.i32())
		case id == 3 && (typ == ctTrue || typ == ctFalse):
			h.IsSorted = p.bool(typ)
		default:
			return false
		}
	}
	return !p.bad && seen&(1<<1|1<<2) == 1<<1|1<<2
}

func (p *compactReader) dataPageHeaderV2(h *format.DataPageHeaderV2) bool {
	var seen uint32
	last := int16(0)
	for {
		id, typ, stop := p.field(&last)
		if stop || p.bad {
			break
		}
		seen |= 1 << uint(id&31)
		switch {
		case id >= 1 && id <= 6 && typ == ctI32:
			v := p.i32()
			switch id {
			case 1:
				h.NumValues = v
			case 2:
				h.NumNulls = v
			case 3:
				h.NumRows = v
			case 4:
				h.Encoding = format.Encoding(v)
			case 5:
				h.DefinitionLevelsByteLength = v
			case 6:
				h.RepetitionLevelsByteLength = v
			}
		case id == 7 && (typ == ctTrue || typ == ctFalse):
			h.IsCompressed.V, h.IsCompressed.Valid = p.bool(typ), true
		case id == 8 && typ == ctStruct:
			p.skip(ctStruct, 0) // statistics: not read here
		default:
			return false
		}
	}
	const required = 1<<1 | 1<<2 | 1<<3 | 1<<4 | 1<<5 | 1<<6
	return !p.bad && seen&required == required
}
