package distributor

import (
	"fmt"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tempoctl/tempoctl/model"
)

// checkTraceSizes reports the first trace in td above max bytes.
func checkTraceSizes(td ptrace.Traces, max int) error {
	var sizer ptrace.ProtoMarshaler
	ids, parts := model.SplitByTraceID(td)
	for _, id := range ids {
		if n := sizer.TracesSize(parts[id]); n > max {
			return fmt.Errorf("trace %s is %d bytes in this request, limit %d", id, n, max)
		}
	}
	return nil
}
