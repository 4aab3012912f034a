package tempopb

import (
	"google.golang.org/protobuf/encoding/protowire"
)

// Streamed responses are cut into packets of at most max encoded bytes
// (max_grpc_streaming_packet_size). Every packet carries the metrics; an
// entry larger than max on its own goes alone in a packet. A response
// without entries is one packet. max <= 0 means no limit.

// fieldSize is the encoded size of a length-delimited field of n bytes.
func fieldSize(f protowire.Number, n int) int { return protowire.SizeTag(f) + protowire.SizeBytes(n) }

// packets groups entries of the given encoded sizes, in order, into runs
// whose total plus base stays within max; it returns the run boundaries.
func packets(sizes []int, base, max int) [][2]int {
	var out [][2]int
	start, total := 0, base
	for i, n := range sizes {
		if max > 0 && i > start && total+n > max {
			out = append(out, [2]int{start, i})
			start, total = i, base
		}
		total += n
	}
	return append(out, [2]int{start, len(sizes)})
}

// Split cuts the response into packets.
func (m *SearchResponse) Split(max int) []*SearchResponse {
	sizes := make([]int, len(m.Traces))
	for i, t := range m.Traces {
		sizes[i] = fieldSize(1, len(marshalTrace(t)))
	}
	var out []*SearchResponse
	for _, r := range packets(sizes, fieldSize(2, len(marshalSearchMetrics(m.Metrics))), max) {
		out = append(out, &SearchResponse{Traces: m.Traces[r[0]:r[1]], Metrics: m.Metrics})
	}
	return out
}

func metricsSize(m *MetadataMetrics) int {
	if m == nil {
		return fieldSize(2, 0)
	}
	return fieldSize(2, len(m.marshal()))
}

func stringSizes(ss []string) []int {
	sizes := make([]int, len(ss))
	for i, s := range ss {
		sizes[i] = fieldSize(1, len(s))
	}
	return sizes
}

// Split cuts the response into packets.
func (m *SearchTagsResponse) Split(max int) []*SearchTagsResponse {
	var out []*SearchTagsResponse
	for _, r := range packets(stringSizes(m.TagNames), metricsSize(m.Metrics), max) {
		out = append(out, &SearchTagsResponse{TagNames: m.TagNames[r[0]:r[1]], Metrics: m.Metrics})
	}
	return out
}

// Split cuts the response into packets.
func (m *SearchTagValuesResponse) Split(max int) []*SearchTagValuesResponse {
	var out []*SearchTagValuesResponse
	for _, r := range packets(stringSizes(m.TagValues), metricsSize(m.Metrics), max) {
		out = append(out, &SearchTagValuesResponse{TagValues: m.TagValues[r[0]:r[1]], Metrics: m.Metrics})
	}
	return out
}

// Split cuts the response into packets.
func (m *SearchTagValuesV2Response) Split(max int) []*SearchTagValuesV2Response {
	sizes := make([]int, len(m.TagValues))
	for i, v := range m.TagValues {
		sizes[i] = fieldSize(1, len(v.marshal()))
	}
	var out []*SearchTagValuesV2Response
	for _, r := range packets(sizes, metricsSize(m.Metrics), max) {
		out = append(out, &SearchTagValuesV2Response{TagValues: m.TagValues[r[0]:r[1]], Metrics: m.Metrics})
	}
	return out
}

// Split cuts the response into packets; a scope's tags may spread over
// several packets, each naming the scope.
func (m *SearchTagsV2Response) Split(max int) []*SearchTagsV2Response {
	base := metricsSize(m.Metrics)
	var (
		out   []*SearchTagsV2Response
		cur   = &SearchTagsV2Response{Metrics: m.Metrics}
		total = base
		n     int // entries in cur
	)
	for _, s := range m.Scopes {
		nameSize := len(appendString(nil, 1, s.Name))
		if len(s.Tags) == 0 {
			cur.Scopes = append(cur.Scopes, &SearchTagsV2Scope{Name: s.Name})
			total += fieldSize(1, nameSize)
			n++
			continue
		}
		var last *SearchTagsV2Scope
		inner := nameSize // encoded size of last
		for _, tag := range s.Tags {
			grown := inner + fieldSize(2, len(tag))
			delta := fieldSize(1, grown) - fieldSize(1, inner)
			if last == nil {
				delta = fieldSize(1, grown)
			}
			if max > 0 && n > 0 && total+delta > max {
				out = append(out, cur)
				cur, total, n, last = &SearchTagsV2Response{Metrics: m.Metrics}, base, 0, nil
				grown = nameSize + fieldSize(2, len(tag))
				delta = fieldSize(1, grown)
			}
			if last == nil {
				last = &SearchTagsV2Scope{Name: s.Name}
				cur.Scopes = append(cur.Scopes, last)
			}
			last.Tags = append(last.Tags, tag)
			inner, total = grown, total+delta
			n++
		}
	}
	return append(out, cur)
}
