package rowread

import "bytes"

var zero = []byte{0}

// nthRowStart returns the index in rep of the n-th (n ≥ 1) level starting a
// row (repetition level 0), or -1 and the number of row starts in rep when
// there are fewer. Counting in blocks lets bytes.Count's vector loop skip
// rows of many levels quickly.
func nthRowStart(rep []byte, n int) (int, int) {
	const block = 256
	i, seen := 0, 0
	for len(rep)-i >= block {
		c := bytes.Count(rep[i:i+block], zero)
		if seen+c >= n {
			break
		}
		seen += c
		i += block
	}
	for ; i < len(rep); i++ {
		if rep[i] == 0 {
			seen++
			if seen == n {
				return i, seen
			}
		}
	}
	return -1, seen
}

// countDefined is the number of values among n levels whose definition
// levels are def (those equal to maxDef); without definition levels every
// level is a value.
func countDefined(def []byte, n int, maxDef int) int {
	if len(def) == 0 {
		return n
	}
	return bytes.Count(def, []byte{byte(maxDef)})
}
