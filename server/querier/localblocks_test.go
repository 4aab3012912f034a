package querier

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tempoctl/tempoctl/storage/backend"
)

// localLive is a live source keeping copies of every block in its bucket.
type localLive struct {
	*fakeLive
	be *backend.Backend
}

func (l localLive) LocalBlock(string, uuid.UUID) (*backend.Backend, bool) { return l.be, true }

// TestLocalCopiesAreRead: block data comes from the live source's kept copy
// when it has one. The backend's data files are garbage here, so only the
// copies can answer; without them the same queries find nothing.
func TestLocalCopiesAreRead(t *testing.T) {
	be, dir := fixtureBucket(t, "single-tenant")
	copies, _ := fixtureBucket(t, "single-tenant")
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == backend.DataName {
			fi, _ := d.Info()
			err = os.WriteFile(p, make([]byte, fi.Size()), 0o644)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	td := expectedTraces(t, "single-tenant")[0]
	id := idOf(t, td)
	ctx := context.Background()
	window := SearchRequest{Tenant: "single-tenant", Query: `{}`, Limit: 5,
		Start: time.Unix(0, 0), End: time.Now().Add(time.Hour)}

	q := New(be, localLive{newFakeLive(), copies}, nil, nil, Config{})
	res, err := q.FindTraceByID(ctx, TraceByIDRequest{Tenant: "single-tenant", ID: id})
	if err != nil || !res.Found || res.Trace.SpanCount() != td.SpanCount() {
		t.Fatalf("with local copies: found %v, err %v", res != nil && res.Found, err)
	}
	resp, err := q.Search(ctx, window)
	if err != nil || len(resp.Traces) != 5 {
		t.Fatalf("search with local copies: %v, %v", resp, err)
	}

	q = New(be, newFakeLive(), nil, nil, Config{})
	res, err = q.FindTraceByID(ctx, TraceByIDRequest{Tenant: "single-tenant", ID: id})
	if err == nil && res.Found {
		t.Fatal("found in garbage data files: the copies were not what answered")
	}
}
