package traceql

import (
	"errors"
	"testing"
)

// specExamples are the queries spec/traceql.md shows as valid.
var specExamples = []string{
	`{ name = "GET /api" }`, `{ status = error }`, `{ statusMessage =~ "time.*" }`, `{ kind = server }`,
	`{ duration > 100ms }`, `{ span:id = "0000000000000001" }`, `{ span:parentID = "eee19b7ec3c1b174" }`,
	`{ span:childCount = 0 }`, `{ trace:duration > 5s }`, `{ trace:rootName = "HTTP GET" }`,
	`{ rootServiceName = "gateway" }`, `{ trace:id = "5b8efff798038103d269b633813fc60c" }`,
	`{ event:name = "exception" }`, `{ event:timeSinceStart > 2ms }`, `{ link:traceID = "0af7651916cd43dd8448eb211c80319c" }`,
	`{ link:spanID = "b7ad6b7169203331" }`, `{ instrumentation:name = "grpc" }`, `{ instrumentation:version = "1.0.0" }`,
	`{ nestedSetParent = -1 }`, `{ span.http.status_code >= 500 }`, `{ resource.service.name = "cart" }`,
	`{ event.exception.message =~ ".*oops.*" }`, `{ link.opentracing.ref_type = "child_of" }`,
	`{ instrumentation.language = "java" }`, `{ .service.name = "cart" }`, `{ span.a = "x" }`, `{ span.code >= "400" }`,
	`{ span.db.system =~ "postgres|mysql" }`, `{ span.opt = nil }`, `{ span.opt != nil }`, `{ span.nope != "x" }`,
	`{ span.a = 1 }`, `{ span.bytes > 10 * 1024 * 1024 }`, `{ span.a % 2 = 0 }`, `{ span.a ^ 2 > 4 }`,
	`{ (span.a = 1 || span.b = 2) && !(span.c = 3) }`, `{ span.flag = true }`, `{ span.tags = "a" }`, `{}`,
	`{ .a = 1 || .b = 2 && .c = 3 }`, `{ .a = "x" || .a = "y" }`, `{ .a != "x" && .a != "y" }`,
	`{ .a = 1 } && { .b = 2 }`, `{ .a = 1 } || { .b = 2 }`, `{ .a = 1 } > { .b = 2 }`, `{ .a = 1 } < { .b = 2 }`,
	`{ .a = 1 } >> { .b = 2 }`, `{ .a = 1 } << { .b = 2 }`, `{ .a = 1 } ~ { .b = 2 }`,
	`{ } !< { resource.service.name = "foo" }`, `{ } !> { }`, `{ } !>> { }`, `{ } !<< { }`, `{ } !~ { }`,
	`{ status = error } &>> { status = error }`, `{ } &> { }`, `{ } &< { }`, `{ } &<< { }`, `{ } &~ { }`,
	`{ .a = 1 } && ({ .b = 2 } || { .c = 3 })`, `({ .a = 1 } | count() > 1) && ({ .b = 2 })`,
	`{ .a = 1 } | { .b = 2 }`, `{ } | count() > 2`, `{ } | avg(duration) > 20ms`, `count() > 2`, `avg(duration) > 20ms`,
	`{ status = error } | by(resource.service.name) | count() > 1`, `{ } | by(.a) | coalesce()`,
	`{ status = error } | select(span.http.url, resource.service.name)`, `{ } with (most_recent=true)`,
	`{ status = error } | rate() by (resource.service.name)`, `{ } | count_over_time() by (span.http.route)`,
	`{ } | sum_over_time(span.http.response.size)`, `{ } | max_over_time(duration) by (name)`,
	`{ } | avg_over_time(duration)`, `{ } | quantile_over_time(duration, .5, .9, .99)`,
	`{ } | histogram_over_time(duration) by (name)`, `{ resource.service.name = "a" } | compare({ status = error })`,
	`{ resource.service.name = "a" } | compare({ status = error }, 10, 1700000000000000000, 1700000060000000000)`,
	`{ } | rate() by (span.http.url) | topk(10)`, `{ } | rate() by (name) | bottomk(3)`, `{ } | rate() by (name) > 10`,
	`{ } | avg_over_time(duration) > 1s`, `({status=error} | rate()) / ({} | rate())`, `100 * ({status=error} | rate())`,
	`({} | rate()) * 60`, `{ } | count() > 1 | rate()`, `{ } >> { .a = 1 } | rate()`,
	`{ } | rate() with (sample=true)`, `{ } | rate() with (span_sample=0.1, exemplars=false)`,
	`{ } with(skip_ast_transformations="a,b")`, "{ name = `raw \\ string` }", `{ name = "esc \" \u00e9 \n" }`,
	`{ span.a."b c".d = 1 }`, `{ .foo.bar-baz = "x" }`, `{ span.a/b:c = 1 }`, `{ .a = -5 }`, `{ .a = minInt }`,
	`{ .a < maxInt }`, `{ .f = 1.5e-3 }`, `{ .f = .5 }`, `{ .f = 1e3 }`, `{ duration > 1h30m }`, `{ duration > 1w }`,
	`{ duration > 1y }`, `{ duration > 1.5s }`, `{ duration > 10µs }`, `{ duration > 10ns }`, `{ .a = 1 } // trailing`,
	`{ /* c */ .a = 1 }`, `{ span.http.method = "GET" } | by(span.http.route)`,
}

func TestParseSpecExamples(t *testing.T) {
	for _, q := range specExamples {
		r, err := Parse(q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		// the printed form must parse to the same printed form
		r2, err := Parse(r.String())
		if err != nil {
			t.Errorf("%s: reparse of %q: %v", q, r.String(), err)
			continue
		}
		if r2.String() != r.String() {
			t.Errorf("%s: not stable: %q vs %q", q, r.String(), r2.String())
		}
	}
}

func TestParseShape(t *testing.T) {
	cases := []struct{ q, want string }{
		{`{ .a = 1 || .b = 2 && .c = 3 }`, `{ (((.a = 1) || (.b = 2)) && (.c = 3)) }`},
		{`{ .a = 1 && .b = 2 || .c = 3 }`, `{ (((.a = 1) && (.b = 2)) || (.c = 3)) }`},
		{`{ .a + 1 * 2 = 3 }`, `{ ((.a + (1 * 2)) = 3) }`},
		{`{ .a ^ 2 ^ 3 = 1 }`, `{ ((.a ^ (2 ^ 3)) = 1) }`},
		{`{ .a - 1 - 2 = 1 }`, `{ (((.a - 1) - 2) = 1) }`},
		{`{ .a } && { .b } || { .c }`, `(({ .a } && { .b }) || { .c })`},
		{`{ .a } && { .b } > { .c }`, `({ .a } && ({ .b } > { .c }))`},
		{`{ .a } > { .b } >> { .c }`, `(({ .a } > { .b }) >> { .c })`},
		{`{ span:kind = server && trace:rootService = "x" }`, `{ ((kind = server) && (rootServiceName = "x")) }`},
		{`{ span:duration > 1s }`, `{ (duration > 1s) }`},
		{`{ span.a."b c".d = 1 }`, `{ (span."a.b c.d" = 1) }`},
		{`{ .a = -5 }`, `{ (.a = -5) }`},
		{`{ duration > 1d }`, `{ (duration > 24h0m0s) }`},
		{`{ } | rate() by (name) > 10 | topk(5)`, `{ } | rate() by (name) > 10 | topk(5)`},
	}
	for _, c := range cases {
		r, err := Parse(c.q)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		if r.String() != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.q, r.String(), c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		q, msg    string
		line, col int
		parse     bool // ParseError (syntax) rather than ValidationError
	}{
		// spec §10 catalogue
		{`{ status = }`, "parse error at line 1, col 9: syntax error: unexpected }", 1, 9, true},
		{`{ xx }`, "parse error at line 1, col 2: unknown identifier: xx", 1, 2, true},
		{`{ name = 1 }`, "binary operations must operate on the same type: name = 1", 1, 7, false},
		{`{ span.foo =~ "[" }`, "invalid regex: error parsing regexp: missing closing ]: `[`", 1, 14, false},
		{`{ span.foo =~ 1 }`, "illegal operation for the given types: span.foo =~ 1", 1, 11, false},
		{`{ name = nil }`, "name=nil is not valid because intrinsics cannot be nil", 1, 7, false},
		{`{ parent.foo = "x" }`, "parent not yet supported", 1, 2, false},
		{`{ parent = "x" }`, "intrinsic (parent) not yet supported", 1, 2, false},
		{`{ } | by(1)`, "grouping field expressions must reference the span: by(1)", 1, 6, false},
		{`{ } | min(name) > 1`, "aggregate field expressions must resolve to a number type: min(name)", 1, 6, false},
		{`{ } | count() + 1 > 3`, "scalar filter lhs of type (%v) not yet supported", 1, 6, false},
		{`({} | count()) > ({} | count())`, "scalar filter lhs of type (%v) not yet supported", 1, 0, false},
		// more
		{`{ status = 2 }`, "binary operations must operate on the same type: status = 2", 1, 9, false},
		{`{ kind = 3 }`, "binary operations must operate on the same type: kind = 3", 1, 7, false},
		{`{ resource.service.name = nil }`, "resource.service.name=nil is not valid because intrinsics cannot be nil", 1, 24, false},
		{`{ event:name = nil }`, "event:name=nil is not valid because intrinsics cannot be nil", 1, 13, false},
		{`{ status > ok }`, "illegal operation for the given types: status > ok", 1, 9, false},
		{`{ .x = 'a' }`, "parse error at line 1, col 7: invalid char literal", 1, 7, true},
		{`{ .a = 0x10 }`, `parse error at line 1, col 7: syntax error: invalid number or duration "0x10"`, 1, 7, true},
		{`{ childCount = 0 }`, "parse error at line 1, col 2: unknown identifier: childCount", 1, 2, true},
		{`{ } | by(.a, .b)`, "parse error at line 1, col 9: syntax error: unexpected ,", 1, 9, true},
		{`{ .a = 1`, "parse error at line 1, col 7: syntax error: unexpected end of input", 1, 7, true},
		{"{ .a = 1 }\n| foo()", "parse error at line 2, col 0: syntax error: unexpected foo", 2, 0, true},
		{"{ .a = 1 }\n| { foo }", "parse error at line 2, col 4: unknown identifier: foo", 2, 4, true},
		{`{ .a = "x }`, "parse error at line 1, col 7: literal not terminated", 1, 7, true},
		{`{ .a = 1 } | count() > 1 && { .b = 2 }`, "parse error at line 1, col 23: syntax error: unexpected &&", 1, 23, true},
		{`{ } | rate() by (a,b,c,d,e,f)`, "parse error at line 1, col 17: unknown identifier: a", 1, 17, true},
		{`{ } | rate() by (.a,.b,.c,.d,.e,.f)`, "metrics group by 6 values not yet supported", 1, 6, false},
		{`({} | rate()) * 10s`, `parse error at line 1, col 14: syntax error: unexpected 10s`, 1, 14, true},
		{`{ 1 }`, "filter field expressions must resolve to a boolean: 1", 1, 0, false},
		{`{ /* open`, "parse error at line 1, col 2: comment not terminated", 1, 2, true},
		{``, "parse error at line 1, col 0: syntax error: unexpected end of input", 1, 0, true},
		// Positions (spec §10's catalogue: `{ status = }` → col 9, the `=`;
		// `{ xx }` → col 2, the `xx`): 0-based columns counted in runes (a
		// tab or \r is one), of the token before the unexpected one for
		// syntax errors, of the offending text for lexical errors.
		{`{ span.foo = }`, "parse error at line 1, col 11: syntax error: unexpected }", 1, 11, true},
		{"{\tspan.foo = }", "parse error at line 1, col 11: syntax error: unexpected }", 1, 11, true},
		{`{ .é = }`, "parse error at line 1, col 5: syntax error: unexpected }", 1, 5, true},
		{`{ .a = "é" && }`, "parse error at line 1, col 11: syntax error: unexpected }", 1, 11, true},
		{`{ /* c */ .a = }`, "parse error at line 1, col 13: syntax error: unexpected }", 1, 13, true},
		{"{ .a = `x\ny` && }", "parse error at line 2, col 3: syntax error: unexpected }", 2, 3, true},
		{"{ .a = 1 } // c\n&& }", "parse error at line 2, col 0: syntax error: unexpected }", 2, 0, true},
		{"{ .a = 1 }\r\n| foo()", "parse error at line 2, col 0: syntax error: unexpected foo", 2, 0, true},
		{`}`, "parse error at line 1, col 0: syntax error: unexpected }", 1, 0, true},
		{`{ span.foo = "x" } }`, "parse error at line 1, col 17: syntax error: unexpected }", 1, 17, true},
		{`{ .a = 1 ) }`, "parse error at line 1, col 7: syntax error: unexpected )", 1, 7, true},
		{`{ .a =~ }`, "parse error at line 1, col 5: syntax error: unexpected }", 1, 5, true},
		{`{ .a = 1 } |`, "parse error at line 1, col 11: syntax error: unexpected end of input", 1, 11, true},
		{`{ .a = 1 } | by()`, "parse error at line 1, col 15: syntax error: unexpected )", 1, 15, true},
		{`{ .a = 1 } | select()`, "parse error at line 1, col 19: syntax error: unexpected )", 1, 19, true},
		{`{ .a = 1 } with (x=)`, "parse error at line 1, col 18: syntax error: unexpected )", 1, 18, true},
		{`{ span.foo = @ }`, "parse error at line 1, col 13: syntax error: unexpected character '@'", 1, 13, true},
		{`{ span. = 1 }`, "parse error at line 1, col 6: syntax error: unexpected character '.'", 1, 6, true},
		{"{ .a = 1 } &&\n  { xx }", "parse error at line 2, col 4: unknown identifier: xx", 2, 4, true},
		{"{ .a = 1 }\n  { .b = 2 }", "parse error at line 1, col 9: syntax error: unexpected {", 1, 9, true},
	}
	for _, c := range cases {
		_, err := Parse(c.q)
		if err == nil {
			t.Errorf("%s: no error", c.q)
			continue
		}
		if err.Error() != c.msg {
			t.Errorf("%s:\n got %q\nwant %q", c.q, err.Error(), c.msg)
		}
		var pe *ParseError
		var ve *ValidationError
		switch {
		case errors.As(err, &pe):
			if !c.parse {
				t.Errorf("%s: got a ParseError, want a ValidationError", c.q)
			}
			if pe.Pos.Line != c.line || pe.Pos.Col != c.col {
				t.Errorf("%s: position %d:%d, want %d:%d", c.q, pe.Pos.Line, pe.Pos.Col, c.line, c.col)
			}
		case errors.As(err, &ve):
			if c.parse {
				t.Errorf("%s: got a ValidationError, want a ParseError", c.q)
			}
			if ve.Pos.Line != c.line || ve.Pos.Col != c.col {
				t.Errorf("%s: position %d:%d, want %d:%d", c.q, ve.Pos.Line, ve.Pos.Col, c.line, c.col)
			}
		default:
			t.Errorf("%s: error of type %T", c.q, err)
		}
	}
}
