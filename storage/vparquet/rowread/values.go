package rowread

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// Values are one page's non-null values as typed arrays: boxing every value
// through a parquet.ValueReader costs more than most uses of it.
type Values struct {
	n     int
	kind  encoding.Kind
	dict  parquet.Dictionary
	i32   []int32
	i64   []int64
	f64   []float64
	bytes []byte
	offs  []uint32
	fixed int
	bits  []byte          // booleans, bit-packed from bit 0 (fresh pages are never sliced)
	boxed []parquet.Value // anything else: read through Values()
	// dictv is a dictionary decoded by this package (raw pages).
	dictv *Values
	raw   rawBufs
}

// Len is the number of non-null values.
func (d *Values) Len() int { return d.n }

// Reset points d at page p's values.
func (d *Values) Reset(p parquet.Page) error {
	*d = Values{boxed: d.boxed[:0], dict: p.Dictionary(), raw: d.raw}
	data := p.Data()
	d.kind = data.Kind()
	switch {
	case d.dict != nil && d.kind == encoding.Int32:
		d.i32 = data.Int32()
		d.n = len(d.i32)
		return nil
	case d.dict != nil:
		return fmt.Errorf("dictionary page with %s indexes", d.kind)
	}
	switch d.kind {
	case encoding.Int32:
		d.i32 = data.Int32()
		d.n = len(d.i32)
	case encoding.Int64:
		d.i64 = data.Int64()
		d.n = len(d.i64)
	case encoding.Double:
		d.f64 = data.Double()
		d.n = len(d.f64)
	case encoding.ByteArray:
		d.bytes, d.offs = data.ByteArray()
		d.n = max(len(d.offs)-1, 0)
	case encoding.FixedLenByteArray:
		d.bytes, d.fixed = data.FixedLenByteArray()
		if d.fixed > 0 {
			d.n = len(d.bytes) / d.fixed
		}
	case encoding.Boolean:
		d.bits = data.Boolean()
		d.n = int(p.NumValues() - p.NumNulls())
		if (d.n+7)/8 > len(d.bits) {
			return fmt.Errorf("boolean page holds %d bytes for %d values", len(d.bits), d.n)
		}
	default:
		d.kind = encoding.Undefined
		vr := p.Values()
		buf := make([]parquet.Value, 256)
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				if !v.IsNull() {
					d.boxed = append(d.boxed, v)
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
		}
		d.n = len(d.boxed)
	}
	return nil
}

// At returns the i-th non-null value and its dictionary index (-1 without).
// Byte slices point into the page.
func (d *Values) At(i int) (parquet.Value, int32) {
	if d.dict != nil {
		k := d.i32[i]
		return d.dict.Index(k), k
	}
	if d.dictv != nil {
		k := d.i32[i]
		v, _ := d.dictv.At(int(k))
		return v, k
	}
	switch d.kind {
	case encoding.Int32:
		return parquet.Int32Value(d.i32[i]), -1
	case encoding.Int64:
		return parquet.Int64Value(d.i64[i]), -1
	case encoding.Double:
		return parquet.DoubleValue(d.f64[i]), -1
	case encoding.ByteArray:
		return parquet.ByteArrayValue(d.bytes[d.offs[i]:d.offs[i+1]]), -1
	case encoding.FixedLenByteArray:
		return parquet.FixedLenByteArrayValue(d.bytes[i*d.fixed : (i+1)*d.fixed]), -1
	case encoding.Boolean:
		return parquet.BooleanValue(d.bits[i>>3]>>(i&7)&1 != 0), -1
	}
	return d.boxed[i], -1
}
