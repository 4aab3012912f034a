package backend

import (
	"encoding/json"
	"fmt"

	"github.com/tempoctl/tempoctl/model"
)

// rowGroupIndex is the block's `index` object (§12): the last trace ID of
// each row group; encoding/json writes the byte slices as standard base64.
type rowGroupIndex struct {
	RowGroups [][]byte `json:"rowGroups"`
}

// MarshalRowGroupIndex encodes the `index` object.
func MarshalRowGroupIndex(maxIDs []model.TraceID) ([]byte, error) {
	idx := rowGroupIndex{RowGroups: make([][]byte, len(maxIDs))}
	for i := range maxIDs {
		idx.RowGroups[i] = maxIDs[i][:]
	}
	return json.Marshal(idx)
}

// UnmarshalRowGroupIndex decodes the `index` object.
func UnmarshalRowGroupIndex(b []byte) ([]model.TraceID, error) {
	var idx rowGroupIndex
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("decode row-group index: %w", err)
	}
	out := make([]model.TraceID, len(idx.RowGroups))
	for i, id := range idx.RowGroups {
		if len(id) != 16 {
			return nil, fmt.Errorf("decode row-group index: entry %d is %d bytes, want 16", i, len(id))
		}
		out[i] = model.TraceID(id)
	}
	return out, nil
}
