package blocktools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tempoctl/tempoctl/storage/backend"
)

// JournalDir holds, per tenant, one object per compaction that has written
// all its outputs and is marking its inputs compacted:
// <tenant>/tempoctl-journal/<id>.json. Marking several inputs is not atomic;
// a crash between two marks would leave some inputs live next to outputs
// that already hold their traces. RecoverJournals finishes such marks. The
// directory is not a UUID and holds no meta.json, so Tempo's block listing
// and tempoctl's ignore it.
const JournalDir = "tempoctl-journal"

type journal struct {
	Inputs  []uuid.UUID `json:"inputs"`
	Outputs []uuid.UUID `json:"outputs"`
	Created time.Time   `json:"created"`
}

func journalKey(tenant string, id uuid.UUID) string {
	return path.Join(tenant, JournalDir, id.String()+".json")
}

func writeJournal(ctx context.Context, be *backend.Backend, tenant string, id uuid.UUID, j journal) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if err := be.Bucket().Upload(ctx, journalKey(tenant, id), bytes.NewReader(b)); err != nil {
		return fmt.Errorf("write compaction journal: %w", err)
	}
	return nil
}

func deleteJournal(ctx context.Context, be *backend.Backend, tenant string, id uuid.UUID) error {
	err := be.Bucket().Delete(ctx, journalKey(tenant, id))
	if err != nil && !be.Bucket().IsObjNotFoundErr(err) {
		return fmt.Errorf("delete compaction journal: %w", err)
	}
	return nil
}

// Recovered is one interrupted compaction finished by RecoverJournals.
type Recovered struct {
	Journal uuid.UUID
	Marked  []uuid.UUID // inputs marked compacted now
	// Abandoned is set when an output is missing: the inputs were left live.
	Abandoned bool
}

// RecoverJournals finishes the input marking of compactions that were
// interrupted after writing all their outputs. Run it before planning.
func RecoverJournals(ctx context.Context, be *backend.Backend, tenant string) ([]Recovered, error) {
	var keys []string
	err := be.Bucket().Iter(ctx, path.Join(tenant, JournalDir)+"/", func(name string) error {
		if strings.HasSuffix(name, ".json") {
			keys = append(keys, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list compaction journals of %s: %w", tenant, err)
	}
	var out []Recovered
	for _, key := range keys {
		id, err := uuid.Parse(strings.TrimSuffix(path.Base(key), ".json"))
		if err != nil {
			continue
		}
		rc, err := be.Bucket().Get(ctx, key)
		if err != nil {
			return out, fmt.Errorf("read %s: %w", key, err)
		}
		var j journal
		err = json.NewDecoder(rc).Decode(&j)
		rc.Close()
		rec := Recovered{Journal: id}
		if err == nil {
			// Only mark inputs when every output is there (live or compacted).
			for _, o := range j.Outputs {
				if _, err := be.ReadMeta(ctx, tenant, o); err == nil {
					continue
				}
				if _, err := be.ReadCompactedMeta(ctx, tenant, o); err != nil {
					rec.Abandoned = true
					break
				}
			}
			if !rec.Abandoned {
				for _, in := range j.Inputs {
					err := be.MarkCompacted(ctx, tenant, in)
					if errors.Is(err, backend.ErrDoesNotExist) {
						continue // marked before the crash
					}
					if err != nil {
						return out, err
					}
					rec.Marked = append(rec.Marked, in)
				}
			}
		}
		if err := deleteJournal(ctx, be, tenant, id); err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}
