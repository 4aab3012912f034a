package tempopb

import "google.golang.org/protobuf/encoding/protowire"

// SearchTagsRequest is tempopb.SearchTagsRequest (SearchTags and
// SearchTagsV2): the HTTP parameters scope, q, start, end, limit and
// maxStaleValues of /api/search/tags.
type SearchTagsRequest struct {
	Scope                string     // 1
	Query                string     // 2
	Start                uint32     // 3
	End                  uint32     // 4
	MaxTagsPerScope      uint32     // 5
	StaleValuesThreshold uint32     // 6
	RF1After             *Timestamp // 7, deprecated
}

// Marshal encodes the request.
func (m *SearchTagsRequest) Marshal() ([]byte, error) {
	b := appendString(nil, 1, m.Scope)
	b = appendString(b, 2, m.Query)
	b = appendUint(b, 3, uint64(m.Start))
	b = appendUint(b, 4, uint64(m.End))
	b = appendUint(b, 5, uint64(m.MaxTagsPerScope))
	b = appendUint(b, 6, uint64(m.StaleValuesThreshold))
	if m.RF1After != nil {
		b = appendMessage(b, 7, m.RF1After.marshal())
	}
	return b, nil
}

// Unmarshal decodes b into m.
func (m *SearchTagsRequest) Unmarshal(b []byte) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			f.setString(&m.Scope)
		case 2:
			f.setString(&m.Query)
		case 3:
			f.setUint32(&m.Start)
		case 4:
			f.setUint32(&m.End)
		case 5:
			f.setUint32(&m.MaxTagsPerScope)
		case 6:
			f.setUint32(&m.StaleValuesThreshold)
		case 7:
			return decodeTimestamp(&m.RF1After, f)
		}
		return nil
	})
}

// SearchTagValuesRequest is tempopb.SearchTagValuesRequest
// (SearchTagValues: a raw attribute name; SearchTagValuesV2: a TraceQL
// identifier). Field 3 is unused in Tempo's message.
type SearchTagValuesRequest struct {
	TagName             string     // 1
	Query               string     // 2
	Start               uint32     // 4
	End                 uint32     // 5
	MaxTagValues        uint32     // 6
	StaleValueThreshold uint32     // 7
	RF1After            *Timestamp // 8, deprecated
}

// Marshal encodes the request.
func (m *SearchTagValuesRequest) Marshal() ([]byte, error) {
	b := appendString(nil, 1, m.TagName)
	b = appendString(b, 2, m.Query)
	b = appendUint(b, 4, uint64(m.Start))
	b = appendUint(b, 5, uint64(m.End))
	b = appendUint(b, 6, uint64(m.MaxTagValues))
	b = appendUint(b, 7, uint64(m.StaleValueThreshold))
	if m.RF1After != nil {
		b = appendMessage(b, 8, m.RF1After.marshal())
	}
	return b, nil
}

// Unmarshal decodes b into m.
func (m *SearchTagValuesRequest) Unmarshal(b []byte) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			f.setString(&m.TagName)
		case 2:
			f.setString(&m.Query)
		case 4:
			f.setUint32(&m.Start)
		case 5:
			f.setUint32(&m.End)
		case 6:
			f.setUint32(&m.MaxTagValues)
		case 7:
			f.setUint32(&m.StaleValueThreshold)
		case 8:
			return decodeTimestamp(&m.RF1After, f)
		}
		return nil
	})
}

// MetadataMetrics is tempopb.MetadataMetrics, the work a tag query did.
type MetadataMetrics struct {
	InspectedBytes    uint64           // 1
	TotalJobs         uint32           // 2
	CompletedJobs     uint32           // 3
	TotalBlocks       uint32           // 4
	TotalBlockBytes   uint64           // 5
	BackendReads      uint64           // 6
	BackendBytes      uint64           // 7
	AdditionalMetrics map[string]int64 // 8
}

func (m *MetadataMetrics) marshal() []byte {
	b := appendUint(nil, 1, m.InspectedBytes)
	b = appendUint(b, 2, uint64(m.TotalJobs))
	b = appendUint(b, 3, uint64(m.CompletedJobs))
	b = appendUint(b, 4, uint64(m.TotalBlocks))
	b = appendUint(b, 5, m.TotalBlockBytes)
	b = appendUint(b, 6, m.BackendReads)
	b = appendUint(b, 7, m.BackendBytes)
	return appendInt64Map(b, 8, m.AdditionalMetrics)
}

func (m *MetadataMetrics) unmarshal(b []byte) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			f.setUint64(&m.InspectedBytes)
		case 2:
			f.setUint32(&m.TotalJobs)
		case 3:
			f.setUint32(&m.CompletedJobs)
		case 4:
			f.setUint32(&m.TotalBlocks)
		case 5:
			f.setUint64(&m.TotalBlockBytes)
		case 6:
			f.setUint64(&m.BackendReads)
		case 7:
			f.setUint64(&m.BackendBytes)
		case 8:
			return decodeInt64Map(&m.AdditionalMetrics, f)
		}
		return nil
	})
}

// appendMetrics writes the metrics field, always (Tempo sends an empty
// message rather than none).
func appendMetrics(b []byte, f protowire.Number, m *MetadataMetrics) []byte {
	if m == nil {
		return appendMessage(b, f, nil)
	}
	return appendMessage(b, f, m.marshal())
}

func decodeMetrics(dst **MetadataMetrics, f field) error {
	if !f.isBytes() {
		return nil
	}
	if *dst == nil {
		*dst = &MetadataMetrics{}
	}
	return (*dst).unmarshal(f.b)
}

// SearchTagsResponse is tempopb.SearchTagsResponse.
type SearchTagsResponse struct {
	TagNames []string         // 1
	Metrics  *MetadataMetrics // 2
}

// Marshal encodes the response.
func (m *SearchTagsResponse) Marshal() ([]byte, error) {
	return appendMetrics(appendStrings(nil, 1, m.TagNames), 2, m.Metrics), nil
}

// Unmarshal decodes b into m.
func (m *SearchTagsResponse) Unmarshal(b []byte) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			f.appendString(&m.TagNames)
		case 2:
			return decodeMetrics(&m.Metrics, f)
		}
		return nil
	})
}

// SearchTagsV2Scope is tempopb.SearchTagsV2Scope.
type SearchTagsV2Scope struct {
	Name string   // 1
	Tags []string // 2
}

// SearchTagsV2Response is tempopb.SearchTagsV2Response.
type SearchTagsV2Response struct {
	Scopes  []*SearchTagsV2Scope // 1
	Metrics *MetadataMetrics     // 2
}

func (s *SearchTagsV2Scope) marshal() []byte {
	return appendStrings(appendString(nil, 1, s.Name), 2, s.Tags)
}

// Marshal encodes the response.
func (m *SearchTagsV2Response) Marshal() ([]byte, error) {
	var b []byte
	for _, s := range m.Scopes {
		b = appendMessage(b, 1, s.marshal())
	}
	return appendMetrics(b, 2, m.Metrics), nil
}

// Unmarshal decodes b into m.
func (m *SearchTagsV2Response) Unmarshal(b []byte) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			if !f.isBytes() {
				return nil
			}
			s := &SearchTagsV2Scope{}
			if err := eachField(f.b, func(f field) error {
				switch f.num {
				case 1:
					f.setString(&s.Name)
				case 2:
					f.appendString(&s.Tags)
				}
				return nil
			}); err != nil {
				return err
			}
			m.Scopes = append(m.Scopes, s)
		case 2:
			return decodeMetrics(&m.Metrics, f)
		}
		return nil
	})
}

// SearchTagValuesResponse is tempopb.SearchTagValuesResponse.
type SearchTagValuesResponse struct {
	TagValues []string         // 1
	Metrics   *MetadataMetrics // 2
}

// Marshal encodes the response.
func (m *SearchTagValuesResponse) Marshal() ([]byte, error) {
	return appendMetrics(appendStrings(nil, 1, m.TagValues), 2, m.Metrics), nil
}

// Unmarshal decodes b into m.
func (m *SearchTagValuesResponse) Unmarshal(b []byte) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			f.appendString(&m.TagValues)
		case 2:
			return decodeMetrics(&m.Metrics, f)
		}
		return nil
	})
}

// TagValue is tempopb.TagValue: a typed value (type string, int, float,
// bool, duration or keyword; the value always as text).
type TagValue struct {
	Type  string // 1
	Value string // 2
}

// SearchTagValuesV2Response is tempopb.SearchTagValuesV2Response.
type SearchTagValuesV2Response struct {
	TagValues []TagValue       // 1
	Metrics   *MetadataMetrics // 2
}

func (v TagValue) marshal() []byte { return appendString(appendString(nil, 1, v.Type), 2, v.Value) }

// Marshal encodes the response.
func (m *SearchTagValuesV2Response) Marshal() ([]byte, error) {
	var b []byte
	for _, v := range m.TagValues {
		b = appendMessage(b, 1, v.marshal())
	}
	return appendMetrics(b, 2, m.Metrics), nil
}

// Unmarshal decodes b into m.
func (m *SearchTagValuesV2Response) Unmarshal(b []byte) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			if !f.isBytes() {
				return nil
			}
			var v TagValue
			if err := eachField(f.b, func(f field) error {
				switch f.num {
				case 1:
					f.setString(&v.Type)
				case 2:
					f.setString(&v.Value)
				}
				return nil
			}); err != nil {
				return err
			}
			m.TagValues = append(m.TagValues, v)
		case 2:
			return decodeMetrics(&m.Metrics, f)
		}
		return nil
	})
}
