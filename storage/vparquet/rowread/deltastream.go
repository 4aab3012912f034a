package rowread

import (
	"encoding/binary"
	"fmt"

	"github.com/parquet-go/bitpack"
	"github.com/parquet-go/parquet-go"
)

var errDelta = fmt.Errorf("bad DELTA_BINARY_PACKED data: %w", parquet.ErrCorrupted)

var zeroPad [bitpack.PaddingInt64]byte

// deltaStream decodes a DELTA_BINARY_PACKED stream forward, one miniblock
// unpacked at a time: what lies beyond the last value asked for is never
// unpacked. Arithmetic wraps as the column's width does once the caller
// truncates.
type deltaStream struct {
	src       []byte
	p         int // next unread byte
	perMini   int
	miniCount int
	total     int   // values in the stream
	next      int   // index of the next value
	cur       int64 // value next-1

	minDelta int64
	widths   []byte // of the current block
	mb       int    // next miniblock of the block
	deltas   []int64
	di, dn   int // next and count of the unpacked deltas
	body     []byte
}

func (d *deltaStream) init(src []byte) error {
	*d = deltaStream{src: src, deltas: d.deltas, body: d.body}
	blockSize, ok1 := d.uvarint()
	miniCount, ok2 := d.uvarint()
	total, ok3 := d.uvarint()
	if !ok1 || !ok2 || !ok3 || miniCount == 0 || blockSize == 0 || blockSize%miniCount != 0 || total > 1<<31 || blockSize > 1<<20 {
		return errDelta
	}
	first, n := binary.Varint(src[d.p:])
	if n <= 0 {
		return errDelta
	}
	d.p += n
	d.perMini, d.miniCount, d.total = int(blockSize/miniCount), int(miniCount), int(total)
	if d.perMini%32 != 0 {
		return errDelta
	}
	d.cur = first
	if cap(d.deltas) < d.perMini {
		d.deltas = make([]int64, d.perMini)
	}
	d.deltas = d.deltas[:d.perMini]
	return nil
}

func (d *deltaStream) uvarint() (uint64, bool) {
	v, n := binary.Uvarint(d.src[d.p:])
	if n <= 0 {
		return 0, false
	}
	d.p += n
	return v, true
}

// value returns the next value.
func (d *deltaStream) value() (int64, error) {
	if d.next >= d.total {
		return 0, errDelta
	}
	if d.next > 0 {
		if d.di == d.dn {
			if err := d.unpack(); err != nil {
				return 0, err
			}
		}
		d.cur += d.minDelta + d.deltas[d.di]
		d.di++
	}
	d.next++
	return d.cur, nil
}

// skip passes n values and returns their sum.
func (d *deltaStream) skip(n int) (int64, error) {
	var sum int64
	if n > 0 && d.next == 0 {
		v, err := d.value()
		if err != nil {
			return 0, err
		}
		sum += v
		n--
	}
	if d.next+n > d.total {
		return 0, errDelta
	}
	for n > 0 {
		if d.di == d.dn {
			if err := d.unpack(); err != nil {
				return 0, err
			}
		}
		k := min(n, d.dn-d.di)
		cur, md := d.cur, d.minDelta
		for _, x := range d.deltas[d.di : d.di+k] {
			cur += md + x
			sum += cur
		}
		d.cur = cur
		d.di += k
		d.next += k
		n -= k
	}
	return sum, nil
}

// unpack loads the next miniblock's deltas.
func (d *deltaStream) unpack() error {
	left := d.total - d.next // deltas still to come (value next-1 is known)
	if left <= 0 {
		return errDelta
	}
	if d.mb == len(d.widths) {
		md, n := binary.Varint(d.src[d.p:])
		if n <= 0 || d.p+n+d.miniCount > len(d.src) {
			return errDelta
		}
		d.p += n
		d.minDelta = md
		d.widths = d.src[d.p : d.p+d.miniCount]
		d.p += d.miniCount
		d.mb = 0
	}
	w := d.widths[d.mb]
	d.mb++
	if w > 64 {
		return errDelta
	}
	size := d.perMini * int(w) / 8
	if d.p+size > len(d.src) {
		return errDelta
	}
	if w == 0 {
		clear(d.deltas)
	} else {
		// The unpacker reads up to 32 bytes past its input.
		d.body = append(append(d.body[:0], d.src[d.p:d.p+size]...), zeroPad[:]...)
		bitpack.Unpack(d.deltas, d.body, uint(w))
	}
	d.p += size
	d.di, d.dn = 0, min(d.perMini, left)
	return nil
}

// end returns the length in bytes of the whole stream, reading only block
// headers past the current position (the stream's values are not needed
// any further).
func (d *deltaStream) end() (int, error) {
	left := d.total - d.next - (d.dn - d.di)
	if d.next == 0 && d.total > 0 {
		left = d.total - 1
	}
	p, mb, widths := d.p, d.mb, d.widths
	for left > 0 {
		if mb == len(widths) {
			_, n := binary.Varint(d.src[p:])
			if n <= 0 || p+n+d.miniCount > len(d.src) {
				return 0, errDelta
			}
			p += n
			widths = d.src[p : p+d.miniCount]
			p += d.miniCount
			mb = 0
		}
		w := widths[mb]
		mb++
		if w > 64 {
			return 0, errDelta
		}
		p += d.perMini * int(w) / 8
		left -= min(d.perMini, left)
	}
	if p > len(d.src) {
		return 0, errDelta
	}
	return p, nil
}
