package tempopb

// TraceQL metrics are not built in tempoctl: the service answers
// MetricsQueryRange and MetricsQueryInstant with Unimplemented. The request
// messages are still decoded (and validated as protobuf) first.

// DedicatedColumn is tempopb.DedicatedColumn (block search jobs).
type DedicatedColumn struct {
	Type    int32  // 1: STRING=0, INT=1
	Name    string // 2
	Scope   int32  // 3: SPAN=0, RESOURCE=1, EVENT=2
	Options int32  // 4: bitmask NONE=0, ARRAY=1, BLOB=2
}

func (c *DedicatedColumn) marshal() []byte {
	b := appendInt(nil, 1, int64(c.Type))
	b = appendString(b, 2, c.Name)
	b = appendInt(b, 3, int64(c.Scope))
	return appendInt(b, 4, int64(c.Options))
}

func (c *DedicatedColumn) unmarshal(b []byte) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			f.setInt32(&c.Type)
		case 2:
			f.setString(&c.Name)
		case 3:
			f.setInt32(&c.Scope)
		case 4:
			f.setInt32(&c.Options)
		}
		return nil
	})
}

// QueryRangeRequest is tempopb.QueryRangeRequest; times in nanoseconds.
type QueryRangeRequest struct {
	Query                  string             // 1
	Start                  uint64             // 2
	End                    uint64             // 3
	Step                   uint64             // 4
	QueryMode              string             // 7
	BlockID                string             // 8
	StartPage              uint32             // 9
	PagesToSearch          uint32             // 10
	Version                string             // 11
	Size                   uint64             // 13
	FooterSize             uint32             // 14
	DedicatedColumns       []*DedicatedColumn // 15
	Exemplars              uint32             // 16
	MaxSeries              uint32             // 17
	Instant                *bool              // 18 (proto3 optional)
	SkipASTTransformations []string           // 19
}

// Marshal encodes the request.
func (m *QueryRangeRequest) Marshal() ([]byte, error) {
	b := appendString(nil, 1, m.Query)
	b = appendUint(b, 2, m.Start)
	b = appendUint(b, 3, m.End)
	b = appendUint(b, 4, m.Step)
	b = appendString(b, 7, m.QueryMode)
	b = appendString(b, 8, m.BlockID)
	b = appendUint(b, 9, uint64(m.StartPage))
	b = appendUint(b, 10, uint64(m.PagesToSearch))
	b = appendString(b, 11, m.Version)
	b = appendUint(b, 13, m.Size)
	b = appendUint(b, 14, uint64(m.FooterSize))
	for _, c := range m.DedicatedColumns {
		b = appendMessage(b, 15, c.marshal())
	}
	b = appendUint(b, 16, uint64(m.Exemplars))
	b = appendUint(b, 17, uint64(m.MaxSeries))
	if m.Instant != nil { // optional: written even when false
		b = protowireBool(b, 18, *m.Instant)
	}
	return appendStrings(b, 19, m.SkipASTTransformations), nil
}

// Unmarshal decodes b into m.
func (m *QueryRangeRequest) Unmarshal(b []byte) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			f.setString(&m.Query)
		case 2:
			f.setUint64(&m.Start)
		case 3:
			f.setUint64(&m.End)
		case 4:
			f.setUint64(&m.Step)
		case 7:
			f.setString(&m.QueryMode)
		case 8:
			f.setString(&m.BlockID)
		case 9:
			f.setUint32(&m.StartPage)
		case 10:
			f.setUint32(&m.PagesToSearch)
		case 11:
			f.setString(&m.Version)
		case 13:
			f.setUint64(&m.Size)
		case 14:
			f.setUint32(&m.FooterSize)
		case 15:
			if f.isBytes() {
				c := &DedicatedColumn{}
				if err := c.unmarshal(f.b); err != nil {
					return err
				}
				m.DedicatedColumns = append(m.DedicatedColumns, c)
			}
		case 16:
			f.setUint32(&m.Exemplars)
		case 17:
			f.setUint32(&m.MaxSeries)
		case 18:
			if v, ok := f.varint(); ok {
				x := v != 0
				m.Instant = &x
			}
		case 19:
			f.appendString(&m.SkipASTTransformations)
		}
		return nil
	})
}

// QueryInstantRequest is tempopb.QueryInstantRequest; times in nanoseconds.
type QueryInstantRequest struct {
	Query string // 1
	Start uint64 // 2
	End   uint64 // 3
}

// Marshal encodes the request.
func (m *QueryInstantRequest) Marshal() ([]byte, error) {
	return appendUint(appendUint(appendString(nil, 1, m.Query), 2, m.Start), 3, m.End), nil
}

// Unmarshal decodes b into m.
func (m *QueryInstantRequest) Unmarshal(b []byte) error {
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			f.setString(&m.Query)
		case 2:
			f.setUint64(&m.Start)
		case 3:
			f.setUint64(&m.End)
		}
		return nil
	})
}

// RawMessage is any message kept as its encoded bytes: the response type of
// the metrics methods here (they send none), and a way to send arbitrary
// bytes in tests.
type RawMessage []byte

// Marshal returns the bytes.
func (m *RawMessage) Marshal() ([]byte, error) { return *m, nil }

// Unmarshal keeps a copy of b.
func (m *RawMessage) Unmarshal(b []byte) error {
	*m = append((*m)[:0], b...)
	return nil
}
