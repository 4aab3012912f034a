package slab

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

func TestSlabsStartOnHugePageBoundary(t *testing.T) {
	for _, n := range []int{4 << 20, DefaultSize, 5<<20 + 123} {
		b := hugeSlice(n)
		if len(b) != n {
			t.Fatalf("hugeSlice(%d) has length %d", n, len(b))
		}
		if p := uintptr(unsafe.Pointer(unsafe.SliceData(b))); p%(2<<20) != 0 {
			t.Errorf("hugeSlice(%d) starts at %#x, not on a 2 MiB boundary", n, p)
		}
	}
}

// The kernel records madvise(MADV_HUGEPAGE) as the "hg" flag of the memory
// area, whether or not a huge page was free at the time.
func TestSlabIsAdvisedHuge(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage"); err != nil {
		t.Skip("kernel without transparent huge pages: nothing to advise")
	}
	b := hugeSlice(4 << 20)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	flags, ok := vmFlags(t, p)
	if !ok {
		t.Fatalf("no mapping holds %#x in /proc/self/smaps", p)
	}
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("slab at %#x not advised for huge pages: VmFlags %q", p, flags)
	}
	b[0] = 1 // keep b alive until here
}

func vmFlags(t *testing.T, addr uintptr) (string, bool) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, ok := parseRange(line); ok {
			in = lo <= addr && addr < hi
			continue
		}
		if rest, ok := strings.CutPrefix(line, "VmFlags:"); ok && in {
			return strings.TrimSpace(rest), true
		}
	}
	return "", false
}

// parseRange reads the "lo-hi" that starts a mapping's header line.
func parseRange(line string) (lo, hi uintptr, ok bool) {
	field, _, _ := strings.Cut(line, " ")
	a, b, found := strings.Cut(field, "-")
	if !found {
		return 0, 0, false
	}
	x, err1 := strconv.ParseUint(a, 16, 64)
	y, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uintptr(x), uintptr(y), true
}
