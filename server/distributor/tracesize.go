package distributor

import (
	"fmt"

	"github.com/tempoctl/tempoctl/model/otlpwire"
)

// checkTraceSizes reports the first trace in b above max bytes (its spans'
// encoded size in this request).
func checkTraceSizes(b *otlpwire.Batch, max int) error {
	for _, t := range b.Traces {
		if t.Bytes > max {
			return fmt.Errorf("trace %s is %d bytes in this request, limit %d", t.ID, t.Bytes, max)
		}
	}
	return nil
}
