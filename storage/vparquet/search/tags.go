package search

import (
	"context"
	"fmt"

	"github.com/parquet-go/parquet-go"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tempoctl/tempoctl/storage/backend"
	"github.com/tempoctl/tempoctl/storage/vparquet"
	"github.com/tempoctl/tempoctl/traceql"
)

// TagRequest bounds a tag-name or tag-value lookup in time (unix ns, 0 =
// open). Row groups whose trace time statistics miss the range are skipped;
// rows inside a row group are not filtered (Tempo filters tags by block).
type TagRequest struct {
	StartTimeUnixNanos, EndTimeUnixNanos uint64
}

// TagStats count the work of a tag lookup.
type TagStats struct {
	RowGroups, RowGroupsPruned int
	InspectedBytes             uint64
}

// tagBlock is the per-block state of a tag lookup.
type tagBlock struct {
	r      *vparquet.Reader
	si     *schemaInfo
	nbytes int64
	ra     countingReaderAt
}

func newTagBlock(r *vparquet.Reader) *tagBlock {
	b := &tagBlock{r: r}
	b.ra = countingReaderAt{ra: r.File(), n: &b.nbytes}
	b.si = &schemaInfo{schema: r.File().Schema(), a: r.Assignment(), v4: r.Meta().Version == backend.VersionVParquet4}
	return b
}

// rowGroups calls fn with a chunk reader for each row group in the range.
func (b *tagBlock) rowGroups(ctx context.Context, req TagRequest, st *TagStats, fn func(cr *chunkReader) (bool, error)) (err error) {
	defer func() {
		st.InspectedBytes += uint64(b.nbytes)
		b.nbytes = 0
		if p := recover(); p != nil {
			m := b.r.Meta()
			err = fmt.Errorf("block %s/%s: corrupt data: %v", m.TenantID, m.BlockID, p)
		}
	}()
	file := b.r.File()
	bs := &blockSearch{req: traceql.FetchRequest{StartTimeUnixNanos: req.StartTimeUnixNanos, EndTimeUnixNanos: req.EndTimeUnixNanos}}
	bs.start, bs.end = b.si.col("StartTimeUnixNano"), b.si.col("EndTimeUnixNano")
	for g, rg := range file.RowGroups() {
		if err := ctx.Err(); err != nil {
			return err
		}
		st.RowGroups++
		cr := &chunkReader{meta: &file.Metadata().RowGroups[g], ra: b.ra, chunks: rg.ColumnChunks()}
		if req.StartTimeUnixNanos != 0 || req.EndTimeUnixNanos != 0 {
			if keep, _, err := bs.timeFilter(cr); err != nil {
				return err
			} else if !keep {
				st.RowGroupsPruned++
				continue
			}
		}
		more, err := fn(cr)
		if err != nil {
			m := b.r.Meta()
			return fmt.Errorf("block %s/%s row group %d: %w", m.TenantID, m.BlockID, g, err)
		}
		if !more {
			return nil
		}
	}
	return nil
}

// distinct calls fn with every distinct defined value of col in the row
// group: the dictionary when it lists every value, else a scan.
func distinct(cr *chunkReader, col *column, fn func(v parquet.Value)) error {
	if lo, hi, ok := cr.bounds(col); ok && parquet.Equal(lo, hi) {
		// Statistics exist only for defined values, all of them between
		// min and max: one value, no need to read a page.
		fn(lo)
		return nil
	}
	if col.kind == parquet.ByteArray {
		d, err := cr.dictionary(col)
		if err != nil {
			return err
		}
		if d != nil {
			for i := 0; i < d.Len(); i++ {
				fn(d.Index(int32(i)))
			}
			return nil
		}
	}
	var seen dictCache
	fixed := map[uint64]bool{} // numbers and booleans by their bits
	return cr.scan(col, func(cu *cursor, v parquet.Value, di int32) {
		if !cu.defined() {
			return
		}
		if di >= 0 {
			if seen.get(di) == 0 {
				seen.put(di, true) // each dictionary entry once
				fn(v)
			}
			return
		}
		switch v.Kind() {
		case parquet.Int32, parquet.Int64, parquet.Double, parquet.Boolean:
			bits := v.Uint64()
			if v.Kind() == parquet.Boolean && v.Boolean() {
				bits = 1
			}
			if fixed[bits] {
				return
			}
			fixed[bits] = true
		}
		fn(v)
	})
}

// present reports whether col holds a defined value (non-empty when
// nonEmpty) in the row group.
func present(cr *chunkReader, col *column, nonEmpty bool) (bool, error) {
	md := &cr.meta.Columns[col.index].MetaData
	if md.NumValues == 0 {
		return false, nil
	}
	if !nonEmpty && col.maxDef > 0 {
		if _, _, ok := cr.bounds(col); ok {
			return true, nil // statistics exist only for defined values
		}
	}
	found := false
	err := distinct(cr, col, func(v parquet.Value) {
		if !nonEmpty || len(v.ByteArray()) > 0 {
			found = true
		}
	})
	return found, err
}

// attribute-holding places per scope.
var tagScopes = []struct {
	scope traceql.Scope
	base  []string
}{
	{traceql.ScopeResource, resPath},
	{traceql.ScopeSpan, spanPath},
	{traceql.ScopeEvent, eventPath},
	{traceql.ScopeLink, linkPath},
	{traceql.ScopeInstrumentation, scopePath},
}

// TagNames calls add with the attribute names found in the block per scope
// (generic attributes, dedicated columns, vParquet4 well-known columns and
// service.name). A name may be reported more than once.
func TagNames(ctx context.Context, r *vparquet.Reader, req TagRequest, scope traceql.Scope, add func(scope traceql.Scope, name string)) (TagStats, error) {
	var st TagStats
	b := newTagBlock(r)
	err := b.rowGroups(ctx, req, &st, func(cr *chunkReader) (bool, error) {
		for _, ts := range tagScopes {
			if scope != traceql.ScopeNone && scope != ts.scope {
				continue
			}
			if key := b.si.col(join(ts.base, "Attrs", "Key")...); key != nil {
				if err := distinct(cr, key, func(v parquet.Value) { add(ts.scope, string(v.ByteArray())) }); err != nil {
					return false, err
				}
			}
			for _, c := range b.namedColumns(ts.scope) {
				ok, err := present(cr, c.col, c.nonEmpty)
				if err != nil {
					return false, err
				}
				if ok {
					add(ts.scope, c.name)
				}
			}
		}
		return true, nil
	})
	return st, err
}

type namedColumn struct {
	name     string
	col      *column
	nonEmpty bool
}

// namedColumns are the columns that hold one attribute each in a scope.
func (b *tagBlock) namedColumns(scope traceql.Scope) []namedColumn {
	var out []namedColumn
	add := func(name string, nonEmpty bool, path ...string) {
		if c := b.si.col(path...); c != nil {
			out = append(out, namedColumn{name: name, col: c, nonEmpty: nonEmpty})
		}
	}
	slots := func(ss vparquet.ScopeSlots, base []string) {
		for _, s := range ss {
			add(s.Name, false, join(base, "DedicatedAttributes", s.Column())...)
		}
	}
	switch scope {
	case traceql.ScopeResource:
		add("service.name", true, join(resPath, "ServiceName")...)
		slots(b.si.a.Resource, resPath)
		if b.si.v4 {
			for name, leaf := range v4ResourceColumns {
				add(name, false, join(resPath, leaf)...)
			}
		}
	case traceql.ScopeSpan:
		slots(b.si.a.Span, spanPath)
		if b.si.v4 {
			for name, leaf := range v4SpanColumns {
				add(name, false, join(spanPath, leaf)...)
			}
		}
	case traceql.ScopeEvent:
		slots(b.si.a.Event, eventPath)
	}
	return out
}

// valueColumns are the named columns that hold attribute a in scope.
func (b *tagBlock) valueColumns(scope traceql.Scope, name string) []namedColumn {
	var out []namedColumn
	for _, c := range b.namedColumns(scope) {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

// intrinsicColumns are the intrinsics whose values a column lists.
var intrinsicColumns = map[traceql.Intrinsic][]string{
	traceql.IntrinsicName:                   join(spanPath, "Name"),
	traceql.IntrinsicStatusMessage:          join(spanPath, "StatusMessage"),
	traceql.IntrinsicTraceRootSpan:          {"RootSpanName"},
	traceql.IntrinsicTraceRootService:       {"RootServiceName"},
	traceql.IntrinsicEventName:              join(eventPath, "Name"),
	traceql.IntrinsicInstrumentationName:    join(scopePath, "Name"),
	traceql.IntrinsicInstrumentationVersion: join(scopePath, "Version"),
}

// TagValues calls add with the distinct values of attribute a in the
// block: each element of an array separately. With allScopes
// an unscoped name is looked up in every scope (the v1 API), else in span
// and resource attributes (TraceQL's unscoped name). add returns false to
// stop early. Intrinsics other than the string ones listed in
// intrinsicColumns yield nothing here (their answers are static or
// unbounded).
func TagValues(ctx context.Context, r *vparquet.Reader, req TagRequest, a traceql.Attribute, allScopes bool, add func(traceql.Static) bool) (TagStats, error) {
	var st TagStats
	b := newTagBlock(r)
	more := true
	type key struct {
		t traceql.StaticType
		n int64
		f float64
		s string
		b bool
	}
	seen := map[key]bool{}
	emit := func(v traceql.Static) {
		if !more || v.IsNil() {
			return
		}
		k := key{v.Type, v.N, v.F, v.S, v.B}
		if seen[k] {
			return
		}
		v = retain(v)
		k.s = v.S
		seen[k] = true
		more = add(v)
	}
	err := b.rowGroups(ctx, req, &st, func(cr *chunkReader) (bool, error) {
		if a.Intrinsic != traceql.IntrinsicNone {
			path, ok := intrinsicColumns[a.Intrinsic]
			if !ok {
				return false, nil
			}
			if c := b.si.col(path...); c != nil {
				if err := distinct(cr, c, func(v parquet.Value) { emit(traceql.NewString(string(v.ByteArray()))) }); err != nil {
					return false, err
				}
			}
			return more, nil
		}
		var scopes []traceql.Scope
		switch {
		case a.Scope != traceql.ScopeNone:
			scopes = []traceql.Scope{a.Scope}
		case allScopes:
			scopes = []traceql.Scope{traceql.ScopeSpan, traceql.ScopeResource, traceql.ScopeEvent, traceql.ScopeLink, traceql.ScopeInstrumentation}
		default:
			scopes = []traceql.Scope{traceql.ScopeSpan, traceql.ScopeResource}
		}
		for _, sc := range scopes {
			for _, ts := range tagScopes {
				if ts.scope != sc || !more {
					continue
				}
				if err := b.attrValues(cr, ts.base, a.Name, emit); err != nil {
					return false, err
				}
				for _, c := range b.valueColumns(sc, a.Name) {
					cv := convString
					if c.col.kind != parquet.ByteArray {
						cv = convInt
					}
					err := distinct(cr, c.col, func(v parquet.Value) {
						if c.nonEmpty && len(v.ByteArray()) == 0 {
							return
						}
						if x, ok := cv(v); ok {
							emit(x)
						}
					})
					if err != nil {
						return false, err
					}
				}
			}
		}
		return more, nil
	})
	return st, err
}

// attrValues emits the values of the generic attributes named name.
func (b *tagBlock) attrValues(cr *chunkReader, base []string, name string, emit func(traceql.Static)) error {
	attrs := join(base, "Attrs")
	key := b.si.col(join(attrs, "Key")...)
	if key == nil {
		return nil
	}
	if ok, err := keyPossible(cr, key, name); err != nil || !ok {
		return err // the key dictionary rules the name out
	}
	level := key.maxRep
	var sel []int32
	err := cr.scan(key, func(cu *cursor, v parquet.Value, _ int32) {
		if cu.defined() && string(v.ByteArray()) == name {
			sel = append(sel, cu.at(level))
		}
	})
	if err != nil || len(sel) == 0 {
		return err
	}
	cols := []struct {
		leaf string
		cv   conv
	}{{"Value", convString}, {"ValueInt", convInt}, {"ValueDouble", convFloat}, {"ValueBool", convBool}, {"ValueUnsupported", convUnsupported}}
	for _, c := range cols {
		col := b.si.col(join(attrs, c.leaf)...)
		if col == nil {
			continue
		}
		if ok, err := present(cr, col, false); err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		j := 0
		err := cr.scan(col, func(cu *cursor, v parquet.Value, _ int32) {
			if !cu.defined() {
				return
			}
			at := cu.at(level)
			for j < len(sel) && sel[j] < at {
				j++
			}
			if j < len(sel) && sel[j] == at {
				if x, ok := c.cv(v); ok {
					if x.Type == traceql.TypeArray {
						for _, e := range x.Arr {
							emit(e)
						}
						return
					}
					emit(x)
				}
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// convUnsupported reads a JSON-held value (mixed arrays, kvlists, bytes):
// only its scalar parts are tag values.
func convUnsupported(v parquet.Value) (traceql.Static, bool) {
	var av commonpb.AnyValue
	if err := protojson.Unmarshal(v.ByteArray(), &av); err != nil {
		return traceql.Nil, false
	}
	x := anyValue(&av)
	return x, !x.IsNil()
}

// SpanTags calls fn with the scope and name of every attribute that a span
// from this package's Fetcher carries (generic attributes, dedicated
// columns, vParquet4 well-known columns, service.name). It returns false
// for spans of other fetchers.
func SpanTags(s traceql.Span, fn func(scope traceql.Scope, name string)) bool {
	sp, ok := s.(*span)
	if !ok {
		return false
	}
	sp.t.whole() // every attribute, not only those a query named
	a := sp.t.a
	generic := func(sc traceql.Scope, attrs []vparquet.Attribute) {
		for i := range attrs {
			if _, ok := attrValue(&attrs[i]); ok {
				fn(sc, attrs[i].Key)
			}
		}
	}
	slots := func(sc traceql.Scope, d *vparquet.DedicatedAttributes, ss vparquet.ScopeSlots) {
		for _, sl := range ss {
			if !dedicated(d, ss, sl.Name).IsNil() {
				fn(sc, sl.Name)
			}
		}
	}
	r := &sp.rs.Resource
	generic(traceql.ScopeResource, r.Attrs)
	generic(traceql.ScopeResource, r.WellKnown)
	slots(traceql.ScopeResource, &r.DedicatedAttributes, a.Resource)
	if r.ServiceName != "" {
		fn(traceql.ScopeResource, "service.name")
	}
	generic(traceql.ScopeInstrumentation, sp.ss.Scope.Attrs)
	generic(traceql.ScopeSpan, sp.s.Attrs)
	generic(traceql.ScopeSpan, sp.s.WellKnown)
	slots(traceql.ScopeSpan, &sp.s.DedicatedAttributes, a.Span)
	for i := range sp.s.Events {
		generic(traceql.ScopeEvent, sp.s.Events[i].Attrs)
		slots(traceql.ScopeEvent, &sp.s.Events[i].DedicatedAttributes, a.Event)
	}
	for i := range sp.s.Links {
		generic(traceql.ScopeLink, sp.s.Links[i].Attrs)
	}
	return true
}
