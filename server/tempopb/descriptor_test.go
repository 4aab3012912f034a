package tempopb

import (
	"strings"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The messages of spec §9 as a protobuf descriptor, written out here so
// the real protobuf runtime (dynamicpb) can check the hand-written
// encoders field by field. KeyValue is OpenTelemetry's (tempopb's copy is
// wire-identical).

type fieldDef struct {
	name   string
	num    int32
	typ    descriptorpb.FieldDescriptorProto_Type
	ref    string // message type, ".pkg.Name"
	repeat bool
	opt    bool // proto3 optional
}

const (
	tString  = descriptorpb.FieldDescriptorProto_TYPE_STRING
	tUint32  = descriptorpb.FieldDescriptorProto_TYPE_UINT32
	tUint64  = descriptorpb.FieldDescriptorProto_TYPE_UINT64
	tInt64   = descriptorpb.FieldDescriptorProto_TYPE_INT64
	tBool    = descriptorpb.FieldDescriptorProto_TYPE_BOOL
	tEnum    = descriptorpb.FieldDescriptorProto_TYPE_INT32 // enums travel as int32 varints
	tMessage = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
)

func f(name string, num int32, typ descriptorpb.FieldDescriptorProto_Type) fieldDef {
	return fieldDef{name: name, num: num, typ: typ}
}

func rep(d fieldDef) fieldDef { d.repeat = true; return d }

func msgf(name string, num int32, ref string) fieldDef {
	return fieldDef{name: name, num: num, typ: tMessage, ref: ref}
}

func message(name string, fields []fieldDef, nested ...*descriptorpb.DescriptorProto) *descriptorpb.DescriptorProto {
	m := &descriptorpb.DescriptorProto{Name: proto.String(name), NestedType: nested}
	for _, d := range fields {
		fd := &descriptorpb.FieldDescriptorProto{
			Name: proto.String(d.name), Number: proto.Int32(d.num), Type: d.typ.Enum(), JsonName: proto.String(d.name),
			Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
		}
		if d.repeat {
			fd.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
		}
		if d.ref != "" {
			fd.TypeName = proto.String(d.ref)
		}
		if d.opt {
			fd.Proto3Optional = proto.Bool(true)
			fd.OneofIndex = proto.Int32(int32(len(m.OneofDecl)))
			m.OneofDecl = append(m.OneofDecl, &descriptorpb.OneofDescriptorProto{Name: proto.String("_" + d.name)})
		}
		m.Field = append(m.Field, fd)
	}
	return m
}

// mapField is a map<string, V> field with its entry type nested in owner.
func mapField(owner, name string, num int32, value fieldDef) (fieldDef, *descriptorpb.DescriptorProto) {
	entry := strings.ToUpper(name[:1]) + name[1:] + "Entry"
	value.name, value.num = "value", 2
	e := message(entry, []fieldDef{f("key", 1, tString), value})
	e.Options = &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)}
	return rep(msgf(name, num, ".tempopb."+owner+"."+entry)), e
}

var tempopbFiles = func() *protoregistry.Files {
	kv := ".opentelemetry.proto.common.v1.KeyValue"
	ts := ".google.protobuf.Timestamp"
	tags, tagsEntry := mapField("SearchRequest", "Tags", 1, f("", 0, tString))
	stats, statsEntry := mapField("TraceSearchMetadata", "serviceStats", 8, msgf("", 0, ".tempopb.ServiceStats"))
	addl, addlEntry := mapField("MetadataMetrics", "additionalMetrics", 8, f("", 0, tInt64))
	instant := f("instant", 18, tBool)
	instant.opt = true
	fd := &descriptorpb.FileDescriptorProto{
		Name: proto.String("tempopb_test.proto"), Package: proto.String("tempopb"), Syntax: proto.String("proto3"),
		Dependency: []string{"opentelemetry/proto/common/v1/common.proto", "google/protobuf/timestamp.proto"},
		MessageType: []*descriptorpb.DescriptorProto{
			message("SearchRequest", []fieldDef{tags, f("MinDurationMs", 2, tUint32), f("MaxDurationMs", 3, tUint32), f("Limit", 4, tUint32),
				f("start", 5, tUint32), f("end", 6, tUint32), f("Query", 8, tString), f("SpansPerSpanSet", 9, tUint32),
				msgf("RF1After", 10, ts), rep(f("skipASTTransformations", 11, tString))}, tagsEntry),
			message("SearchResponse", []fieldDef{rep(msgf("traces", 1, ".tempopb.TraceSearchMetadata")), msgf("metrics", 2, ".tempopb.SearchMetrics")}),
			message("TraceSearchMetadata", []fieldDef{f("traceID", 1, tString), f("rootServiceName", 2, tString), f("rootTraceName", 3, tString),
				f("startTimeUnixNano", 4, tUint64), f("durationMs", 5, tUint32), msgf("spanSet", 6, ".tempopb.SpanSet"),
				rep(msgf("spanSets", 7, ".tempopb.SpanSet")), stats}, statsEntry),
			message("ServiceStats", []fieldDef{f("spanCount", 1, tUint32), f("errorCount", 2, tUint32)}),
			message("SpanSet", []fieldDef{rep(msgf("spans", 1, ".tempopb.Span")), f("matched", 2, tUint32), rep(msgf("attributes", 3, kv))}),
			message("Span", []fieldDef{f("spanID", 1, tString), f("name", 2, tString), f("startTimeUnixNano", 3, tUint64),
				f("durationNanos", 4, tUint64), rep(msgf("attributes", 5, kv))}),
			message("SearchMetrics", []fieldDef{f("inspectedTraces", 1, tUint32), f("inspectedBytes", 2, tUint64), f("totalBlocks", 3, tUint32),
				f("completedJobs", 4, tUint32), f("totalJobs", 5, tUint32), f("totalBlockBytes", 6, tUint64), f("inspectedSpans", 7, tUint64)}),
			message("SearchTagsRequest", []fieldDef{f("scope", 1, tString), f("query", 2, tString), f("start", 3, tUint32), f("end", 4, tUint32),
				f("maxTagsPerScope", 5, tUint32), f("staleValuesThreshold", 6, tUint32), msgf("RF1After", 7, ts)}),
			message("SearchTagsResponse", []fieldDef{rep(f("tagNames", 1, tString)), msgf("metrics", 2, ".tempopb.MetadataMetrics")}),
			message("SearchTagsV2Response", []fieldDef{rep(msgf("scopes", 1, ".tempopb.SearchTagsV2Scope")), msgf("metrics", 2, ".tempopb.MetadataMetrics")}),
			message("SearchTagsV2Scope", []fieldDef{f("name", 1, tString), rep(f("tags", 2, tString))}),
			message("SearchTagValuesRequest", []fieldDef{f("tagName", 1, tString), f("query", 2, tString), f("start", 4, tUint32), f("end", 5, tUint32),
				f("maxTagValues", 6, tUint32), f("staleValueThreshold", 7, tUint32), msgf("RF1After", 8, ts)}),
			message("SearchTagValuesResponse", []fieldDef{rep(f("tagValues", 1, tString)), msgf("metrics", 2, ".tempopb.MetadataMetrics")}),
			message("TagValue", []fieldDef{f("type", 1, tString), f("value", 2, tString)}),
			message("SearchTagValuesV2Response", []fieldDef{rep(msgf("tagValues", 1, ".tempopb.TagValue")), msgf("metrics", 2, ".tempopb.MetadataMetrics")}),
			message("MetadataMetrics", []fieldDef{f("inspectedBytes", 1, tUint64), f("totalJobs", 2, tUint32), f("completedJobs", 3, tUint32),
				f("totalBlocks", 4, tUint32), f("totalBlockBytes", 5, tUint64), f("backendReads", 6, tUint64), f("backendBytes", 7, tUint64), addl}, addlEntry),
			message("DedicatedColumn", []fieldDef{f("type", 1, tEnum), f("name", 2, tString), f("scope", 3, tEnum), f("options", 4, tEnum)}),
			message("QueryRangeRequest", []fieldDef{f("query", 1, tString), f("start", 2, tUint64), f("end", 3, tUint64), f("step", 4, tUint64),
				f("queryMode", 7, tString), f("blockID", 8, tString), f("startPage", 9, tUint32), f("pagesToSearch", 10, tUint32),
				f("version", 11, tString), f("size", 13, tUint64), f("footerSize", 14, tUint32), rep(msgf("dedicatedColumns", 15, ".tempopb.DedicatedColumn")),
				f("exemplars", 16, tUint32), f("maxSeries", 17, tUint32), instant, rep(f("skipASTTransformations", 19, tString))}),
			message("QueryInstantRequest", []fieldDef{f("query", 1, tString), f("start", 2, tUint64), f("end", 3, tUint64)}),
		},
	}
	files := &protoregistry.Files{}
	for _, dep := range []protoreflect.FileDescriptor{commonpb.File_opentelemetry_proto_common_v1_common_proto, timestamppb.File_google_protobuf_timestamp_proto} {
		if err := files.RegisterFile(dep); err != nil {
			panic(err)
		}
	}
	file, err := protodesc.NewFile(fd, files)
	if err != nil {
		panic(err)
	}
	if err := files.RegisterFile(file); err != nil {
		panic(err)
	}
	return files
}()

// dynamic returns an empty dynamic message of tempopb.<name>.
func dynamic(t *testing.T, name string) *dynamicpb.Message {
	t.Helper()
	d, err := tempopbFiles.FindDescriptorByName(protoreflect.FullName("tempopb." + name))
	if err != nil {
		t.Fatal(err)
	}
	return dynamicpb.NewMessage(d.(protoreflect.MessageDescriptor))
}
