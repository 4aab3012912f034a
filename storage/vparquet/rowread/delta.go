package rowread

import (
	"encoding/binary"
	"fmt"

	"github.com/parquet-go/bitpack"
	"github.com/parquet-go/parquet-go"
)

var errDelta = fmt.Errorf("bad DELTA_BINARY_PACKED data: %w", parquet.ErrCorrupted)

var zeroPad [bitpack.PaddingInt64]byte

// deltaScratch holds one miniblock's unpacked deltas (and the padding the
// unpacker reads past its input).
type deltaScratch struct {
	body   []byte
	deltas []int64
}

// deltaRange decodes values [from, to) of a DELTA_BINARY_PACKED stream
// into dst, and returns the sum of the values before from (DELTA_LENGTH_
// BYTE_ARRAY's offset of value from) and, when wantEnd, the stream's
// length in bytes. Miniblocks after to are not unpacked; without wantEnd
// they are not even looked at. Arithmetic wraps as the column's width does
// once the caller truncates.
func deltaRange(src []byte, from, to int, wantEnd bool, dst []int64, sc *deltaScratch) (vals []int64, sumBefore int64, end int, err error) {
	p := 0
	uv := func() (uint64, bool) {
		v, n := binary.Uvarint(src[p:])
		if n <= 0 {
			return 0, false
		}
		p += n
		return v, true
	}
	blockSize, ok1 := uv()
	miniCount, ok2 := uv()
	total, ok3 := uv()
	if !ok1 || !ok2 || !ok3 || miniCount == 0 || blockSize == 0 || blockSize%miniCount != 0 || total > 1<<31 || blockSize > 1<<20 {
		return dst, 0, 0, errDelta
	}
	first, n := binary.Varint(src[p:])
	if n <= 0 {
		return dst, 0, 0, errDelta
	}
	p += n
	perMini := int(blockSize / miniCount)
	if perMini%32 != 0 {
		return dst, 0, 0, errDelta
	}
	if to > int(total) || from > to {
		return dst, 0, 0, fmt.Errorf("values [%d, %d) of %d: %w", from, to, total, parquet.ErrCorrupted)
	}
	cur := first
	emit := func(j int, v int64) {
		if j < from {
			sumBefore += v
		} else if j < to {
			dst = append(dst, v)
		}
	}
	if total > 0 {
		emit(0, cur)
	}
	idx := 0 // index of cur
	remaining := int(total) - 1
	if cap(sc.deltas) < perMini {
		sc.deltas = make([]int64, perMini)
	}
	for remaining > 0 {
		if idx >= to-1 && !wantEnd {
			return dst, sumBefore, 0, nil
		}
		minDelta, n := binary.Varint(src[p:])
		if n <= 0 {
			return dst, 0, 0, errDelta
		}
		p += n
		if p+int(miniCount) > len(src) {
			return dst, 0, 0, errDelta
		}
		widths := src[p : p+int(miniCount)]
		p += int(miniCount)
		for _, w := range widths {
			if remaining == 0 {
				break
			}
			if w > 64 {
				return dst, 0, 0, errDelta
			}
			size := perMini * int(w) / 8
			if p+size > len(src) {
				return dst, 0, 0, errDelta
			}
			cnt := min(perMini, remaining)
			if idx < to-1 {
				deltas := sc.deltas[:perMini]
				if w == 0 {
					clear(deltas)
				} else {
					// The unpacker reads up to 32 bytes past its input.
					sc.body = append(sc.body[:0], src[p:p+size]...)
					sc.body = append(sc.body, zeroPad[:]...)
					bitpack.Unpack(deltas, sc.body, uint(w))
				}
				for k := 0; k < cnt; k++ {
					cur += minDelta + deltas[k]
					emit(idx+1+k, cur)
				}
			}
			idx += cnt
			remaining -= cnt
			p += size
		}
	}
	return dst, sumBefore, p, nil
}
