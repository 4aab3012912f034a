package backend

import "github.com/tempoctl/tempoctl/model"

// MarshalRowGroupIndex encodes the block's `index` object (§12): the last
// trace ID of each row group.
func MarshalRowGroupIndex(maxIDs []model.TraceID) ([]byte, error) { return nil, errTODO }

// UnmarshalRowGroupIndex decodes the `index` object.
func UnmarshalRowGroupIndex(b []byte) ([]model.TraceID, error) { return nil, errTODO }
